"""The conversion service: the latest rate on or before the date, inverse rates, corrections, and a
clear error naming the pair and the date when no rate exists (never a silent 1.0). The SQL
version used by set-based sums follows the same rule."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from prm.finance.models import FxRate
from prm.finance.rates import MissingRate, convert, converted_sums_of_sql, rate_for

pytestmark = pytest.mark.django_db

D = datetime.date


def _rate(base, quote, day, rate, source="ECB"):
    return FxRate.objects.create(
        base_currency=base, quote_currency=quote, rate_date=day, rate=Decimal(rate), source=source
    )


@pytest.fixture
def rates(cast):
    with cast.a.context():
        _rate("EUR", "USD", D(2026, 3, 1), "1.10")
        _rate("EUR", "USD", D(2026, 3, 10), "1.20")
        _rate("USD", "JPY", D(2026, 3, 1), "150")
        _rate("KWD", "USD", D(2026, 3, 1), "3.25")
    return cast


def test_rate_on_its_date_is_used(rates):
    with rates.a.context():
        result = convert(Decimal("100"), from_currency="EUR", to_currency="USD", day=D(2026, 3, 10))
    assert result.amount == Decimal("120.00")
    assert (result.rate.rate, result.rate.rate_date, result.rate.source) == (
        Decimal("1.2"),
        D(2026, 3, 10),
        "ECB",
    )


def test_between_rate_dates_the_latest_earlier_rate_is_used(rates):
    with rates.a.context():
        assert convert(
            Decimal("100"), from_currency="EUR", to_currency="USD", day=D(2026, 3, 9)
        ).amount == Decimal("110.00")
        assert convert(
            Decimal("100"), from_currency="EUR", to_currency="USD", day=D(2026, 12, 31)
        ).amount == Decimal("120.00")


def test_before_the_first_rate_the_conversion_fails_naming_pair_and_date(rates):
    with rates.a.context(), pytest.raises(MissingRate) as info:
        convert(Decimal("100"), from_currency="EUR", to_currency="USD", day=D(2026, 2, 28))
    message = str(info.value)
    assert "EUR" in message and "USD" in message and "2026-02-28" in message
    assert (info.value.base, info.value.quote, info.value.day) == ("EUR", "USD", D(2026, 2, 28))


def test_a_pair_without_any_rate_is_an_error_not_one(rates):
    with rates.a.context(), pytest.raises(MissingRate, match="GBP"):
        convert(Decimal("1"), from_currency="GBP", to_currency="USD", day=D(2026, 3, 5))


def test_the_inverse_rate_is_used_when_only_the_other_direction_is_stored(rates):
    with rates.a.context():
        to_eur = convert(Decimal("1100"), from_currency="USD", to_currency="EUR", day=D(2026, 3, 5))
        to_usd = convert(Decimal("15000"), from_currency="JPY", to_currency="USD", day=D(2026, 3, 5))
    assert to_eur.rate.inverse and to_eur.rate.rate == Decimal("0.909090909091")
    assert to_eur.amount == Decimal("1000.00")
    assert to_usd.amount == Decimal("100.00") and to_usd.rate.rate == Decimal("0.006666666667")


def test_jpy_and_kwd_round_to_their_minor_units(rates):
    with rates.a.context():
        yen = convert(Decimal("10.005"), from_currency="USD", to_currency="JPY", day=D(2026, 3, 5))
        dinar = convert(Decimal("100"), from_currency="USD", to_currency="KWD", day=D(2026, 3, 5))
    assert yen.amount == Decimal("1501")  # 1500.75 half-up to no decimals
    assert dinar.amount == Decimal("30.769")  # 100 / 3.25 = 30.769230...
    assert dinar.amount.as_tuple().exponent == -3


def test_a_correction_is_a_new_row_that_wins_and_earlier_conversions_keep_their_rate(rates):
    with rates.a.context():
        before = convert(Decimal("100"), from_currency="EUR", to_currency="USD", day=D(2026, 3, 10))
        _rate("EUR", "USD", D(2026, 3, 10), "1.25", source="finance correction")
        after = convert(Decimal("100"), from_currency="EUR", to_currency="USD", day=D(2026, 3, 10))
    assert before.as_record()["rate"]["rate"] == "1.200000000000" and before.amount == Decimal("120.00")
    assert after.amount == Decimal("125.00") and after.rate.source == "finance correction"


def test_on_the_same_date_the_direct_rate_wins_over_the_inverse(rates):
    with rates.a.context():
        _rate("USD", "EUR", D(2026, 3, 10), "0.5")
        assert rate_for("EUR", "USD", D(2026, 3, 10)).rate == Decimal("1.2")
        assert rate_for("USD", "EUR", D(2026, 3, 10)).rate == Decimal("0.5")
        # A later inverse rate is the latest rate: it is used.
        _rate("USD", "EUR", D(2026, 3, 11), "0.8")
        assert rate_for("EUR", "USD", D(2026, 3, 11)).rate == Decimal("1.25")


def test_rates_of_another_tenant_are_never_used(rates):
    with rates.b.context(), pytest.raises(MissingRate):
        rate_for("EUR", "USD", D(2026, 3, 10))


def test_same_currency_needs_no_rate_and_keeps_the_amount(rates):
    with rates.a.context():
        result = convert(Decimal("12.345"), from_currency="USD", to_currency="USD", day=D(2000, 1, 1))
    assert result.amount == Decimal("12.35") and result.rate is None


@pytest.mark.parametrize(
    "currency,day",
    [
        ("EUR", D(2026, 3, 1)),
        ("EUR", D(2026, 3, 9)),
        ("EUR", D(2026, 3, 10)),
        ("EUR", D(2027, 1, 1)),
        ("JPY", D(2026, 3, 1)),
        ("JPY", D(2026, 6, 1)),
        ("KWD", D(2026, 3, 2)),
    ],
)
def test_sql_and_python_pick_the_same_rate(rates, currency, day):
    with rates.a.context():
        _rate("USD", "EUR", D(2026, 3, 10), "0.5")  # same date as a direct EUR/USD rate: direct wins
        expected = rate_for(currency, "USD", day)
        sums = converted_sums_of_sql(
            "SELECT %s::text AS fx_cur, %s::date AS fx_day, 1000::numeric AS fx_amount",
            target="USD",
            params=[currency, day],
        )
    assert sums.complete
    assert sums.converted() == (Decimal("1000") * expected.rate).quantize(Decimal("0.01"))
    (record,) = sums.rates
    assert (Decimal(record["rate"]), record["rate_date"], record["inverse"]) == (
        expected.rate,
        expected.rate_date.isoformat(),
        expected.inverse,
    )


def test_sql_sums_name_the_missing_pair_and_day_and_fall_back_to_per_currency(rates):
    with rates.a.context():
        sums = converted_sums_of_sql(
            "SELECT * FROM (VALUES ('EUR', '2026-03-05'::date, 10.00::numeric, 7), ('GBP', '2026-03-04'::date, 5.5, 9),"
            " ('GBP', '2026-03-06'::date, 1, 12), ('USD', '2026-01-01'::date, 2, 3)) v(fx_cur, fx_day, fx_amount, fx_line)",
            target="USD",
            lines=True,
        )
    assert not sums.complete
    (missing,) = sums.missing
    assert (missing.base, missing.quote, missing.day, missing.line) == ("GBP", "USD", D(2026, 3, 4), 9)
    with pytest.raises(MissingRate, match="2026-03-04"):
        sums.require_complete()
    assert [(m.amount, m.currency) for m in sums.totals()] == [
        (Decimal("10.00"), "EUR"),
        (Decimal("6.50"), "GBP"),
        (Decimal("2.00"), "USD"),
    ]
