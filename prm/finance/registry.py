"""Where payables come from. Claims, rebates and funds register their source kinds from their
``AppConfig.ready()``; the core imports none of them and links a payable back to its source
through the label and URL registered here::

    register_payable_source("claim_line", label=_("Ship-and-debit claim line"),
                            url=lambda source_id: reverse("claims:line", args=[source_id]))

``url`` is called once per payable shown, so it must build the address from the id alone
(no queries), or return None when the source has no page.

``on_paid`` is how a source learns that finance paid its payables: when a payout batch marks
payables paid, finance calls ``on_paid(tenant, source_ids)`` once per source kind with the ids of
that kind's payables just paid, in a background task started after the commit, inside the
tenant's context. It must be idempotent (a redelivered task calls it again with the same ids).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from prm.workflow import DomainError

if TYPE_CHECKING:
    from prm.tenancy.models import Tenant

# (tenant, source ids of the payables just paid) -> whatever the source does about it.
OnPaid = Callable[["Tenant", list[str]], object]


@dataclass(frozen=True)
class PayableSource:
    kind: str
    label: str | Promise
    url: Callable[[str], str | None] | None = None
    on_paid: OnPaid | None = None


_SOURCES: dict[str, PayableSource] = {}


class UnknownPayableSource(DomainError):
    def __init__(self, kind: str) -> None:
        super().__init__(_("No app registered the payable source %(kind)r.") % {"kind": kind})


def register_payable_source(
    kind: str,
    *,
    label: str | Promise,
    url: Callable[[str], str | None] | None = None,
    on_paid: OnPaid | None = None,
) -> None:
    if not kind or len(kind) > 40:
        raise ValueError("A payable source kind is 1 to 40 characters.")
    _SOURCES[kind] = PayableSource(kind=kind, label=label, url=url, on_paid=on_paid)


def unregister_payable_source(kind: str) -> None:
    """For tests that register a source of their own."""
    _SOURCES.pop(kind, None)


def payable_source(kind: str) -> PayableSource:
    try:
        return _SOURCES[kind]
    except KeyError:
        raise UnknownPayableSource(kind) from None


def payable_source_kinds() -> list[PayableSource]:
    return sorted(_SOURCES.values(), key=lambda s: str(s.label))


def source_label(kind: str) -> str:
    """The source's name for people; the raw kind when its app is gone (old rows stay readable)."""
    source = _SOURCES.get(kind)
    return str(source.label) if source is not None else kind


def source_url(kind: str, source_id: str) -> str | None:
    source = _SOURCES.get(kind)
    if source is None or source.url is None:
        return None
    return source.url(source_id)


def paid_hook(kind: str) -> OnPaid | None:
    """The source's ``on_paid`` hook, or None (none registered, or the app is gone)."""
    source = _SOURCES.get(kind)
    return source.on_paid if source is not None else None
