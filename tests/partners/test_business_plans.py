"""Joint business plans: the workflow (draft -> proposed -> signed, reopen) with its audit trail,
sign-off by both sides, a change after one signature clearing it, progress from the KPI registry
against hand-computed values, partner scoping, the quarterly review reminder, the plan page's
query count and the goals export."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deals.models import DealRegistration
from partners.models import BusinessPlan, Kpi, PlanComment, PlanGoal, PlanInitiative
from partners.plan_progress import GoalState, plan_progress
from partners.seed import seed_plans
from partners.services.plans import (
    plan_comment_add,
    plan_create,
    plan_initiative_add,
    plan_propose,
    plan_reopen,
    plan_sign,
    plan_update,
)
from partners.tasks import plan_review_reminders
from prm.audit.models import AuditEvent
from prm.finance.models import FxRate
from prm.notifications.models import Notification
from prm.schedule import BEAT_SCHEDULE
from prm.workflow import DomainError
from tests.partners import helpers
from tests.rebates.helpers import pos

pytestmark = pytest.mark.django_db

# 2026-02-14 is day 45 of Q1 2026 (90 days): half the quarter is gone.
MID_Q1 = datetime.datetime(2026, 2, 14, 12, 0, tzinfo=datetime.UTC)


def _m(cast, key):
    return cast.a.memberships[key]


def _actions(plan) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="partners.businessplan", object_id=str(plan.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def _proposed_plan(cast):
    plan = plan_create(partner=cast.a.partners["p1"], year=2026, acting_membership=_m(cast, "manager"))
    plan_update(
        plan=plan,
        acting_membership=_m(cast, "manager"),
        summary="Grow installers",
        targets={(1, Kpi.DEALS_WON): Decimal("3"), (1, Kpi.REVENUE_12M): Decimal("5000.50")},
    )
    plan_propose(plan=plan, acting_membership=_m(cast, "p1_admin"))
    plan.refresh_from_db()
    return plan


# --- workflow, sign-off, audit ---------------------------------------------------------------------


def test_plan_is_in_force_only_once_both_sides_signed_and_every_step_is_audited(cast):
    with cast.a.context():
        plan = _proposed_plan(cast)
        assert plan.status == BusinessPlan.Status.PROPOSED
        assert plan.currency == "USD"
        assert PlanGoal.objects.get(plan=plan, kpi=Kpi.REVENUE_12M).currency == "USD"
        assert PlanGoal.objects.get(plan=plan, kpi=Kpi.DEALS_WON).currency == ""

        plan_sign(plan=plan, acting_membership=_m(cast, "manager"))
        plan.refresh_from_db()
        assert plan.status == BusinessPlan.Status.PROPOSED
        assert plan.vendor_signed_by == cast.a.users["manager"] and plan.partner_signed_at is None
        # The partner admin hears that the plan waits for their signature.
        assert Notification.objects.filter(
            recipient=cast.a.users["p1_admin"], verb="business_plan.signed_by_one"
        ).exists()

        plan_sign(plan=plan, acting_membership=_m(cast, "p1_admin"))
        plan.refresh_from_db()
        assert plan.status == BusinessPlan.Status.SIGNED
        assert plan.partner_signed_by == cast.a.users["p1_admin"]
        assert _actions(plan) == [
            "business_plan.create",
            "business_plan.update",
            "business_plan.propose",
            "business_plan.sign",
            "business_plan.sign",
            "business_plan.in_force",
        ]
        event = AuditEvent.objects.get(object_id=str(plan.pk), action="business_plan.in_force")
        assert event.before == {"status": "proposed"} and event.after == {"status": "signed"}
        assert event.partner_id == cast.a.partners["p1"].pk
        assert Notification.objects.filter(
            recipient=cast.a.users["p1_admin"], verb="business_plan.signed"
        ).exists()


def test_refused_moves_write_nothing(cast):
    with cast.a.context():
        plan = plan_create(partner=cast.a.partners["p1"], year=2026, acting_membership=_m(cast, "p1_admin"))
        before = AuditEvent.objects.count()
        with pytest.raises(DomainError, match="at least one goal"):
            plan_propose(plan=plan, acting_membership=_m(cast, "manager"))
        with pytest.raises(DomainError, match="Only a proposed plan"):
            plan_sign(plan=plan, acting_membership=_m(cast, "manager"))
        with pytest.raises(PermissionDenied):  # partner users read, they do not sign
            plan_sign(plan=plan, acting_membership=_m(cast, "p1_user"))
        with pytest.raises(PermissionDenied):  # another partner's admin
            plan_update(plan=plan, acting_membership=_m(cast, "p2_admin"), summary="x", targets={})
        with pytest.raises(DomainError, match="already has a business plan for 2026"):
            plan_create(partner=cast.a.partners["p1"], year=2026, acting_membership=_m(cast, "manager"))
        plan.refresh_from_db()
        assert plan.status == BusinessPlan.Status.DRAFT and plan.summary == ""
        assert AuditEvent.objects.count() == before


def test_one_side_cannot_sign_twice_and_a_count_goal_takes_whole_numbers(cast):
    with cast.a.context():
        plan = _proposed_plan(cast)
        plan_sign(plan=plan, acting_membership=_m(cast, "manager"))
        with pytest.raises(DomainError, match="already signed for the vendor"):
            plan_sign(plan=plan, acting_membership=_m(cast, "admin"))
        plan_reopen(plan=plan, acting_membership=_m(cast, "manager"), reason="Rework")
        with pytest.raises(DomainError, match=r"Q2, Deals won: enter a whole number"):
            plan_update(
                plan=plan,
                acting_membership=_m(cast, "manager"),
                summary="",
                targets={(2, Kpi.DEALS_WON): Decimal("1.5")},
            )
        with pytest.raises(DomainError, match=r"Q1, Revenue .*at most 2 decimals"):
            plan_update(
                plan=plan,
                acting_membership=_m(cast, "manager"),
                summary="",
                targets={(1, Kpi.REVENUE_12M): Decimal("10.555")},
            )


def test_changing_goals_after_one_side_signed_clears_the_signature_and_says_so(cast):
    with cast.a.context():
        plan = _proposed_plan(cast)
        plan_sign(plan=plan, acting_membership=_m(cast, "manager"))
    client = cast.a.client("p1_admin")
    page = client.get(reverse("partners:plan_edit", kwargs={"pk": plan.pk}))
    assert b'data-testid="plan-edit-warning"' in page.content
    response = client.post(
        reverse("partners:plan_edit", kwargs={"pk": plan.pk}),
        {"summary": "Grow installers", "q1_deals_won": "4", "q1_revenue_12m": "5000.50"},
        follow=True,
    )
    assert "the signatures are cleared" in response.content.decode()
    with cast.a.context():
        plan.refresh_from_db()
        assert plan.status == BusinessPlan.Status.PROPOSED
        assert plan.vendor_signed_at is None and plan.vendor_signed_by is None
        assert PlanGoal.objects.get(plan=plan, quarter=1, kpi=Kpi.DEALS_WON).target == 4
        cleared = AuditEvent.objects.get(object_id=str(plan.pk), action="business_plan.signatures_cleared")
        assert cleared.before["vendor_signed_by"] == cast.a.users["manager"].pk
        assert cleared.after["vendor_signed_by"] is None
        assert cleared.actor == cast.a.users["p1_admin"]
        update = (
            AuditEvent.objects.filter(object_id=str(plan.pk), action="business_plan.update")
            .order_by("id")
            .last()
        )
        assert update.before["goals"] == {"Q1 deals_won": "3.0000"} and update.after["goals"] == {
            "Q1 deals_won": "4"
        }
        assert Notification.objects.filter(
            recipient=cast.a.users["manager"], verb="business_plan.signature_cleared"
        ).exists()


def test_a_signed_plan_changes_only_after_reopening_which_clears_both_signatures(cast):
    with cast.a.context():
        plan = _proposed_plan(cast)
        plan_sign(plan=plan, acting_membership=_m(cast, "manager"))
        plan_sign(plan=plan, acting_membership=_m(cast, "p1_admin"))
        with pytest.raises(DomainError, match="reopen it"):
            plan_update(plan=plan, acting_membership=_m(cast, "manager"), summary="changed", targets={})
    client = cast.a.client("manager")
    edit = client.get(reverse("partners:plan_edit", kwargs={"pk": plan.pk}))
    assert edit.status_code == 302
    empty = client.post(reverse("partners:plan_reopen", kwargs={"pk": plan.pk}), {"reason": ""}, follow=True)
    assert "Say why the plan is reopened." in empty.content.decode()
    client.post(reverse("partners:plan_reopen", kwargs={"pk": plan.pk}), {"reason": "New product line"})
    with cast.a.context():
        plan.refresh_from_db()
        assert plan.status == BusinessPlan.Status.DRAFT
        assert plan.signature_count == 0
        event = AuditEvent.objects.get(object_id=str(plan.pk), action="business_plan.reopen")
        assert event.before["status"] == "signed"
        assert event.before["partner_signed_by"] == cast.a.users["p1_admin"].pk
        assert event.after == {"status": "draft", "reason": "New product line"}


def test_the_edit_form_names_the_quarter_and_measure_of_a_bad_cell(cast):
    with cast.a.context():
        plan = helpers.plan(cast)
    response = cast.a.client("manager").post(
        reverse("partners:plan_edit", kwargs={"pk": plan.pk}),
        {"summary": "", "q2_deals_won": "abc", "q3_revenue_12m": "-5"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Q2, Deals won: Enter a whole number." in text
    assert "Q3, Revenue (POS, net):" in text
    with cast.a.context():
        assert not PlanGoal.objects.filter(plan=plan).exists()


# --- progress from the KPI registry ----------------------------------------------------------------


def _deal(partner, *, submitted: str, status=DealRegistration.Status.SUBMITTED, closed_on=None):
    return DealRegistration.objects.create(
        partner=partner,
        status=status,
        currency="USD",
        value=Decimal("1000"),
        customer_name="Customer",
        first_submitted_at=datetime.datetime.fromisoformat(submitted + "T10:00:00+00:00"),
        closed_on=datetime.date.fromisoformat(closed_on) if closed_on else None,
    )


def _q1_data(cast):
    p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
    pos(
        p1,
        [
            ("2026-01-10", 10, "1000"),
            ("2026-02-01", 5, "500"),
            ("2026-02-10", -2, "-200"),  # a return
            ("2025-12-30", 3, "300"),  # before the quarter
        ],
    )
    pos(p2, [("2026-01-12", 50, "9999")])  # another partner's sales never count
    _deal(p1, submitted="2026-01-05")
    _deal(p1, submitted="2026-01-20", status=DealRegistration.Status.WON, closed_on="2026-01-28")
    _deal(p1, submitted="2026-02-02")
    _deal(p1, submitted="2025-12-15", status=DealRegistration.Status.WON, closed_on="2025-12-20")
    _deal(p2, submitted="2026-01-06")


Q1_GOALS = {
    (1, Kpi.REVENUE_12M): "2000",
    (1, Kpi.DEALS_SUBMITTED): "10",
    (1, Kpi.DEALS_WON): "2",
    (2, Kpi.DEALS_WON): "4",
}


@time_machine.travel(MID_Q1, tick=False)
def test_progress_is_measured_from_pos_revenue_registrations_and_wins_to_date(cast):
    with cast.a.context():
        _q1_data(cast)
        plan = helpers.plan(cast, goals=Q1_GOALS)
        progress = plan_progress(plan, plan.goals.all())
    q1 = {row.goal.kpi: row for row in progress.quarter(1).goals}
    assert progress.quarter(1).elapsed == Decimal("0.5")
    # Revenue 1000 + 500 - 200 = 1300 of 2000: 65 %; half the quarter gone, 1000 expected: on track.
    revenue = q1[Kpi.REVENUE_12M]
    assert (revenue.actual, revenue.expected, revenue.percent, revenue.state) == (
        Decimal("1300.00"),
        Decimal("1000.00"),
        Decimal("65.0"),
        GoalState.ON_TRACK,
    )
    assert revenue.bar == 65 and revenue.unit == "USD"
    # Three registrations submitted in the quarter of 10: 30 %, 5 expected by now: behind.
    registrations = q1[Kpi.DEALS_SUBMITTED]
    assert (registrations.actual, registrations.percent, registrations.state) == (
        Decimal("3"),
        Decimal("30.0"),
        GoalState.BEHIND,
    )
    # One win (closed 28 January) of 2: 50 %, 1 expected: on track.
    wins = q1[Kpi.DEALS_WON]
    assert (wins.actual, wins.expected, wins.state) == (Decimal("1"), Decimal("1.0"), GoalState.ON_TRACK)
    # The second quarter has not begun.
    q2 = progress.quarter(2).goals[0]
    assert q2.actual is None and q2.state == GoalState.NOT_STARTED

    response = cast.a.client("p1_user").get(reverse("partners:plan_detail", kwargs={"pk": plan.pk}))
    text = response.content.decode()
    assert 'class="progress-bar w-pct-65 bg-success"' in text
    assert 'class="progress-bar w-pct-30 bg-warning"' in text
    assert "style=" not in text.split('data-testid="plan-quarter-1"')[1].split("</table>")[0]


@time_machine.travel(MID_Q1, tick=False)
def test_a_quarter_that_is_over_is_met_or_missed(cast):
    with cast.a.context():
        _q1_data(cast)
        plan = helpers.plan(
            cast,
            year=2025,
            goals={(4, Kpi.DEALS_WON): "1", (4, Kpi.DEALS_SUBMITTED): "2", (4, Kpi.REVENUE_12M): "300"},
        )
        rows = {row.goal.kpi: row for row in plan_progress(plan, plan.goals.all()).quarter(4).goals}
    assert rows[Kpi.DEALS_WON].state == GoalState.MET
    assert (
        rows[Kpi.DEALS_SUBMITTED].actual == Decimal("1")
        and rows[Kpi.DEALS_SUBMITTED].state == GoalState.MISSED
    )
    assert rows[Kpi.REVENUE_12M].actual == Decimal("300.00") and rows[Kpi.REVENUE_12M].state == GoalState.MET


@time_machine.travel(MID_Q1, tick=False)
def test_revenue_is_converted_into_a_plan_currency_that_is_no_longer_the_base_currency(cast):
    with cast.a.context():
        _q1_data(cast)
        plan = helpers.plan(cast, goals={(1, Kpi.REVENUE_12M): "2000"})
        BusinessPlan.objects.filter(pk=plan.pk).update(currency="EUR")
        PlanGoal.objects.filter(plan=plan).update(currency="EUR")
        plan.refresh_from_db()
    # No EUR rate yet: the page says which one is missing instead of failing.
    response = cast.a.client("manager").get(reverse("partners:plan_detail", kwargs={"pk": plan.pk}))
    assert response.status_code == 200
    assert b'data-testid="plan-progress-error"' in response.content
    assert "No exchange rate from USD to EUR" in response.content.decode()
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 1, 1),
            rate=Decimal("1.25"),
            source="ECB",
        )
        row = plan_progress(plan, plan.goals.all()).quarter(1).goals[0]
    # 1300 USD / 1.25 = 1040 EUR: 52 % of 2000 EUR, 1000 expected: on track.
    assert (row.actual, row.unit, row.percent, row.state) == (
        Decimal("1040.00"),
        "EUR",
        Decimal("52.0"),
        GoalState.ON_TRACK,
    )


def test_marketing_activities_count_the_funded_activities_starting_in_the_period(cast):
    from partners.kpis import kpi_values
    from tests.funds import helpers as funds

    with cast.a.context():
        funds.tiers(cast)
        fund = funds.fund(cast)
        funds.allocate(cast, funds.period(cast, fund), "20000.00")
        funds.approved(cast, fund, start_date=funds.days(15), end_date=funds.days(16))
        funds.approved(cast, fund, start_date=funds.days(18), end_date=funds.days(19))
        funds.request(cast, fund, start_date=funds.days(17), end_date=funds.days(18))  # pending: not yet
        p1 = cast.a.partners["p1"].pk
        values = kpi_values([p1], funds.days(0), funds.days(30))
        later = kpi_values([p1], funds.days(17), funds.days(30))
    assert values[p1][Kpi.MARKETING_ACTIVITIES] == Decimal("2")
    assert later[p1][Kpi.MARKETING_ACTIVITIES] == Decimal("1")


# --- scoping and views --------------------------------------------------------------------------------


def test_partner_people_see_only_their_own_plans(cast):
    with cast.a.context():
        own = helpers.plan(cast, goals={(1, Kpi.DEALS_WON): 2})
        other = helpers.plan(cast, partner_key="p2")
    p1_user = cast.a.client("p1_user")
    assert p1_user.get(reverse("partners:plan_detail", kwargs={"pk": own.pk})).status_code == 200
    assert p1_user.get(reverse("partners:plan_detail", kwargs={"pk": other.pk})).status_code == 404
    listing = p1_user.get(reverse("partners:plans")).content.decode()
    assert "Northwind Distribution" in listing and "Contoso Supply" not in listing
    # Partner users read; they neither sign nor comment.
    assert p1_user.post(reverse("partners:plan_sign", kwargs={"pk": own.pk})).status_code == 403
    p2_admin = cast.a.client("p2_admin")
    for name in ("partners:plan_detail", "partners:plan_edit"):
        assert p2_admin.get(reverse(name, kwargs={"pk": own.pk})).status_code == 404
    assert p2_admin.post(reverse("partners:plan_sign", kwargs={"pk": own.pk})).status_code == 404
    assert (
        cast.b.client("admin").get(reverse("partners:plan_detail", kwargs={"pk": own.pk})).status_code == 404
    )


def test_manager_lists_plans_by_year_and_status(cast):
    with cast.a.context():
        helpers.plan(cast, year=2025, status=BusinessPlan.Status.SIGNED)
        helpers.plan(cast, partner_key="p2", year=2026)
    client = cast.a.client("manager")

    def table(params):
        return (
            client.get(reverse("partners:plans"), params).content.decode().split('data-testid="plan-list"')[1]
        )

    text = table({"year": "2026"})
    assert "Contoso Supply" in text and "Northwind Distribution" not in text
    text = table({"status": "signed"})
    assert "Northwind Distribution" in text and "Contoso Supply" not in text


def test_partner_admin_starts_the_plan_of_their_own_partner_and_both_sides_work_on_it(cast):
    client = cast.a.client("p1_admin")
    response = client.post(reverse("partners:plan_new"), {"year": "2026", "summary": "Our year"})
    with cast.a.context():
        plan = BusinessPlan.objects.select_related("partner").get()
    assert response["Location"] == reverse("partners:plan_edit", kwargs={"pk": plan.pk})
    assert plan.partner == cast.a.partners["p1"]
    again = client.post(reverse("partners:plan_new"), {"year": "2026"})
    assert "already has a business plan for 2026" in again.content.decode()

    client.post(
        reverse("partners:plan_initiative_add", kwargs={"pk": plan.pk}),
        {"title": "Roadshow", "owner": cast.a.memberships["manager"].pk, "due_date": "2026-03-15"},
    )
    client.post(reverse("partners:plan_comment", kwargs={"pk": plan.pk}), {"text": "Ready for review"})
    with cast.a.context():
        initiative = PlanInitiative.objects.select_related("owner").get(plan=plan)
        comment = PlanComment.objects.get(plan=plan)
    assert initiative.owner == cast.a.memberships["manager"]
    assert comment.side == PlanComment.Side.PARTNER and comment.author == cast.a.users["p1_admin"]
    manager = cast.a.client("manager")
    manager.post(reverse("partners:plan_initiative_status", kwargs={"pk": initiative.pk}), {"status": "done"})
    with cast.a.context():
        initiative.refresh_from_db()
        assert initiative.status == PlanInitiative.Status.DONE and initiative.done_at is not None
        assert Notification.objects.filter(
            recipient=cast.a.users["manager"], verb="business_plan.comment"
        ).exists()
        assert Notification.objects.filter(
            recipient=cast.a.users["manager"], verb="business_plan.initiative_owner"
        ).exists()
    page = manager.get(reverse("partners:plan_detail", kwargs={"pk": plan.pk})).content.decode()
    assert "Ready for review" in page and "Roadshow" in page


def test_an_initiative_owner_must_belong_to_the_plan(cast):
    with cast.a.context():
        plan = helpers.plan(cast)
        with pytest.raises(DomainError, match="owner must be someone of the partner"):
            plan_initiative_add(
                plan=plan,
                acting_membership=_m(cast, "manager"),
                title="Campaign",
                owner=_m(cast, "p2_admin"),
                due_date=datetime.date(2026, 5, 1),
            )
        with pytest.raises(DomainError, match="Write a comment"):
            plan_comment_add(plan=plan, acting_membership=_m(cast, "manager"), text="   ")
        assert not PlanInitiative.objects.exists() and not PlanComment.objects.exists()


@time_machine.travel(MID_Q1, tick=False)
def test_partner_360_shows_this_years_plan_and_the_signature_waiting(cast):
    with cast.a.context():
        _q1_data(cast)
        plan = helpers.plan(cast, goals=Q1_GOALS, status=BusinessPlan.Status.PROPOSED)
    text = (
        cast.a.client("manager")
        .get(reverse("partners:detail", kwargs={"pk": cast.a.partners["p1"].pk}))
        .content.decode()
    )
    assert 'data-testid="p360-plan"' in text
    assert "Business plan to sign" in text
    assert "w-pct-65" in text  # this quarter's revenue goal
    other = cast.a.client("manager").get(reverse("partners:detail", kwargs={"pk": cast.a.partners["p2"].pk}))
    assert "No business plan for 2026 yet." in other.content.decode()
    assert plan.pk


# --- quarterly review reminder ------------------------------------------------------------------------


def _review_notes(cast):
    with cast.a.context():
        return list(
            Notification.objects.filter(verb="business_plan.review").values_list(
                "recipient__email", flat=True
            )
        )


def test_review_reminder_goes_to_both_sides_once_per_quarter(cast):
    assert BEAT_SCHEDULE["partners-plan-review-reminders"]["args"] == ("partners.plan_review_reminders",)
    with cast.a.context():
        signed = helpers.plan(cast, status=BusinessPlan.Status.SIGNED)
        helpers.plan(cast, partner_key="p2")  # a draft is not in force: no review
    with time_machine.travel(datetime.datetime(2026, 4, 2, 7, 20, tzinfo=datetime.UTC), tick=False):
        plan_review_reminders.delay(tenant_id=cast.a.tenant.pk)
        plan_review_reminders.delay(tenant_id=cast.a.tenant.pk)  # a second run, or a redelivery
    first = _review_notes(cast)
    assert sorted(first) == sorted([cast.a.users["p1_admin"].email, cast.a.users["manager"].email])
    with cast.a.context():
        signed.refresh_from_db()
        assert signed.review_reminded_for == "2026-Q1"
    # Mid-quarter a run stays silent; the next quarter reminds again, once.
    with time_machine.travel(datetime.datetime(2026, 5, 20, 7, 20, tzinfo=datetime.UTC), tick=False):
        plan_review_reminders.delay(tenant_id=cast.a.tenant.pk)
    assert len(_review_notes(cast)) == 2
    with time_machine.travel(datetime.datetime(2026, 7, 1, 7, 20, tzinfo=datetime.UTC), tick=False):
        plan_review_reminders.delay(tenant_id=cast.a.tenant.pk)
        plan_review_reminders.delay(tenant_id=cast.a.tenant.pk)
    assert len(_review_notes(cast)) == 4
    with cast.a.context():
        message = Notification.objects.filter(verb="business_plan.review").order_by("id").last().message
    assert "2026-Q2" in message


def test_the_q4_review_happens_in_january_of_the_next_year(cast):
    with cast.a.context():
        helpers.plan(cast, year=2026, status=BusinessPlan.Status.SIGNED)
        helpers.plan(cast, partner_key="p2", year=2027, status=BusinessPlan.Status.SIGNED)
    with time_machine.travel(datetime.datetime(2027, 1, 4, 7, 20, tzinfo=datetime.UTC), tick=False):
        plan_review_reminders.delay(tenant_id=cast.a.tenant.pk)
    notes = _review_notes(cast)
    assert cast.a.users["p1_admin"].email in notes and cast.a.users["p2_admin"].email not in notes


# --- page cost and export -----------------------------------------------------------------------------


def _fill(cast, plan, *, full: bool) -> None:
    from partners.models import PLAN_KPIS

    kpis = PLAN_KPIS if full else PLAN_KPIS[:1]
    for quarter in (1, 2, 3, 4):
        for kpi in kpis:
            PlanGoal.objects.create(
                plan=plan,
                quarter=quarter,
                kpi=kpi,
                target=Decimal("10"),
                currency="USD" if kpi == Kpi.REVENUE_12M else "",
            )
    owners = ["p1_admin", "p1_user", "manager", "admin"]
    for n in range(12 if full else 1):
        helpers.initiative(cast, plan, owner_key=owners[n % len(owners)])
        PlanComment.objects.create(
            plan=plan, author=cast.a.users[owners[n % 2]], side="partner", text=f"Note {n}"
        )


@time_machine.travel(datetime.datetime(2026, 11, 15, 12, 0, tzinfo=datetime.UTC), tick=False)
def test_plan_page_query_count_does_not_grow_with_goals_initiatives_or_comments(cast):
    with cast.a.context():
        small = helpers.plan(cast)
        large = helpers.plan(cast, partner_key="p2")
        _fill(cast, small, full=False)
        _fill(cast, large, full=True)
    counts = []
    for plan, who in ((small, "manager"), (large, "admin")):
        client = cast.a.client(who)
        url = reverse("partners:plan_detail", kwargs={"pk": plan.pk})
        client.get(url)  # warm caches (session, tenant)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@time_machine.travel(MID_Q1, tick=False)
def test_goals_export_as_csv_and_xlsx_with_progress(cast):
    with cast.a.context():
        _q1_data(cast)
        plan = helpers.plan(cast, goals=Q1_GOALS)
    client = cast.a.client("p1_admin")
    url = reverse("partners:plan_detail", kwargs={"pk": plan.pk})
    csv = client.get(url, {"export": "goals", "format": "csv"})
    assert csv["Content-Disposition"].endswith('plan-D100-2026-goals.csv"')
    lines = (
        b"".join(csv.streaming_content if csv.streaming else [csv.content]).decode("utf-8-sig").splitlines()
    )
    assert lines[0].startswith(
        "Partner,Year,Quarter,Measure,Target,Unit,Actual,Expected by now,Share of target (%),Status"
    )
    assert "D100,2026,Q1,Revenue (POS, net)" in lines[1].replace('"', "")
    assert "1300.00" in lines[1] and "On track" in lines[1]
    xlsx = client.get(url, {"export": "goals", "format": "xlsx"})
    content = b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Partner" and len(rows) == 1 + len(Q1_GOALS)


# --- demo data ------------------------------------------------------------------------------------------


def test_seed_makes_one_signed_demo_plan_and_is_idempotent(cast):
    with cast.a.context():
        seed_plans(cast.a.tenant)
        seed_plans(cast.a.tenant)
        plan = BusinessPlan.objects.get()
        assert plan.partner.code == "D100" and plan.year == timezone.localdate().year
        assert plan.status == BusinessPlan.Status.SIGNED and plan.signature_count == 2
        assert plan.goals.count() == 20 and plan.initiatives.count() == 3 and plan.comments.count() == 2
