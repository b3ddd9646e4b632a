"""Partners' payout details (bank account, tax id) as finance needs them, without the core
importing the partners app that owns and encrypts them.

The partners app registers a provider from its ``AppConfig.ready()``:

* ``statuses(partner_ids)`` -> {partner_id: PayoutDetailsView} for many partners in one query
  (masked values only), and
* ``full(partner_ids)`` -> {partner_id: clear values}, read only through
  ``payout_details_clear`` below (finance with MFA, audited by the caller).

Without a provider the core fails closed: every partner counts as having no payout details.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

MISSING = "missing"
UNVERIFIED = "unverified"
OK = "ok"
STATUS_LABELS = {
    MISSING: _("No payout details"),
    UNVERIFIED: _("Payout details not verified"),
    OK: _("Verified"),
}
FIELDS = ("account_holder", "account_number", "bank_code", "tax_id")


@dataclass(frozen=True)
class PayoutDetailsView:
    """What finance may see of one partner's details without special rights: the status and
    masked values."""

    status: str
    masked: Mapping[str, str] = field(default_factory=dict)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


StatusesProvider = Callable[[Iterable[int]], Mapping[int, PayoutDetailsView]]
FullProvider = Callable[[Iterable[int]], Mapping[int, Mapping[str, str]]]
_providers: dict[str, Callable] = {}

NONE = PayoutDetailsView(status=MISSING)


def register_payout_details(*, statuses: StatusesProvider, full: FullProvider) -> None:
    _providers["statuses"] = statuses
    _providers["full"] = full


def payout_details_statuses(partner_ids: Iterable[int]) -> dict[int, PayoutDetailsView]:
    """Status and masked values of each partner (missing when nothing is registered or stored)."""
    ids = list(partner_ids)
    provider = _providers.get("statuses")
    found = provider(ids) if provider is not None else {}
    return {pk: found.get(pk, NONE) for pk in ids}


def payout_details_clear(partner_ids: Iterable[int]) -> dict[int, Mapping[str, str]]:
    """The clear values of the partners that have details. Callers check permission and MFA, and
    audit, first."""
    provider = _providers.get("full")
    return dict(provider(list(partner_ids))) if provider is not None else {}
