"""Every code of DOMAIN.md's table alone and in combination, unit conversion, cumulative quantity
across claims, duplicates within and across claims and the resubmission exemption."""

from __future__ import annotations

import datetime

import pytest

from claims.models import AgreementLine, ClaimSettings
from claims.services.agreements import agreement_cancel
from tests.claims.helpers import START, agreement, line, product, submit, verdicts

pytestmark = pytest.mark.django_db


def _one(cast, claim_line, **agreement_options):
    agreement(cast, **agreement_options)
    claim = submit(cast, [claim_line])
    ((status, codes, quantity, amount),) = verdicts(claim)
    return status, codes, quantity, amount


def test_a_clean_line_is_accepted_at_the_claimed_debit_and_consumes_its_quantity(cast):
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line()])
        assert claim.status == "in_review"
        assert verdicts(claim) == [("accepted", [], 2, "40.0000")]
        assert str(claim.approved_total) == "40.0000"
        assert AgreementLine.objects.get().consumed_quantity == 2


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"invoice_number": ""}, "INVALID_DATA"),
        ({"ship_date": "31.02.2026"}, "INVALID_DATA"),
        ({"quantity": "0"}, "INVALID_DATA"),
        ({"quantity": "-3"}, "INVALID_DATA"),
        ({"quantity": "abc"}, "INVALID_DATA"),
        ({"claimed_unit_debit": ""}, "INVALID_DATA"),
        ({"agreement_number": "SPA-404"}, "UNKNOWN_AGREEMENT"),
        ({"ship_date": "2026-07-05"}, "SHIP_DATE_IN_FUTURE"),
        ({"ship_date": "2026-04-20"}, "SHIP_DATE_BEFORE_START"),
        ({"sku": "VLV-010"}, "SKU_NOT_ON_AGREEMENT"),
        ({"unit_of_measure": "KG"}, "UOM_NOT_CONVERTIBLE"),
        ({"end_customer": "Initech Municipal"}, "END_CUSTOMER_MISMATCH"),
        ({"ship_date": "2026-03-01"}, "CLAIM_PAST_WINDOW"),
        ({"resale_price": "130.00"}, "RESALE_ABOVE_MAXIMUM"),
    ],
)
def test_each_rejecting_code_alone_rejects_the_line(cast, values, code):
    with cast.a.context():
        product("VLV-010")
        start = datetime.date(2026, 5, 1) if code == "SHIP_DATE_BEFORE_START" else START
        status, codes, quantity, amount = _one(
            cast, line(**values), start=start, lines=[("PMP-100", "100.00", "80.00", 10, "120.00")]
        )
    assert (status, codes, quantity, amount) == ("rejected", [code], 0, "0.0000")


def test_agreement_of_another_distributor_is_rejected_and_its_terms_are_not_checked(cast):
    with cast.a.context():
        agreement(cast, partner="p2", customer="Someone Else")
        claim = submit(cast, [line(sku="NOPE-1", ship_date="2025-01-01")])
    ((status, codes, _q, _a),) = verdicts(claim)
    # Not SHIP_DATE_BEFORE_START, SKU_NOT_ON_AGREEMENT or END_CUSTOMER_MISMATCH: skipped.
    assert status == "rejected"
    assert codes == ["AGREEMENT_NOT_FOR_DISTRIBUTOR", "CLAIM_PAST_WINDOW"]


def test_cancelled_and_expired_agreements_reject(cast):
    with cast.a.context():
        spa = agreement(cast, end=datetime.date(2026, 5, 31))
        agreement_cancel(agreement=spa, acting_membership=cast.a.memberships["manager"], reason="stopped")
        claim = submit(cast, [line()])
    assert verdicts(claim) == [("rejected", ["AGREEMENT_CANCELLED", "AGREEMENT_EXPIRED"], 0, "0.0000")]


def test_a_debit_above_the_allowed_debit_is_adjusted_to_the_allowed_debit(cast):
    with cast.a.context():
        status, codes, quantity, amount = _one(cast, line(claimed_unit_debit="25.00", quantity="3"))
    assert (status, codes, quantity, amount) == ("adjusted", ["DEBIT_EXCEEDS_ALLOWED"], 3, "60.0000")


def test_quantity_is_cumulative_across_claims_partly_then_nothing_left(cast):
    with cast.a.context():
        agreement(cast)  # 10 authorised
        first = submit(cast, [line(quantity="7")], number="DM-1")
        second = submit(cast, [line(invoice_number="INV-2", quantity="5")], number="DM-2")
        third = submit(cast, [line(invoice_number="INV-3", quantity="1")], number="DM-3")
        consumed = AgreementLine.objects.get().consumed_quantity
    assert verdicts(first) == [("accepted", [], 7, "140.0000")]
    assert verdicts(second) == [("adjusted", ["QUANTITY_EXCEEDED"], 3, "60.0000")]
    assert verdicts(third) == [("rejected", ["NO_QUANTITY_LEFT"], 0, "0.0000")]
    assert consumed == 10


def test_lines_of_one_claim_consume_in_line_order(cast):
    with cast.a.context():
        agreement(cast)
        claim = submit(
            cast,
            [
                line(invoice_line="1", quantity="6"),
                line(invoice_line="2", quantity="6"),
                line(invoice_line="3", quantity="6"),
            ],
        )
    assert [v[:3] for v in verdicts(claim)] == [
        ("accepted", [], 6),
        ("adjusted", ["QUANTITY_EXCEEDED"], 4),
        ("rejected", ["NO_QUANTITY_LEFT"], 0),
    ]


def test_adjusting_codes_combine_and_the_amount_uses_the_smaller_debit_and_remaining_quantity(cast):
    with cast.a.context():
        agreement(cast, lines=[("PMP-100", "100.00", "80.00", 4)])
        claim = submit(cast, [line(quantity="6", claimed_unit_debit="30.00")])
    assert verdicts(claim) == [("adjusted", ["QUANTITY_EXCEEDED", "DEBIT_EXCEEDS_ALLOWED"], 4, "80.0000")]


def test_all_failures_are_recorded_together_and_a_rejected_line_consumes_nothing(cast):
    with cast.a.context():
        agreement(cast, lines=[("PMP-100", "100.00", "80.00", 10, "120.00")])
        claim = submit(
            cast,
            [
                line(
                    ship_date="2026-07-02",
                    end_customer="Other Corp",
                    resale_price="150",
                    claimed_unit_debit="30",
                )
            ],
        )
        consumed = AgreementLine.objects.get().consumed_quantity
    ((status, codes, quantity, amount),) = verdicts(claim)
    assert status == "rejected"
    assert codes == [
        "SHIP_DATE_IN_FUTURE",
        "END_CUSTOMER_MISMATCH",
        "RESALE_ABOVE_MAXIMUM",
        "DEBIT_EXCEEDS_ALLOWED",
    ]
    assert (quantity, amount, consumed) == (0, "0.0000", 0)


def test_invalid_data_combines_with_the_other_codes_and_names_the_column(cast):
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line(quantity="", agreement_number="SPA-9")])
        row = claim.lines.get()
    assert row.codes == ["INVALID_DATA", "UNKNOWN_AGREEMENT"]
    assert [(p["column"], p["message"]) for p in row.problems] == [("quantity", "A value is required.")]


def test_cases_convert_to_eaches_before_the_quantity_check(cast):
    with cast.a.context():
        product("PMP-100").__class__.objects.filter(sku="PMP-100").update(units_per_case=6)
        agreement(cast, lines=[("PMP-100", "100.00", "80.00", 10)])
        claim = submit(cast, [line(quantity="2", unit_of_measure="CS")])
        row = claim.lines.get()
    assert (row.quantity_base, row.status, row.codes, row.accepted_quantity) == (
        12,
        "adjusted",
        ["QUANTITY_EXCEEDED"],
        10,
    )
    assert str(row.amount) == "200.0000"


def test_european_numbers_and_a_fractional_each_quantity(cast):
    with cast.a.context():
        agreement(cast)
        claim = submit(
            cast, [line(claimed_unit_debit="1.234,5", quantity="1"), line(invoice_line="2", quantity="1.5")]
        )
    assert verdicts(claim)[0][:2] == ("adjusted", ["DEBIT_EXCEEDS_ALLOWED"])
    assert verdicts(claim)[1][:2] == ("rejected", ["INVALID_DATA"])


def test_duplicate_within_a_claim_and_across_claims(cast):
    with cast.a.context():
        agreement(cast)
        first = submit(cast, [line(), line()], number="DM-1")
        second = submit(cast, [line()], number="DM-2")
    assert [v[:2] for v in verdicts(first)] == [("accepted", []), ("rejected", ["DUPLICATE_LINE"])]
    assert verdicts(second)[0][:2] == ("rejected", ["DUPLICATE_LINE"])


def test_a_rejected_line_does_not_make_a_later_one_a_duplicate(cast):
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line(sku="PMP-999"), line()])
    assert [v[:2] for v in verdicts(claim)] == [("rejected", ["SKU_NOT_ON_AGREEMENT"]), ("accepted", [])]


def test_a_resubmission_of_a_rejected_line_is_not_a_duplicate(cast):
    with cast.a.context():
        agreement(cast)
        first = submit(cast, [line(end_customer="Wrong Customer")], number="DM-1")
        original = first.lines.get()
        second = submit(cast, [line(resubmission_of=original.pk)], number="DM-2")
        fixed = second.lines.get()
    assert original.codes == ["END_CUSTOMER_MISMATCH"]
    assert (fixed.status, fixed.codes, fixed.resubmission_of_id) == ("accepted", [], original.pk)


def test_the_claim_window_is_a_tenant_setting(cast):
    with cast.a.context():
        ClaimSettings.objects.create(claim_window_days=200)
        status, codes, _q, _a = _one(cast, line(ship_date="2026-03-01"))
    assert (status, codes) == ("accepted", [])
