"""Writes of territories: save (rules, owners, member partners) and delete, audited. Saving
returns the other territories that overlap it, for the warning the page shows."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from partners.models import Partner, Territory, TerritoryOwner, TerritoryPartner
from partners.territories import overlaps
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.roles import STAFF_ROLES, Perm, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, require

RULE_FIELDS = [
    "name",
    "precedence",
    "countries",
    "regions",
    "postal_prefixes",
    "industries",
    "named_accounts",
]


def _clean_list(values: Iterable[str], *, upper: bool = False) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        text = " ".join((value or "").split())
        if upper:
            text = text.upper()
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return sorted(seen.values(), key=str.casefold)


def territory_save(
    *,
    territory: Territory,
    acting_membership: Membership,
    owners: Iterable[Membership] = (),
    partners: Iterable[Partner] = (),
) -> tuple[Territory, list[tuple[Territory, list[str]]]]:
    """Create or change a territory with its owners and member partners; returns it with the
    territories whose definitions overlap it (a warning, not a refusal: precedence decides)."""
    require(membership_has(acting_membership, Perm.TERRITORY_MANAGE))
    territory.name = " ".join((territory.name or "").split())
    if not territory.name:
        raise DomainError(_("Name the territory."))
    territory.countries = _clean_list(territory.countries, upper=True)
    bad = [c for c in territory.countries if len(c) != 2 or not c.isalpha()]
    if bad:
        raise DomainError(
            _("Countries are two-letter ISO codes (e.g. DE); not: %(bad)s") % {"bad": ", ".join(bad)}
        )
    territory.regions = _clean_list(territory.regions)
    territory.postal_prefixes = _clean_list(territory.postal_prefixes, upper=True)
    territory.industries = _clean_list(territory.industries)
    territory.named_accounts = _clean_list(territory.named_accounts)
    owners = list(owners)
    if any(m.role not in STAFF_ROLES or not m.is_active for m in owners):
        raise DomainError(_("Territory owners are active vendor staff."))
    with transaction.atomic():
        if Territory.objects.filter(name__iexact=territory.name).exclude(pk=territory.pk).exists():
            raise DomainError(_("A territory named %(name)s exists already.") % {"name": territory.name})
        created = territory.pk is None
        before = None
        if not created:
            before = snapshot(Territory.objects.select_for_update().get(pk=territory.pk), RULE_FIELDS)
        territory.save()
        tenant = require_tenant()
        TerritoryOwner.objects.filter(territory=territory).exclude(
            membership_id__in=[m.pk for m in owners] or [0]
        ).delete()
        TerritoryOwner.objects.bulk_create(
            [TerritoryOwner(tenant=tenant, territory=territory, membership=m) for m in owners],
            ignore_conflicts=True,
        )
        partner_list = list(partners)
        TerritoryPartner.objects.filter(territory=territory).exclude(
            partner_id__in=[p.pk for p in partner_list] or [0]
        ).delete()
        TerritoryPartner.objects.bulk_create(
            [TerritoryPartner(tenant=tenant, territory=territory, partner=p) for p in partner_list],
            ignore_conflicts=True,
        )
        audit(
            actor=acting_membership.user,
            action="territory.create" if created else "territory.update",
            obj=territory,
            before=before,
            after={
                **snapshot(territory, RULE_FIELDS),
                "owners": sorted(m.user.email for m in owners),
                "partners": sorted(p.code for p in partner_list),
            },
        )
    return territory, overlaps(territory)


def territory_delete(*, territory: Territory, acting_membership: Membership) -> None:
    """Remove a territory: its registrations fall back to the vendor-wide review queue."""
    require(membership_has(acting_membership, Perm.TERRITORY_MANAGE))
    with transaction.atomic():
        locked = Territory.objects.select_for_update().get(pk=territory.pk)
        audit(
            actor=acting_membership.user,
            action="territory.delete",
            obj=locked,
            before=snapshot(locked, RULE_FIELDS),
        )
        locked.delete()
