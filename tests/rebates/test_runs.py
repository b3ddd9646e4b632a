"""Calculation runs: conversion through the money core's rates (a missing rate is a clear error),
per-won-deal SPIFs, eligibility, reproducibility, late data, the command's JSON and the simulator."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from deals.models import DealRegistration
from partners.models import Program, Tier
from prm.finance.models import FxRate
from rebates.definition import definition_from_data
from rebates.models import Accrual, CalculationRun
from rebates.services.programs import current_definition
from rebates.services.runs import current_simulation, program_simulate, run_now
from rebates.statements import source_check, source_lines
from tests.rebates.helpers import PROGRAM, UNIT_TIERS, accrual_of, calculate, definition, load, pos

pytestmark = pytest.mark.django_db


def test_lines_in_other_currencies_convert_at_the_invoice_date_rate(cast):
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 1, 1),
            rate=Decimal("1.10"),
            source="ECB",
        )
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 2, 1),
            rate=Decimal("1.20"),
            source="ECB",
        )
        p1 = cast.a.partners["p1"]
        pos(
            p1,
            [
                ("2026-01-15", 1, "1000", "EUR"),
                ("2026-02-15", 1, "1000", "EUR"),
                ("2026-02-16", 1, "100", "USD"),
            ],
        )
        run = calculate(load(definition(method="flat", tiers=[{"from": "0", "rate": "0.10"}])))
        a = accrual_of(run, p1)
    assert a.measure == Decimal("2400")  # 1100 + 1200 + 100
    assert a.earned == Decimal("240.00")
    assert {r["rate"] for r in run.fx_rates} == {"1.100000000000", "1.200000000000"}


def test_a_missing_rate_fails_the_run_naming_the_pair_and_date_and_stores_nothing(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 1, "1000", "GBP")])
        program = load(definition(method="flat", tiers=[{"from": "0", "rate": "0.10"}]))
        run = run_now(program=program)
        assert run.status == CalculationRun.Status.FAILED
        assert "GBP" in run.error and "USD" in run.error and "2026-01-15" in run.error
        assert not Accrual.objects.exists()
        with pytest.raises(CommandError, match="GBP"):
            call_command(
                "rebates_calculate",
                "--tenant",
                "acme",
                "--program",
                program.code,
                "--json",
                stdout=io.StringIO(),
            )


def _won(partner, value, closed_on="2026-02-10", owner=None, currency="USD"):
    return DealRegistration.objects.create(
        partner=partner,
        status=DealRegistration.Status.WON,
        currency=currency,
        value=Decimal(value),
        closed_value=Decimal(value),
        closed_on=datetime.date.fromisoformat(closed_on),
        customer_name="Customer",
        owner=owner,
    )


def test_per_won_deal_spif_pays_an_amount_per_deal_above_the_value(cast):
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        big, _small, _late = _won(p1, "20000"), _won(p1, "5000"), _won(p1, "30000", closed_on="2026-05-01")
        data = definition(
            basis="deal_count",
            method="per_unit",
            tiers=[{"from": "0", "rate": "250"}],
            deals={"min_value": "10000"},
        )
        a = accrual_of(calculate(load(data)), p1)
    assert a.source == "deals" and a.source_ids == [big.pk]
    assert a.measure == 1 and a.earned == Decimal("250.00")


def test_per_won_deal_spif_as_a_percentage_of_the_value(cast):
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        _won(p1, "20000")
        _won(p1, "12000")
        data = definition(basis="deal_value", method="flat", tiers=[{"from": "0", "rate": "0.01"}])
        a = accrual_of(calculate(load(data)), p1)
    assert a.measure == Decimal("32000") and a.earned == Decimal("320.00")


def test_rep_spifs_go_to_the_deal_owner_only_where_the_partner_opted_in(cast):
    from rebates.services.settlements import rep_opt_in_set

    with cast.a.context():
        p1 = cast.a.partners["p1"]
        rep = cast.a.users["p1_user"]
        _won(p1, "20000", owner=rep)
        data = definition(
            code="SPIF-REP",
            basis="deal_count",
            method="per_unit",
            tiers=[{"from": "0", "rate": "100"}],
            payee="rep",
        )
        program = load(data)
        before = calculate(program).accruals.get()
        rep_opt_in_set(partner=p1, enabled=True, acting_membership=cast.a.memberships["p1_admin"])
        after = calculate(program).accruals.get()
    assert before.payee_user_id is None
    assert after.payee_user_id == rep.pk and after.earned == Decimal("100.00")


def test_eligibility_lists_and_tiers_without_rebate_benefits(cast):
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        program = Program.objects.create(name="Distributors")
        no_rebates = Tier.objects.create(program=program, name="Basic", rank=0, rebate_eligible=False)
        p2.current_tier = no_rebates
        p2.save(update_fields=["current_tier"])
        pos(p1, [("2026-01-15", 1, "1000")])
        pos(p2, [("2026-01-15", 1, "1000")])
        everyone = calculate(
            load(definition(code="ALL", method="flat", tiers=[{"from": "0", "rate": "0.1"}]))
        )
        everyone_codes = list(everyone.accruals.values_list("partner__code", flat=True))
        named = calculate(
            load(
                definition(
                    code="NAMED",
                    method="flat",
                    tiers=[{"from": "0", "rate": "0.1"}],
                    eligibility={"partner_codes": ["D200"], "tiers": [], "types": []},
                )
            )
        )
        named_count = named.accruals.count()
    assert everyone_codes == ["D100"]
    assert named_count == 0


def _rows(run):
    return list(
        run.accruals.order_by("partner_id", "payee_user_id").values_list(
            "partner_id",
            "payee_user_id",
            "source_ids",
            "source_count",
            "measure",
            "baseline",
            "counted",
            "tier",
            "tier_from",
            "rate",
            "bands",
            "raw_earned",
            "capped",
            "below_minimum",
            "earned",
            "paid_before",
            "due",
        )
    )


def test_the_same_inputs_give_identical_results_row_by_row(cast):
    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 1, 1),
            rate=Decimal("1.0832"),
            source="ECB",
        )
        for key in ("p1", "p2"):
            pos(
                cast.a.partners[key],
                [
                    (f"2026-0{m}-1{d}", m * d, f"{m * 1234.56 + d}", "EUR" if d % 2 else "USD")
                    for m in (1, 2, 3)
                    for d in range(1, 8)
                ],
            )
        program = load(
            definition(
                basis="revenue",
                method="incremental",
                tiers=[{"from": "0", "rate": "0.01"}, {"from": "20000", "rate": "0.025"}],
            )
        )
        first, second = calculate(program), calculate(program)
        rows_first, rows_second = _rows(first), _rows(second)
        definition_ = current_definition(program)
        for a, b in zip(
            first.accruals.order_by("partner_id"), second.accruals.order_by("partner_id"), strict=True
        ):
            assert source_lines(a, definition_) == source_lines(b, definition_)
    assert first.pk != second.pk
    assert rows_first == rows_second and len(rows_first) == 2
    assert (first.total_earned, first.fx_rates) == (second.total_earned, second.fx_rates)


def test_late_pos_data_shows_as_a_difference_in_the_next_run(cast):
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        pos(p1, [("2026-01-15", 1, "1000")])
        program = load(definition(method="flat", tiers=[{"from": "0", "rate": "0.1"}]))
        first = accrual_of(calculate(program), p1)
        definition_ = current_definition(program)
        before = {row[0] for row in source_lines(first, definition_)}
        late = pos(p1, [("2026-01-20", 1, "500")])
        second = accrual_of(calculate(program), p1)
        assert {row[0] for row in source_lines(first, definition_)} == before  # the first run's lines
        after = {row[0] for row in source_lines(second, definition_)}
        assert source_check(second, definition_) == (2, Decimal("1500"))
    assert second.earned - first.earned == Decimal("50.00")
    assert after - before == {late[0].pk}


def test_rebates_calculate_prints_the_interfaces_json(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 10, "60000.00")])
        pos(cast.a.partners["p2"], [("2026-02-15", 1, "1000.00")])
        load(PROGRAM)  # pumps only; PMP-100 is a pump
    out = io.StringIO()
    call_command("rebates_calculate", "--tenant", "acme", "--program", "Q1-PUMPS", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "program": "Q1-PUMPS",
        "currency": "USD",
        "partners": [
            {
                "partner": "D100",
                "measure": "60000.00",
                "earned": "1200.00",
                "paid_before": "0.00",
                "due": "1200.00",
            },
            {"partner": "D200", "measure": "1000.00", "earned": "0.00", "paid_before": "0.00", "due": "0.00"},
        ],
        "total_due": "1200.00",
    }


def test_quantity_measures_print_as_integers(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 140, "1000")])
        load(definition(basis="quantity", method="incremental", tiers=UNIT_TIERS))
    out = io.StringIO()
    call_command("rebates_calculate", "--tenant", "acme", "--program", "Q1-PUMPS", "--json", stdout=out)
    assert json.loads(out.getvalue())["partners"][0] == {
        "partner": "D100",
        "measure": 140,
        "earned": "2230.00",
        "paid_before": "0.00",
        "due": "2230.00",
    }


def test_unknown_program_is_a_one_line_error(cast):
    with pytest.raises(CommandError, match="Unknown program"):
        call_command("rebates_calculate", "--tenant", "acme", "--program", "NOPE", stdout=io.StringIO())


def test_the_simulator_computes_changed_tiers_without_touching_the_ledger(cast):
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        pos(p1, [("2026-01-15", 140, "1000")])
        program = load(definition(basis="quantity", method="retroactive", tiers=UNIT_TIERS))
        calculate(program)
        before = (CalculationRun.objects.count(), Accrual.objects.count())
        changed = definition_from_data(definition(basis="quantity", method="incremental", tiers=UNIT_TIERS))
        simulated = program_simulate(program=program, definition=changed)
        current = current_simulation(program)
        after = (CalculationRun.objects.count(), Accrual.objects.count())
    assert before == after
    assert [s.earned for s in simulated] == [Decimal("2230.00")]
    assert [s.earned for s in current] == [Decimal("2800.00")]
