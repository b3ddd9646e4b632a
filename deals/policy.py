"""Per-partner deal policy: how long an approved registration is protected and its discount.

One place to ask, so that a tier benefit (from the partners app) or a tenant setting can change
the answer without touching the workflow services.
"""

from __future__ import annotations

from decimal import Decimal

from deals.models import DealSettings
from partners.selectors import tier_benefits


def protection_days_for(partner) -> int:
    """Days of protection an approval gives ``partner`` by default (the reviewer may change it).
    The tenant's setting (DOMAIN.md default 90 days); tiers do not carry their own period yet."""
    return DealSettings.current().protection_days


def registration_discount_for(partner) -> Decimal:
    """The registration discount (%) of the partner's tier, 0 without a tier benefit."""
    return tier_benefits(partner).registration_discount_pct or Decimal("0")
