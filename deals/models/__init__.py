"""Deal registration: end customers, registrations with their product lines and files, the
vendor's direct opportunities, conflicts between them, and lead distribution to partners. One
module per topic; everything is importable from ``deals.models`` (migrations are unchanged)."""

from deals.models.cosell import CoSellEntry, CoSellRequest
from deals.models.leads import Lead, LeadAssignment, RoutingRule
from deals.models.opportunities import DirectOpportunity
from deals.models.registrations import (
    Conflict,
    Customer,
    DealAttachment,
    DealExtension,
    DealLine,
    DealRegistration,
    DealRegistrationUserObjectPermission,
)
from deals.models.settings import DealSettings

__all__ = [
    "CoSellEntry",
    "CoSellRequest",
    "Conflict",
    "Customer",
    "DealAttachment",
    "DealExtension",
    "DealLine",
    "DealRegistration",
    "DealRegistrationUserObjectPermission",
    "DealSettings",
    "DirectOpportunity",
    "Lead",
    "LeadAssignment",
    "RoutingRule",
]
