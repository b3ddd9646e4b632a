"""Who the load test signs in as, which pages each one opens and what must never appear there.

Read from the database before the run (Django must be set up). The markers of a member are the
names, codes and people's e-mail addresses of every other tenant's partners, that tenant's name and
its product SKUs; for partner people also every other partner of their own tenant. A string that
also belongs to the member's own side (two tenants may both have an "Alpine Distribution") is no
evidence of a leak and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from bench.loadtest import Account
from deals.selectors import registrations_for_membership
from partners.models import Partner
from partners.selectors import partner_directory
from prm.accounts.models import Membership, User
from prm.catalog.models import Product
from prm.roles import Perm, Role, membership_has
from prm.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_user
from prm.tenancy.context import tenant_context
from prm.tenancy.hosts import default_tenant_host
from prm.tenancy.models import Tenant

# How many partner 360 pages and deal pages each member rotates through.
DETAIL_PAGES = 4


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    perm: Perm
    staff_only: bool = False  # a partner's people are sent to their own page instead


# The main pages of the portal, each opened by the members whose role may open it.
PAGES = (
    Page("home", "home", Perm.DASHBOARD_VIEW),
    Page("partners", "partners:list", Perm.PARTNER_VIEW, staff_only=True),
    Page("partner 360", "partners:detail", Perm.PARTNER_VIEW),
    Page("deals", "deals:list", Perm.DEAL_VIEW),
    Page("deal detail", "deals:detail", Perm.DEAL_VIEW),
    Page("leads", "deals:leads", Perm.LEAD_VIEW),
    Page("pos sell-through", "posdata:dashboard", Perm.POS_VIEW),
    Page("inventory", "posdata:inventory", Perm.POS_VIEW),
    Page("claims", "claims:list", Perm.CLAIM_VIEW),
    Page("funds", "funds:home", Perm.FUND_VIEW),
    Page("rebates", "rebates:statements", Perm.REBATE_VIEW),
    Page("finance", "finance:reports", Perm.FINANCE_REPORTS),
)

# The demo accounts first (prm/seed.py, partners/seed.py), most-used roles first.
DEMO_STAFF = [
    ("acme", "manager@acme.test"),
    ("globex", "admin@globex.test"),
    ("acme", "admin@acme.test"),
    ("acme", "finance@acme.test"),
    ("acme", "marketing@acme.test"),
    ("acme", "finance2@acme.test"),
]
DEMO_PARTNER_PEOPLE = [
    ("globex", "partner@initech.test"),
    ("acme", "partner@northwind.test"),
    ("acme", "rep@northwind.test"),
    ("acme", "partner@contoso.test"),
]
# Extra staff accounts for larger runs (each virtual user signs in as its own person: a TOTP code
# is accepted once per account and period).
EXTRA_STAFF_ROLES = (Role.CHANNEL_MANAGER, Role.FINANCE, Role.CHANNEL_MANAGER, Role.VENDOR_ADMIN)


def tenant_strings(tenant: Tenant) -> set[str]:
    """The names, codes and e-mail addresses that identify ``tenant``'s data."""
    with tenant_context(tenant):
        strings = {tenant.name}
        for name, code, email in Partner.objects.values_list("name", "code", "email"):
            strings.update({name, code, email})
        strings.update(Product.objects.values_list("sku", flat=True))
        strings.update(Membership.objects.values_list("user__email", flat=True))
    return {s for s in strings if s}


def partner_strings(partner: Partner) -> set[str]:
    """What identifies one partner: its name, code, e-mail and its people's e-mail addresses."""
    strings = {partner.name, partner.code, partner.email}
    strings.update(Membership.objects.filter(partner=partner).values_list("user__email", flat=True))
    return {s for s in strings if s}


def _markers(foreign: set[str], own: set[str]) -> tuple[str, ...]:
    """``foreign`` less what the member's own side shows as well (equal, or inside one of its strings)."""
    return tuple(sorted(m for m in foreign - own if not any(m in o for o in own)))


def account_for(
    membership: Membership,
    *,
    password: str,
    totp_secret: str | None,
    all_tenants: dict[Tenant, set[str]] | None = None,
) -> Account:
    """The virtual user of ``membership`` (read inside its tenant's context)."""
    tenant = membership.tenant
    if all_tenants is None:
        all_tenants = {t: tenant_strings(t) for t in Tenant.objects.all()}
    own = set(all_tenants.get(tenant) or tenant_strings(tenant))
    foreign = set().union(*(strings for t, strings in all_tenants.items() if t.pk != tenant.pk))
    with tenant_context(tenant):
        if membership.is_partner:
            partner = membership.partner
            assert partner is not None  # a partner role always names its partner
            mine = partner_strings(partner)
            for other in Partner.objects.exclude(pk=partner.pk):
                foreign |= partner_strings(other) - mine
            own = mine | {tenant.name} | set(Product.objects.values_list("sku", flat=True))
            partner_pks = [partner.pk]
        else:
            partner_pks = list(
                partner_directory(membership).order_by("code").values_list("pk", flat=True)[:DETAIL_PAGES]
            )
        deal_pks = list(
            registrations_for_membership(membership)
            .order_by("-pk")
            .values_list("pk", flat=True)[:DETAIL_PAGES]
        )
        pages: list[tuple[str, str]] = []
        for page in PAGES:
            if not membership_has(membership, page.perm) or (page.staff_only and membership.is_partner):
                continue
            if page.url_name == "partners:detail":
                pages += [(page.label, reverse(page.url_name, args=[pk])) for pk in partner_pks]
            elif page.url_name == "deals:detail":
                pages += [(page.label, reverse(page.url_name, args=[pk])) for pk in deal_pks]
            else:
                pages.append((page.label, reverse(page.url_name)))
    return Account(
        email=membership.user.email,
        password=password,
        host=default_tenant_host(tenant.slug),
        role=membership.role,
        pages=tuple(pages),
        markers=_markers(foreign, own),
        totp_secret=totp_secret if Authenticator.objects.filter(user=membership.user).exists() else None,
        tenant=tenant.slug,
        partner=membership.partner.code if membership.partner else "",
    )


def _membership(tenant: Tenant, email: str) -> Membership | None:
    with tenant_context(tenant):
        return (
            Membership.objects.select_related("user", "partner", "tenant").filter(user__email=email).first()
        )


def prepare_accounts(users: int) -> list[Account]:
    """``users`` demo members, half vendor staff and half partner people, of both demo tenants.

    Beyond the demo accounts it adds channel managers and finance people (with the demo TOTP
    secret) and gives the first person of further seeded partners the demo password: for the
    scratch database of a load test only (seed_demo refuses production)."""
    if settings.PRODUCTION:
        raise RuntimeError("the load test prepares its accounts in a scratch database, never in production")
    tenants = {t.slug: t for t in Tenant.objects.filter(slug__in=["acme", "globex"])}
    if set(tenants) != {"acme", "globex"}:
        raise RuntimeError("the demo tenants are missing: run seed_demo first")
    hashed = make_password(DEMO_PASSWORD)
    staff_wanted, partners_wanted = (users + 1) // 2, users // 2
    staff = [m for slug, email in DEMO_STAFF if (m := _membership(tenants[slug], email))]
    n = 0
    while len(staff) < staff_wanted:
        n += 1
        slug = "globex" if n % 2 else "acme"
        role = EXTRA_STAFF_ROLES[n % len(EXTRA_STAFF_ROLES)]
        email = f"loadtest-{role.value.replace('_', '-')}-{n:02d}@{slug}.test"
        User.objects.get_or_create(email=email, defaults={"password": hashed, "full_name": f"Load Test {n}"})
        with tenant_context(tenants[slug]):
            seed_user(email, f"Load Test {n}", role=role)
        added = _membership(tenants[slug], email)
        assert added is not None
        staff.append(added)
    staff = staff[:staff_wanted]

    partners = [m for slug, email in DEMO_PARTNER_PEOPLE if (m := _membership(tenants[slug], email))]
    if len(partners) < partners_wanted:
        partners += _seeded_partner_people(tenants, partners_wanted - len(partners), hashed)
    partners = partners[:partners_wanted]

    all_tenants = {t: tenant_strings(t) for t in Tenant.objects.all()}
    members = [m for pair in zip(staff, partners + [None] * len(staff), strict=False) for m in pair if m]
    return [
        account_for(m, password=DEMO_PASSWORD, totp_secret=DEMO_TOTP_SECRET, all_tenants=all_tenants)
        for m in members
    ]


def _seeded_partner_people(tenants: dict[str, Tenant], wanted: int, hashed: str) -> list[Membership]:
    """The first person (a partner admin) of seeded partners, alternately from each tenant, with
    the demo password and a verified address."""
    per_tenant: dict[str, list[Membership]] = {}
    for slug, tenant in tenants.items():
        with tenant_context(tenant):
            per_tenant[slug] = list(
                Membership.objects.select_related("user", "partner", "tenant")
                .filter(role=Role.PARTNER_ADMIN, partner__code__startswith="S", is_active=True)
                .order_by("partner__code")
            )
    chosen: list[Membership] = []
    while len(chosen) < wanted and any(per_tenant.values()):
        for slug in ("globex", "acme"):
            if per_tenant[slug] and len(chosen) < wanted:
                chosen.append(per_tenant[slug].pop(0))
    users = [m.user for m in chosen]
    User.objects.filter(pk__in=[u.pk for u in users]).update(password=hashed)
    for user in users:
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
    return chosen
