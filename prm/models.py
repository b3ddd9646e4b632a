"""Models of the cross-app core (re-exported so Django finds them under the ``prm`` label)."""

from prm.accounts.models import Invitation, Membership, User
from prm.audit.models import AuditEvent
from prm.catalog.models import Product
from prm.finance.models import FxRate, Payable
from prm.jobs.models import Job
from prm.notifications.models import Notification
from prm.ops.models import TenantDeletion
from prm.scheduled_reports.models import ScheduledReport, ScheduledReportRecipient, ScheduledReportRun
from prm.tenancy.models import Domain, Tenant, TenantModel
from prm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "AuditEvent",
    "Domain",
    "FxRate",
    "Invitation",
    "Job",
    "Membership",
    "Notification",
    "Payable",
    "Product",
    "ScheduledReport",
    "ScheduledReportRecipient",
    "ScheduledReportRun",
    "Tenant",
    "TenantDeletion",
    "TenantModel",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
