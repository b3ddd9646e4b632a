"""The pages as each role: back office (define with the tier table, load, version, calculate,
close, approve) and statements (partner admin, partner user, rep, other partner, staff)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest

from deals.models import DealRegistration
from prm.finance.models import Payable
from rebates.models import Accrual, CalculationRun, ProgramVersion, RebateProgram, Settlement
from rebates.services.settlements import rep_opt_in_set, settlement_close
from tests.rebates.helpers import PROGRAM, UNIT_TIERS, calculate, definition, load, pos

pytestmark = pytest.mark.django_db


def _form(**changes):
    data = {
        "code": "Q2-VALVES",
        "name": "Valve growth",
        "currency": "USD",
        "start": "2026-01-01",
        "end": "2026-03-31",
        "basis": "quantity",
        "method": "incremental",
        "minimum": "0",
        "rounding": "half_up",
        "payee": "partner",
        "tiers-TOTAL_FORMS": "4",
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "20",
    }
    for i, tier in enumerate(UNIT_TIERS):
        data[f"tiers-{i}-start"], data[f"tiers-{i}-rate"] = tier["from"], tier["rate"]
    data.update(changes)
    return data


def test_manager_defines_a_program_with_the_tier_table_and_edits_it_into_a_new_version(cast):
    client = cast.a.client("manager")
    response = client.post("/rebates/programs/new/", _form())
    assert response.status_code == 302
    with cast.a.context():
        program = RebateProgram.objects.get(code="Q2-VALVES")
        assert program.status == "draft" and [
            t["rate"] for t in ProgramVersion.objects.get().definition["tiers"]
        ] == ["10", "12", "15", "20"]
    assert client.post(f"/rebates/programs/{program.pk}/activate/").status_code == 302
    response = client.post(
        f"/rebates/programs/{program.pk}/edit/", _form(**{"tiers-3-rate": "25", "code": "IGNORED"})
    )
    assert response.status_code == 302
    with cast.a.context():
        program.refresh_from_db()
        assert (program.status, program.version, program.code) == ("active", 2, "Q2-VALVES")
    page = client.get(f"/rebates/programs/{program.pk}/")
    assert page.status_code == 200 and b"tier-table" in page.content
    exported = client.get(f"/rebates/programs/{program.pk}/export/?version=1")
    assert (
        json.loads(b"".join(exported.streaming_content) if exported.streaming else exported.content)["tiers"][
            3
        ]["rate"]
        == "20"
    )


def test_tier_table_errors_are_shown_not_500(cast):
    response = cast.a.client("manager").post("/rebates/programs/new/", _form(**{"tiers-1-start": "0"}))
    assert response.status_code == 200 and "increase" in response.content.decode()


def test_loading_a_bad_json_names_line_and_column(cast):
    response = cast.a.client("admin").post(
        "/rebates/programs/load/", {"text": '{\n "code": "X",\n "name": }'}
    )
    assert response.status_code == 200 and "line 3, column 10" in response.content.decode()


def test_partner_roles_and_marketing_cannot_reach_the_back_office(cast):
    for who in ("p1_admin", "p1_user", "marketing"):
        assert cast.a.client(who).get("/rebates/programs/").status_code == 403
    assert cast.a.client("finance").get("/rebates/programs/").status_code == 200
    assert cast.a.client("finance").get("/rebates/programs/new/").status_code == 403


def test_journey_calculate_close_approve_through_the_pages(cast, django_capture_on_commit_callbacks):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 10, "60000")])
        program = load(PROGRAM)
    manager, finance = cast.a.client("manager"), cast.a.client("finance")
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/rebates/programs/{program.pk}/calculate/")
    assert response.status_code == 302
    with cast.a.context():
        run = CalculationRun.objects.get()
        assert run.status == "succeeded"  # Celery runs eagerly on commit in tests
    assert manager.get(f"/rebates/runs/{run.pk}/").status_code == 200
    assert manager.post(f"/rebates/programs/{program.pk}/close/").status_code == 403
    response = finance.post(f"/rebates/programs/{program.pk}/close/")
    assert response.status_code == 302
    with cast.a.context():
        settlement = Settlement.objects.get()
    assert cast.a.client("admin").post(f"/rebates/settlements/{settlement.pk}/approve/").status_code == 302
    with cast.a.context():
        payable = Payable.objects.get()
        assert (payable.amount, payable.source_type) == (Decimal("1200.00"), "rebate")
    assert finance.get(f"/rebates/settlements/{settlement.pk}/").status_code == 200


def test_the_closer_is_told_and_refused_when_approving_their_own_close(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 10, "60000")])
        program = load(PROGRAM)
        calculate(program)
    finance = cast.a.client("finance")
    assert finance.post(f"/rebates/programs/{program.pk}/close/").status_code == 302
    with cast.a.context():
        settlement = Settlement.objects.get()
    url = f"/rebates/settlements/{settlement.pk}/"
    page = finance.get(url).content.decode()
    assert 'data-testid="closer-note"' in page and 'data-testid="settlement-approve"' not in page
    response = finance.post(f"{url}approve/", follow=True)
    assert response.status_code == 200 and "You closed this period" in response.content.decode()
    with cast.a.context():
        assert not Payable.objects.exists()
        assert Settlement.objects.get().status == Settlement.Status.PENDING
    admin = cast.a.client("admin")
    page = admin.get(url).content.decode()
    assert 'data-testid="settlement-approve"' in page and 'data-testid="closer-note"' not in page
    assert admin.post(f"{url}approve/").status_code == 302
    with cast.a.context():
        assert Payable.objects.get().amount == Decimal("1200.00")


def _statement_world(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 30, "1000")])
        pos(cast.a.partners["p2"], [("2026-01-15", 3, "1000")])
        run = calculate(load(definition(basis="quantity", method="retroactive", tiers=UNIT_TIERS)))
        return run.accruals.get(partner=cast.a.partners["p1"]), run.accruals.get(
            partner=cast.a.partners["p2"]
        )


def test_partner_sees_its_statement_with_the_next_tier_and_drills_down_to_lines(cast):
    mine, theirs = _statement_world(cast)
    client = cast.a.client("p1_admin")
    listing = client.get("/rebates/").content.decode()
    assert "Q1-PUMPS" in listing and "D200" not in listing
    page = client.get(f"/rebates/statements/{mine.pk}/").content.decode()
    assert "450.00" in page  # 30 units x 15
    assert "70 more reaches tier 4" in page and "1,550.00" in page  # 100 x 20 - 450
    lines = client.get(f"/rebates/statements/{mine.pk}/lines/").content.decode()
    assert "INV-" in lines
    csv = b"".join(client.get(f"/rebates/statements/{mine.pk}/csv/").streaming_content).decode()
    assert csv.lstrip("\ufeff").splitlines()[0].startswith("id,invoice_number")
    assert client.get(f"/rebates/statements/{theirs.pk}/").status_code == 404
    assert cast.a.client("p2_user").get(f"/rebates/statements/{mine.pk}/lines/").status_code == 404
    assert cast.a.client("manager").get(f"/rebates/statements/{theirs.pk}/").status_code == 200


def test_statement_pdf_renders(cast):
    mine, _theirs = _statement_world(cast)
    response = cast.a.client("p1_user").get(f"/rebates/statements/{mine.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_a_rep_sees_their_own_spif_statement_and_not_a_colleagues(cast):
    from tests.factories import MembershipFactory, UserFactory

    with cast.a.context():
        p1 = cast.a.partners["p1"]
        colleague = UserFactory(email="colleague@acme.test")
        MembershipFactory(user=colleague, role="partner_user", partner=p1)
        rep_opt_in_set(partner=p1, enabled=True, acting_membership=cast.a.memberships["p1_admin"])
        for owner in (cast.a.users["p1_user"], colleague):
            DealRegistration.objects.create(
                partner=p1,
                status="won",
                currency="USD",
                value=Decimal("20000"),
                closed_value=Decimal("20000"),
                closed_on=datetime.date(2026, 2, 1),
                customer_name="C",
                owner=owner,
            )
        run = calculate(
            load(
                definition(
                    code="SPIF",
                    basis="deal_count",
                    method="per_unit",
                    tiers=[{"from": "0", "rate": "100"}],
                    payee="rep",
                )
            )
        )
        own = run.accruals.get(payee_user=cast.a.users["p1_user"])
        other = run.accruals.get(payee_user=colleague)
    rep = cast.a.client("p1_user")
    assert rep.get(f"/rebates/statements/{own.pk}/").status_code == 200
    assert rep.get(f"/rebates/statements/{other.pk}/").status_code == 404
    assert cast.a.client("p1_admin").get(f"/rebates/statements/{other.pk}/").status_code == 200


def test_rep_opt_in_page_is_for_partner_admins(cast):
    assert cast.a.client("p1_user").get("/rebates/reps/").status_code == 403
    assert cast.a.client("manager").get("/rebates/reps/").status_code == 403
    response = cast.a.client("p1_admin").post("/rebates/reps/", {"enabled": "1"})
    assert response.status_code == 302
    from rebates.selectors import rep_opt_in

    with cast.a.context():
        assert rep_opt_in(cast.a.partners["p1"].pk)


def test_simulator_page_compares_without_writing(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 140, "1000")])
        program = load(definition(basis="quantity", method="retroactive", tiers=UNIT_TIERS))
    params = {"method": "incremental", "tiers-TOTAL_FORMS": "4", "tiers-INITIAL_FORMS": "0"}
    for i, tier in enumerate(UNIT_TIERS):
        params[f"tiers-{i}-start"], params[f"tiers-{i}-rate"] = tier["from"], tier["rate"]
    page = cast.a.client("manager").get(f"/rebates/programs/{program.pk}/simulate/", params).content.decode()
    assert "2,800.00" in page and "2,230.00" in page
    with cast.a.context():
        assert not Accrual.objects.exists() and not CalculationRun.objects.exists()


@pytest.mark.parametrize("partners", [2, 12])
def test_pages_use_a_bounded_number_of_queries(cast, django_assert_max_num_queries, partners):
    from tests.factories import PartnerFactory

    with cast.a.context():
        for n in range(partners):
            pos(PartnerFactory(code=f"X{n:03d}"), [("2026-01-15", 5 + n, "100")])
        program = load(definition(basis="quantity", method="retroactive", tiers=UNIT_TIERS))
        run = calculate(program)
        settlement = settlement_close(
            program=program, run=run, acting_membership=cast.a.memberships["finance"]
        )
        accrual = run.accruals.first()
    manager = cast.a.client("manager")
    for url in (
        "/rebates/",
        f"/rebates/runs/{run.pk}/",
        f"/rebates/settlements/{settlement.pk}/",
        f"/rebates/programs/{program.pk}/",
        "/rebates/programs/",
        f"/rebates/statements/{accrual.pk}/",
        f"/rebates/statements/{accrual.pk}/lines/",
    ):
        with django_assert_max_num_queries(40):
            assert manager.get(url).status_code == 200, url


def test_a_draft_program_is_simulated_over_history_but_never_calculated(cast):
    from rebates.definition import definition_from_data
    from rebates.services.programs import program_save

    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 140, "1000")])
        data = definition(code="DRAFT-UNITS", basis="quantity", method="retroactive", tiers=UNIT_TIERS)
        program, _changed = program_save(
            definition=definition_from_data(data), acting_membership=cast.a.memberships["manager"]
        )
        assert program.status == RebateProgram.Status.DRAFT
    manager = cast.a.client("manager")
    assert "2,800.00" in manager.get(f"/rebates/programs/{program.pk}/simulate/").content.decode()
    response = manager.post(f"/rebates/programs/{program.pk}/calculate/", follow=True)
    assert "only active programs are calculated" in response.content.decode()
    with cast.a.context():
        assert not CalculationRun.objects.exists() and not Accrual.objects.exists()
