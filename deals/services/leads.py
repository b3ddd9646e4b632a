"""Lead distribution: routing by rules (territory, product expertise, minimum tier, capacity, then
round-robin or weighted by tier), offers with an SLA, accept (-> draft registration) or decline
(-> routed again without the partners that declined), and back to the vendor queue at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import DealRegistration, DealSettings, Lead, LeadAssignment, RoutingRule
from deals.services.drafts import registration_create
from partners.models import Partner
from partners.selectors import require_active_partner
from partners.territories import Place, TerritoryMap
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.decisions import Notice, decide
from prm.events import iso, partner_ref, publish
from prm.lib.money import check_minor_units, format_amount_str, quantize_money
from prm.lib.names import normalise_domain
from prm.notifications.recipients import partner_members, staff_members
from prm.notifications.services import notify
from prm.roles import Perm, Role, membership_has
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError, require

L = Lead.Status
Outcome = LeadAssignment.Outcome
OFFER_TRANSITIONS = {
    Outcome.PENDING: frozenset({Outcome.ACCEPTED, Outcome.DECLINED, Outcome.TIMED_OUT, Outcome.WITHDRAWN})
}
LEAD_STAFF_ROLES = (Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER, Role.MARKETING_MANAGER)
LEAD_FIELDS = (
    "company",
    "contact_name",
    "contact_email",
    "contact_phone",
    "domain",
    "country",
    "region",
    "postal_code",
    "industry",
    "product_interest",
    "value",
    "currency",
    "source",
    "notes",
)


@dataclass
class Check:
    partner: Partner
    eligible: bool
    failed: str = ""  # the first check the partner failed
    detail: str = ""
    open_leads: int = 0
    offers: int = 0
    weight: int = 1


@dataclass
class RoutingDecision:
    """Where a lead would go and why: the rule used, every partner's checks, the pick."""

    rule: RoutingRule | None
    rule_label: str
    checks: list[Check] = field(default_factory=list)
    partner: Partner | None = None
    reason: str = ""
    territory: str = ""  # the territory the lead falls in, when the tenant defines territories

    @property
    def eligible(self) -> list[Check]:
        return [c for c in self.checks if c.eligible]


def _default_rule(settings: DealSettings) -> RoutingRule:
    return RoutingRule(
        name=str(_("Default routing")),
        match_territory=True,
        require_expertise=True,
        max_open_leads=settings.max_open_leads,
        distribution=settings.distribution,
    )


def _rule_applies(rule: RoutingRule, lead: Lead) -> bool:
    fold = str.casefold
    if rule.countries and lead.country.upper() not in {c.upper() for c in rule.countries}:
        return False
    if rule.regions and fold(lead.region or "") not in {fold(r) for r in rule.regions}:
        return False
    return not (
        rule.product_lines and fold(lead.product_interest) not in {fold(p) for p in rule.product_lines}
    )


def open_lead_counts(partner_ids: list[int]) -> dict[int, int]:
    """Leads a partner is working on: pending offers plus accepted leads whose registration is
    still a draft (the capacity measure)."""
    pending = dict(
        LeadAssignment.objects.filter(partner_id__in=partner_ids, outcome=Outcome.PENDING)
        .values("partner_id")
        .annotate(n=Count("id"))
        .values_list("partner_id", "n")
    )
    accepted = dict(
        Lead.objects.filter(
            partner_id__in=partner_ids, status=L.ACCEPTED, registrations__status=DealRegistration.Status.DRAFT
        )
        .values("partner_id")
        .annotate(n=Count("id", distinct=True))
        .values_list("partner_id", "n")
    )
    return {pid: pending.get(pid, 0) + accepted.get(pid, 0) for pid in partner_ids}


def routing_preview(lead: Lead) -> RoutingDecision:
    """Evaluate the routing rules for ``lead`` without changing anything."""
    settings = DealSettings.current()
    rules = list(RoutingRule.objects.filter(is_active=True).order_by("position", "id"))
    rule = next((r for r in rules if _rule_applies(r, lead)), None)
    used = rule or _default_rule(settings)
    decision = RoutingDecision(rule=rule, rule_label=used.name)
    excluded = (
        set(
            LeadAssignment.objects.filter(
                lead=lead, outcome__in=[Outcome.DECLINED, Outcome.TIMED_OUT]
            ).values_list("partner_id", flat=True)
        )
        if lead.pk
        else set()
    )
    partners = list(Partner.objects.filter(status=Partner.Status.ACTIVE).order_by("code"))
    ids = [p.pk for p in partners]
    counts = open_lead_counts(ids)
    history: dict[int, dict[str, Any]] = {
        row["partner_id"]: row
        for row in LeadAssignment.objects.filter(partner_id__in=ids)
        .values("partner_id")
        .annotate(n=Count("id"), last=Max("offered_at"))
    }
    capacity = used.max_open_leads if used.max_open_leads is not None else settings.max_open_leads
    min_rank = settings.tier_rank(used.min_tier) if used.min_tier else None
    product = lead.product_interest.casefold()
    # Territories, when the tenant defines them and the lead falls in one, decide who is "in the
    # territory": the territory's member partners. Otherwise the partner's country or region.
    territory = TerritoryMap().resolve(
        Place(
            country=lead.country,
            region=lead.region,
            postal_code=lead.postal_code,
            industry=lead.industry,
            account=lead.company,
            domain=lead.domain,
        )
    )
    decision.territory = territory.name if territory else ""
    for partner in partners:
        rank = settings.tier_rank(partner.tier)
        check = Check(
            partner=partner,
            eligible=False,
            open_leads=counts.get(partner.pk, 0),
            offers=history.get(partner.pk, {}).get("n", 0),
            weight=max(rank, 0) + 1,
        )
        expertise = {str(e).casefold() for e in (partner.expertise or [])}
        if territory is not None:
            in_territory = partner.pk in territory.member_partner_ids
        else:
            in_territory = partner.country.upper() == lead.country.upper() or (
                bool(lead.region) and (partner.region or "").casefold() == lead.region.casefold()
            )
        if partner.pk in excluded:
            check.failed, check.detail = "declined", _("declined or let this lead time out before")
        elif used.match_territory and not in_territory:
            check.failed, check.detail = (
                "territory",
                _("not a member of territory %(t)s") % {"t": territory.name}
                if territory is not None
                else _("outside the territory (%(c)s / %(r)s)")
                % {"c": partner.country, "r": partner.region or "—"},
            )
        elif used.require_expertise and product not in expertise:
            check.failed, check.detail = (
                "expertise",
                _("no expertise in %(p)s") % {"p": lead.product_interest},
            )
        elif min_rank is not None and rank < min_rank:
            check.failed, check.detail = (
                "tier",
                _("tier %(t)s is below %(m)s") % {"t": partner.tier or "—", "m": used.min_tier},
            )
        elif check.open_leads >= capacity:
            check.failed, check.detail = (
                "capacity",
                _("at capacity (%(n)d of %(max)d open leads)") % {"n": check.open_leads, "max": capacity},
            )
        else:
            check.eligible = True
            check.detail = _("eligible")
        decision.checks.append(check)
    eligible = decision.eligible
    if not eligible:
        decision.reason = _("No eligible partner: the lead stays in the vendor queue.")
        return decision
    if used.distribution == DealSettings.Distribution.WEIGHTED:
        # Smooth weighted distribution: the partner furthest below its tier-weighted share.
        pick = min(eligible, key=lambda c: (Decimal(c.offers) / c.weight, -c.weight, c.partner.code))
        decision.reason = _(
            "Weighted by tier: %(p)s has had %(n)d offers for weight %(w)d, the lowest share."
        ) % {"p": pick.partner.name, "n": pick.offers, "w": pick.weight}
    else:
        epoch = timezone.now() - timedelta(days=365 * 100)
        pick = min(
            eligible, key=lambda c: (history.get(c.partner.pk, {}).get("last") or epoch, c.partner.code)
        )
        decision.reason = _("Round-robin: %(p)s is the eligible partner offered a lead longest ago.") % {
            "p": pick.partner.name
        }
    decision.partner = pick.partner
    return decision


def _lead_staff() -> list:
    return staff_members(LEAD_STAFF_ROLES)


def _decide_offer(
    offer: LeadAssignment,
    outcome: str,
    *,
    lead: Lead,
    actor,
    action: str,
    decided_by: str | None = "decided_by",
    **kwargs: Any,
) -> None:
    """Record the partner's answer to an offer (or its time-out). The offer is locked with its
    lead (the caller holds the lead's row lock); the audit event belongs to the lead's history."""
    decide(
        offer,
        outcome,
        transitions=OFFER_TRANSITIONS,
        what=_("The lead offer"),
        actor=actor,
        action=action,
        status_field="outcome",
        decided_by=decided_by,
        audit_obj=lead,
        **kwargs,
    )


def lead_event_data(lead: Lead) -> dict[str, Any]:
    """The key fields of a lead in lead.* events (docs/webhooks.md); no contact details."""
    return {
        "id": lead.pk,
        "external_reference": lead.reference,
        "status": lead.status,
        "company": lead.company,
        "country": lead.country,
        "region": lead.region,
        "product_interest": lead.product_interest,
        "value": format_amount_str(lead.value, lead.currency),
        "currency": lead.currency,
        "partner": partner_ref(lead.partner) if lead.partner is not None else None,
    }


def _lead_url(lead: Lead) -> str:
    return reverse("deals:lead_detail", kwargs={"pk": lead.pk})


def _route_locked(locked: Lead, *, actor) -> Lead:
    """Offer the (locked) lead to the next partner, or return it to the vendor queue."""
    decision = routing_preview(locked)
    before = snapshot(locked, ["status", "partner"])
    now = timezone.now()
    if decision.partner is None:
        tried = locked.assignments.exists()
        locked.status = L.RETURNED if tried else L.NEW
        locked.partner = None
        locked.offer_due_at = None
        locked.routing_note = (
            _("Every eligible partner declined or let it time out.") if tried else decision.reason
        )[:300]
        locked.save(update_fields=["status", "partner", "offer_due_at", "routing_note"])
        audit(
            actor=actor,
            action="lead.return",
            obj=locked,
            before=before,
            after=snapshot(locked, ["status", "partner"]),
        )
        if tried:
            notify(
                recipients=_lead_staff(),
                verb="lead.returned",
                message=lambda: (
                    _("Lead %(lead)s is back in the vendor queue: %(why)s")
                    % {"lead": locked.company, "why": locked.routing_note}
                ),
                url=_lead_url(locked),
            )
        return locked
    due = now + timedelta(hours=DealSettings.current().lead_sla_hours)
    offer = LeadAssignment.objects.create(
        lead=locked,
        partner=decision.partner,
        rule=decision.rule,
        reason=f"{decision.rule_label}: {decision.reason}"[:300],
        offered_at=now,
        due_at=due,
    )
    locked.status = L.OFFERED
    locked.partner = decision.partner
    locked.offer_due_at = due
    locked.routing_note = decision.reason[:300]
    locked.save(update_fields=["status", "partner", "offer_due_at", "routing_note"])
    audit(
        actor=actor,
        action="lead.offer",
        obj=locked,
        before=before,
        after={**snapshot(locked, ["status", "partner"]), "rule": decision.rule_label},
    )
    # A lead is offered again after a decline or a time-out: each offer is its own occurrence.
    publish(
        require_tenant(),
        "lead.offered",
        {
            **lead_event_data(locked),
            "offer": {"id": offer.pk, "due_at": iso(due), "rule": decision.rule_label},
        },
        key=str(offer.pk),
    )
    notify(
        recipients=partner_members(decision.partner.pk),
        verb="lead.offered",
        message=lambda: (
            _("New lead for you: %(company)s (%(line)s). Accept or decline by %(due)s.")
            % {
                "company": locked.company,
                "line": locked.product_interest,
                "due": due.strftime("%Y-%m-%d %H:%M"),
            }
        ),
        url=_lead_url(locked),
    )
    return locked


def lead_create(*, acting_membership: Membership, data: dict[str, Any], route: bool = True) -> Lead:
    """Vendor staff add a lead; by default it is routed at once."""
    require(membership_has(acting_membership, Perm.LEAD_MANAGE))
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in LEAD_FIELDS}
    clean["country"] = (clean.get("country") or "").upper()
    clean["currency"] = (clean.get("currency") or require_tenant().base_currency).upper()
    clean["domain"] = normalise_domain(clean.get("domain") or "")
    value = check_minor_units(Decimal(str(clean.get("value") or "0")), clean["currency"])
    clean["value"] = quantize_money(value, clean["currency"])
    if not clean.get("company") or len(clean["country"]) != 2 or not clean.get("product_interest"):
        raise DomainError(_("A lead needs a company, a two-letter country and a product line."))
    with transaction.atomic():
        lead = Lead.objects.create(created_by=acting_membership.user, **clean)
        audit(
            actor=acting_membership.user,
            action="lead.create",
            obj=lead,
            after=snapshot(lead, ["status", "company", "country"]),
        )
        if route:
            _route_locked(Lead.objects.select_for_update().get(pk=lead.pk), actor=acting_membership.user)
    lead.refresh_from_db()
    return lead


def lead_route(*, lead: Lead, acting_membership: Membership | None = None) -> Lead:
    """Route (or re-route) a lead in the vendor queue; an open offer is withdrawn first."""
    if acting_membership is not None:
        require(membership_has(acting_membership, Perm.LEAD_MANAGE))
    actor = acting_membership.user if acting_membership else None
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.status in (L.ACCEPTED, L.CLOSED):
            raise DomainError(_("This lead was already accepted or closed."))
        pending = locked.assignments.filter(outcome=Outcome.PENDING)
        if pending.exists():
            pending.update(outcome=Outcome.WITHDRAWN, decided_at=timezone.now(), decided_by=actor)
        _route_locked(locked, actor=actor)
    lead.refresh_from_db()
    return lead


def leads_withdraw_from_partner(partner: Partner) -> int:
    """A partner stopped operating (suspended or terminated): its pending lead offers are
    withdrawn and the leads routed again, so they do not wait for an answer that cannot come.
    Runs inside the status change's transaction (partners.services.lifecycle calls it)."""
    lead_ids = list(
        LeadAssignment.objects.filter(partner=partner, outcome=Outcome.PENDING).values_list(
            "lead_id", flat=True
        )
    )
    for lead in Lead.objects.select_for_update().filter(pk__in=lead_ids, status=L.OFFERED).order_by("pk"):
        lead.assignments.filter(outcome=Outcome.PENDING).update(
            outcome=Outcome.WITHDRAWN, decided_at=timezone.now()
        )
        _route_locked(lead, actor=None)
    return len(lead_ids)


def _pending_offer(locked: Lead, membership: Membership) -> LeadAssignment:
    require(membership_has(membership, Perm.LEAD_RESPOND) and membership.partner_id is not None)
    offer = locked.assignments.filter(outcome=Outcome.PENDING, partner_id=membership.partner_id).first()
    if offer is None or locked.status != L.OFFERED:
        raise DomainError(_("This lead is not offered to your company (any more)."))
    return offer


def lead_accept(*, lead: Lead, acting_membership: Membership, owner=None) -> DealRegistration:
    """The partner takes the lead, names its owner, and gets a draft registration pre-filled."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        offer = _pending_offer(locked, acting_membership)
        require_active_partner(offer.partner)
        owner = owner or acting_membership.user
        if not Membership.objects.filter(
            user=owner, partner_id=acting_membership.partner_id, is_active=True
        ).exists():
            raise DomainError(_("The owner must be a colleague at your company."))
        before = snapshot(locked, ["status", "partner", "owner"])
        locked.status, locked.owner, locked.offer_due_at = L.ACCEPTED, owner, None
        locked.save(update_fields=["status", "owner", "offer_due_at"])
        _decide_offer(
            offer,
            Outcome.ACCEPTED,
            lead=locked,
            actor=acting_membership.user,
            action="lead.accept",
            detail_before=before,
            detail=snapshot(locked, ["status", "partner", "owner"]),
        )
        registration = registration_create(
            acting_membership=acting_membership,
            lead=locked,
            data={
                "customer_name": locked.company,
                "customer_domain": locked.domain,
                "country": locked.country,
                "region": locked.region,
                "postal_code": locked.postal_code,
                "industry": locked.industry,
                "contact_name": locked.contact_name,
                "contact_email": locked.contact_email,
                "contact_phone": locked.contact_phone,
                "currency": locked.currency,
                "notes": _("From lead: %(source)s. %(notes)s")
                % {"source": locked.source or "—", "notes": locked.notes},
            },
            lines=[{"product_line": locked.product_interest, "quantity": 1, "value": locked.value}],
        )
        if owner != acting_membership.user:
            DealRegistration.objects.filter(pk=registration.pk).update(owner=owner)
        publish(
            require_tenant(),
            "lead.accepted",
            {
                **lead_event_data(locked),
                "offer": {"id": offer.pk},
                "registration": {"id": registration.pk, "reference": registration.reference},
            },
        )
        notify(
            recipients=_lead_staff(),
            verb="lead.accepted",
            message=lambda: (
                _("%(partner)s accepted lead %(company)s.")
                % {"partner": offer.partner.name, "company": locked.company}
            ),
            url=_lead_url(locked),
        )
    registration.refresh_from_db()
    return registration


def lead_decline(*, lead: Lead, acting_membership: Membership, reason: str) -> Lead:
    """The partner declines with a reason; the lead goes to the next eligible partner."""
    if not reason.strip():
        raise DomainError(_("Say why you decline the lead."))
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        offer = _pending_offer(locked, acting_membership)
        _decide_offer(
            offer,
            Outcome.DECLINED,
            lead=locked,
            actor=acting_membership.user,
            action="lead.decline",
            changes={"decline_reason": reason.strip()},
            detail={"partner": offer.partner_id, "reason": reason.strip()},
        )
        _route_locked(locked, actor=acting_membership.user)
    lead.refresh_from_db()
    return lead


def lead_time_out(*, lead: Lead) -> bool:
    """Beat job: an offer past its SLA times out and the lead is routed again."""
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        offer = locked.assignments.filter(outcome=Outcome.PENDING, due_at__lte=timezone.now()).first()
        if offer is None or locked.status != L.OFFERED:
            return False
        _decide_offer(
            offer,
            Outcome.TIMED_OUT,
            lead=locked,
            actor=None,
            action="lead.time_out",
            decided_by=None,
            detail={"partner": offer.partner_id},
            notices=[
                Notice(
                    recipients=partner_members(offer.partner_id),
                    verb="lead.timed_out",
                    message=lambda: (
                        _("The lead %(company)s was not answered in time and went to another partner.")
                        % {"company": locked.company}
                    ),
                )
            ],
        )
        _route_locked(locked, actor=None)
    return True


def lead_close(*, lead: Lead, acting_membership: Membership) -> Lead:
    """Vendor staff close a lead that nobody will work (spam, duplicate, no interest)."""
    require(membership_has(acting_membership, Perm.LEAD_MANAGE))
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.status in (L.ACCEPTED, L.CLOSED):
            raise DomainError(_("This lead was already accepted or closed."))
        locked.assignments.filter(outcome=Outcome.PENDING).update(
            outcome=Outcome.WITHDRAWN, decided_at=timezone.now(), decided_by=acting_membership.user
        )
        before = snapshot(locked, ["status", "partner"])
        locked.status, locked.partner, locked.offer_due_at = L.CLOSED, None, None
        locked.save(update_fields=["status", "partner", "offer_due_at"])
        audit(
            actor=acting_membership.user,
            action="lead.close",
            obj=locked,
            before=before,
            after=snapshot(locked, ["status", "partner"]),
        )
    lead.refresh_from_db()
    return lead


def routing_rule_save(*, acting_membership: Membership, rule: RoutingRule) -> RoutingRule:
    require(membership_has(acting_membership, Perm.LEAD_MANAGE))
    created = rule.pk is None
    rule.countries = sorted({c.strip().upper() for c in rule.countries if c.strip()})
    rule.regions = sorted({r.strip() for r in rule.regions if r.strip()})
    rule.product_lines = sorted({p.strip() for p in rule.product_lines if p.strip()})
    with transaction.atomic():
        rule.save()
        audit(
            actor=acting_membership.user,
            action="routing_rule.create" if created else "routing_rule.update",
            obj=rule,
            after=snapshot(
                rule,
                [
                    "position",
                    "name",
                    "is_active",
                    "countries",
                    "regions",
                    "product_lines",
                    "match_territory",
                    "require_expertise",
                    "min_tier",
                    "max_open_leads",
                    "distribution",
                ],
            ),
        )
    return rule


def routing_rule_delete(*, acting_membership: Membership, rule: RoutingRule) -> None:
    require(membership_has(acting_membership, Perm.LEAD_MANAGE))
    with transaction.atomic():
        audit(
            actor=acting_membership.user,
            action="routing_rule.delete",
            obj=rule,
            before=snapshot(rule, ["name", "position"]),
        )
        rule.delete()


def leads_route_queue(*, acting_membership: Membership) -> int:
    """Route every lead waiting in the vendor queue (status new); returns how many were offered."""
    require(membership_has(acting_membership, Perm.LEAD_MANAGE))
    offered = 0
    for lead in Lead.objects.filter(status=L.NEW).order_by("created_at", "pk")[:500]:
        if lead_route(lead=lead, acting_membership=acting_membership).status == L.OFFERED:
            offered += 1
    return offered


__all__ = [
    "RoutingDecision",
    "lead_accept",
    "lead_close",
    "lead_create",
    "lead_decline",
    "lead_route",
    "lead_time_out",
    "leads_route_queue",
    "routing_preview",
    "routing_rule_delete",
    "routing_rule_save",
]
