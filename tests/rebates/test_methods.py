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
