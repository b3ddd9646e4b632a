"""What an API key may touch: one read and one write scope per resource.

A scope is ``"<resource>:read"`` or ``"<resource>:write"``; write implies read. The scope says which
resources a key may use at all; what it may do there is still decided by the role the key acts
with (``prm.roles``), checked by the same services and selectors as for people.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

RESOURCES: dict[str, object] = {
    "partners": _("Partners"),
    "products": _("Products"),
    "deals": _("Deal registrations"),
    "opportunities": _("Direct opportunities"),
    "leads": _("Leads"),
    "pos": _("POS uploads"),
    "agreements": _("Special pricing agreements"),
    "claims": _("Claims"),
    "rebates": _("Rebate statements"),
    "funds": _("Fund balances and requests"),
    "payables": _("Payables and payout batches"),
    "fx_rates": _("Exchange rates"),
}
READ, WRITE = "read", "write"
ALL_SCOPES = tuple(f"{resource}:{mode}" for resource in RESOURCES for mode in (READ, WRITE))


def scope(resource: str, mode: str) -> str:
    return f"{resource}:{mode}"


def allows(scopes: Iterable[str], resource: str, mode: str) -> bool:
    """Whether ``scopes`` let a key ``mode`` (read or write) ``resource``: write implies read."""
    granted = set(scopes)
    if scope(resource, WRITE) in granted:
        return True
    return mode == READ and scope(resource, READ) in granted


def normalise(scopes: Iterable[str]) -> list[str]:
    """The known scopes among ``scopes``, in the order of ``ALL_SCOPES`` (a read beside its
    write is dropped: write implies it)."""
    granted = set(scopes)
    unknown = granted - set(ALL_SCOPES)
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    return [
        s for s in ALL_SCOPES if s in granted and not (s.endswith(":read") and s[:-5] + ":write" in granted)
    ]
