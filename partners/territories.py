"""Which territory a deal or lead falls in, and where territory definitions overlap.

Rules of ``territory_for``:
1. Named accounts win: the first territory (by precedence) whose named accounts list the
   customer (legal name compared normalised, or web domain) is the territory, whatever else.
2. Otherwise the first territory by precedence whose rules all match: every non-empty list among
   countries, regions, postal-code prefixes and industries must contain the value (a region or
   industry compared case- and accent-folded; a postal code by prefix, spaces ignored). A
   territory with only named accounts matches no one else; one with no rule at all is a
   catch-all.

The territories are read once (two queries) and matched in Python, so resolving a whole list of
registrations or leads costs the same few queries whatever its length (``TerritoryMap``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from partners.models import Territory, TerritoryOwner, TerritoryPartner
from prm.lib.names import fold, normalise_domain, normalise_name


def _postal(value: str) -> str:
    return "".join((value or "").split()).upper()


@dataclass(frozen=True)
class Place:
    """What is known of a customer: where it is, its industry and who it is."""

    country: str = ""
    region: str = ""
    postal_code: str = ""
    industry: str = ""
    account: str = ""
    domain: str = ""


@dataclass
class TerritoryRules:
    """One territory's rules in comparable form."""

    pk: int
    name: str
    precedence: int
    countries: frozenset[str]
    regions: frozenset[str]
    postal_prefixes: tuple[str, ...]
    industries: frozenset[str]
    account_names: frozenset[str]
    account_domains: frozenset[str]
    member_partner_ids: set[int] = field(default_factory=set)
    owner_membership_ids: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, t: Territory) -> TerritoryRules:
        names, domains = set(), set()
        for entry in t.named_accounts or []:
            text = (entry or "").strip()
            if not text:
                continue
            if "." in text and " " not in text:
                domains.add(normalise_domain(text))
            else:
                names.add(normalise_name(text))
        return cls(
            pk=t.pk,
            name=t.name,
            precedence=t.precedence,
            countries=frozenset(c.strip().upper() for c in t.countries or [] if c.strip()),
            regions=frozenset(fold(r.strip()) for r in t.regions or [] if r.strip()),
            postal_prefixes=tuple(_postal(p) for p in t.postal_prefixes or [] if _postal(p)),
            industries=frozenset(fold(i.strip()) for i in t.industries or [] if i.strip()),
            account_names=frozenset(names),
            account_domains=frozenset(domains),
        )

    @property
    def has_area_rules(self) -> bool:
        return bool(self.countries or self.regions or self.postal_prefixes or self.industries)

    @property
    def is_catch_all(self) -> bool:
        return not self.has_area_rules and not self.account_names and not self.account_domains

    def names_account(self, place: Place) -> bool:
        name = normalise_name(place.account) if place.account else ""
        domain = normalise_domain(place.domain) if place.domain else ""
        return bool((name and name in self.account_names) or (domain and domain in self.account_domains))

    def matches_area(self, place: Place) -> bool:
        if self.is_catch_all:
            return True
        if not self.has_area_rules:
            return False
        if self.countries and (place.country or "").upper() not in self.countries:
            return False
        if self.regions and fold((place.region or "").strip()) not in self.regions:
            return False
        postal = _postal(place.postal_code)
        if self.postal_prefixes and not (postal and any(postal.startswith(p) for p in self.postal_prefixes)):
            return False
        return not (self.industries and fold((place.industry or "").strip()) not in self.industries)


class TerritoryMap:
    """The tenant's territories loaded once, to resolve many places."""

    def __init__(self, territories: Iterable[Territory] | None = None) -> None:
        rows = list(
            territories if territories is not None else Territory.objects.order_by("precedence", "pk")
        )
        self.rules = [TerritoryRules.of(t) for t in rows]
        self.by_pk = {r.pk: r for r in self.rules}
        ids = list(self.by_pk)
        if ids:
            for tid, pid in TerritoryPartner.objects.filter(territory_id__in=ids).values_list(
                "territory_id", "partner_id"
            ):
                self.by_pk[tid].member_partner_ids.add(pid)
            for tid, mid in TerritoryOwner.objects.filter(territory_id__in=ids).values_list(
                "territory_id", "membership_id"
            ):
                self.by_pk[tid].owner_membership_ids.add(mid)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def resolve(self, place: Place) -> TerritoryRules | None:
        for rules in self.rules:
            if rules.names_account(place):
                return rules
        for rules in self.rules:
            if rules.matches_area(place):
                return rules
        return None


def territory_for(
    *,
    country: str = "",
    region: str = "",
    postal_code: str = "",
    industry: str = "",
    account: str = "",
    domain: str = "",
) -> Territory | None:
    """The territory of a customer in the current tenant (None: in none of them)."""
    found = TerritoryMap().resolve(
        Place(
            country=country,
            region=region,
            postal_code=postal_code,
            industry=industry,
            account=account,
            domain=domain,
        )
    )
    return Territory.objects.get(pk=found.pk) if found else None


def overlaps(
    territory: Territory, others: QuerySet[Territory] | None = None
) -> list[tuple[Territory, list[str]]]:
    """Other territories that also match some customers of ``territory``, each with what they
    share (countries, regions, prefixes, industries, named accounts): shown as a warning on save.
    Two territories overlap when every rule kind both restrict has a common value (a prefix of
    one starting the other's counts) or one of them does not restrict it."""
    mine = TerritoryRules.of(territory)
    found = []
    for other in (others if others is not None else Territory.objects.exclude(pk=territory.pk)).order_by(
        "precedence", "pk"
    ):
        theirs = TerritoryRules.of(other)
        shared_accounts = (mine.account_names & theirs.account_names) | (
            mine.account_domains & theirs.account_domains
        )
        reasons: list[str] = []
        if shared_accounts:
            reasons.append(_("named accounts") + ": " + ", ".join(sorted(shared_accounts)))
        if (mine.has_area_rules or mine.is_catch_all) and (theirs.has_area_rules or theirs.is_catch_all):
            area = _area_overlap(mine, theirs)
            if area is not None:
                reasons.append(area)
        if reasons:
            found.append((other, reasons))
    return found


def _area_overlap(a: TerritoryRules, b: TerritoryRules) -> str | None:
    parts = []
    for label, x, y in (
        (_("countries"), a.countries, b.countries),
        (_("regions"), a.regions, b.regions),
        (_("industries"), a.industries, b.industries),
    ):
        if x and y:
            common = x & y
            if not common:
                return None
            parts.append(f"{label}: " + ", ".join(sorted(common)))
    if a.postal_prefixes and b.postal_prefixes:
        common_p = sorted(
            {p for p in a.postal_prefixes for q in b.postal_prefixes if p.startswith(q) or q.startswith(p)}
        )
        if not common_p:
            return None
        parts.append(_("postal codes") + ": " + ", ".join(common_p))
    return "; ".join(parts) or _("a catch-all or unrestricted rules")
