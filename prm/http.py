"""Typed requests: what the middleware sets on ``HttpRequest`` for portal views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from prm.accounts.models import Membership
    from prm.tenancy.models import Tenant


class PortalRequest(HttpRequest):
    """A request to a tenant portal view behind ``portal_view``: tenant and membership are set."""

    tenant: Tenant
    membership: Membership
    htmx: HtmxDetails


class AnyRequest(HttpRequest):
    """Any request after the middleware: tenant and membership may be None."""

    tenant: Tenant | None
    membership: Membership | None
    htmx: HtmxDetails
