"""The methods of DOMAIN.md over loaded POS lines: the worked examples, every tier boundary,
growth with zero and missing baselines, caps, minimum, returns and rounding per mode."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.rebates.helpers import UNIT_TIERS, accrual_of, calculate, definition, load, pos

pytestmark = pytest.mark.django_db


def _earned(cast, data, rows, partner="p1"):
    with cast.a.context():
        pos(cast.a.partners[partner], rows)
        run = calculate(load(data))
        return accrual_of(run, cast.a.partners[partner])


def test_domain_example_retroactive_pays_the_highest_tier_on_all_140_units(cast):
    a = _earned(
        cast,
        definition(basis="quantity", method="retroactive", tiers=UNIT_TIERS),
        [("2026-02-01", 140, 1000)],
    )
    assert a.measure == 140 and a.tier == 3 and a.rate == 20
    assert a.earned == Decimal("2800.00")


def test_domain_example_incremental_pays_each_band_at_its_rate(cast):
    a = _earned(
        cast,
        definition(basis="quantity", method="incremental", tiers=UNIT_TIERS),
        [("2026-02-01", 140, 1000)],
    )
    assert a.earned == Decimal("2230.00")
    assert [(b["measure"], b["rate"]) for b in a.bands] == [
        ("5", "10"),
        ("15", "12"),
        ("80", "15"),
        ("40", "20"),
    ]


@pytest.mark.parametrize(
    ("units", "tier", "retroactive", "incremental"),
    [
        (4, 0, "40.00", "40.00"),
        (5, 1, "60.00", "50.00"),  # "from 5 upward": 5 units reach the second tier
        (19, 1, "228.00", "218.00"),
        (20, 2, "300.00", "230.00"),
        (99, 2, "1485.00", "1415.00"),
        (100, 3, "2000.00", "1430.00"),
    ],
)
def test_each_tier_threshold_counts_from_that_value_upward(cast, units, tier, retroactive, incremental):
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        pos(p1, [("2026-02-01", units, 1000)])
        retro = accrual_of(
            calculate(load(definition(code="R", basis="quantity", method="retroactive", tiers=UNIT_TIERS))),
            p1,
        )
        incr = accrual_of(
            calculate(load(definition(code="I", basis="quantity", method="incremental", tiers=UNIT_TIERS))),
            p1,
        )
    assert retro.tier == tier and retro.earned == Decimal(retroactive)
    assert incr.earned == Decimal(incremental)


def test_flat_rate_on_revenue_net_of_returns_in_the_period_only(cast):
    a = _earned(
        cast,
        definition(method="flat", tiers=[{"from": "0", "rate": "0.03"}]),
        [
            ("2026-01-15", 10, "10000.00"),
            ("2026-02-15", -2, "-2000.00"),  # a return
            ("2025-12-31", 5, "5000.00"),  # before the period
            ("2026-04-01", 5, "5000.00"),  # after it
        ],
    )
    assert a.measure == Decimal("8000") and a.source_count == 2
    assert a.earned == Decimal("240.00")


def test_net_returns_above_sales_earn_nothing(cast):
    a = _earned(
        cast, definition(method="flat", tiers=[{"from": "0", "rate": "0.03"}]), [("2026-01-15", -1, "-500")]
    )
    assert a.measure == Decimal("-500") and a.earned == 0


def test_product_scope_counts_only_the_named_categories_or_skus(cast):
    data = definition(
        method="flat", tiers=[{"from": "0", "rate": "0.10"}], products={"skus": ["VLV-010"], "categories": []}
    )
    a = _earned(
        cast, data, [("2026-01-15", 1, "100", "USD", "PMP-100"), ("2026-01-16", 1, "50", "USD", "VLV-010")]
    )
    assert a.measure == Decimal("50") and a.earned == Decimal("5.00")


def _growth(cast, baseline_rows, **changes):
    data = definition(
        method="growth",
        tiers=[{"from": "0", "rate": "0.10"}],
        baseline_period={"start": "2025-01-01", "end": "2025-03-31"},
        **changes,
    )
    return _earned(cast, data, [*baseline_rows, ("2026-02-01", 1, "15000")])


def test_growth_pays_the_rate_on_the_increase_over_the_baseline(cast):
    a = _growth(cast, [("2025-02-01", 1, "10000")])
    assert a.baseline == Decimal("10000") and a.counted == Decimal("5000") and a.earned == Decimal("500.00")


def test_growth_with_a_zero_baseline_pays_on_the_whole_measure(cast):
    a = _growth(cast, [("2025-02-01", 1, "100"), ("2025-02-02", -1, "-100")])
    assert a.baseline == 0 and a.earned == Decimal("1500.00")


def test_growth_without_a_baseline_follows_the_new_partner_rule(cast):
    a = _growth(cast, [])
    assert a.baseline is None and a.earned == 0  # default: nothing


def test_growth_new_partner_rate_applies_to_the_whole_measure(cast):
    a = _growth(cast, [], new_partner_rate="0.01")
    assert a.earned == Decimal("150.00")


def test_growth_never_below_zero(cast):
    a = _growth(cast, [("2025-02-01", 1, "20000")])
    assert a.counted == 0 and a.earned == 0


def test_measure_cap_limits_what_counts(cast):
    data = definition(
        method="flat", tiers=[{"from": "0", "rate": "0.10"}], cap={"measure": "1000", "payout": None}
    )
    a = _earned(cast, data, [("2026-01-15", 1, "5000")])
    assert a.counted == Decimal("1000") and a.earned == Decimal("100.00")


def test_payout_cap_limits_the_amount(cast):
    data = definition(
        method="flat", tiers=[{"from": "0", "rate": "0.10"}], cap={"measure": None, "payout": "250"}
    )
    a = _earned(cast, data, [("2026-01-15", 1, "5000")])
    assert a.capped and a.raw_earned == Decimal("500") and a.earned == Decimal("250.00")


def test_below_the_minimum_nothing_is_earned(cast):
    data = definition(method="flat", tiers=[{"from": "0", "rate": "0.10"}], minimum="100")
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        pos(p1, [("2026-01-15", 1, "999")])
        pos(p2, [("2026-01-15", 1, "1000")])
        run = calculate(load(data))
        below, at = accrual_of(run, p1), accrual_of(run, p2)
    assert below.below_minimum and below.earned == 0
    assert not at.below_minimum and at.earned == Decimal("100.00")


@pytest.mark.parametrize(
    ("mode", "amount", "expected"),
    [
        ("half_up", "0.125", "0.13"),
        ("half_even", "0.125", "0.12"),
        ("half_even", "0.135", "0.14"),
        ("down", "0.129", "0.12"),
        ("up", "0.121", "0.13"),
    ],
)
def test_rounding_mode_applies_to_the_period_total_only(cast, mode, amount, expected):
    # Two lines of amount/2 each: rounding per line would differ from rounding the total.
    half = Decimal(amount) / 2
    data = definition(method="flat", tiers=[{"from": "0", "rate": "1"}], rounding=mode)
    a = _earned(cast, data, [("2026-01-15", 1, half), ("2026-01-16", 1, half)])
    assert a.earned == Decimal(expected)


def test_jpy_program_rounds_to_whole_yen(cast):
    data = definition(currency="JPY", method="flat", tiers=[{"from": "0", "rate": "0.015"}])
    a = _earned(cast, data, [("2026-01-15", 1, "1030", "JPY")])
    assert a.earned == Decimal("15")
