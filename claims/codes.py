"""The claim line codes of DOMAIN.md: what each means, whether it rejects or adjusts the line,
the X12 element 901 reason it maps to (for an EDI 849 response), and the plain-language
explanation partners see."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

REJECT = "reject"
ADJUST = "adjust"


@dataclass(frozen=True)
class Code:
    code: str
    effect: str
    x12: str
    rule: str | Promise
    explanation: str | Promise


CODES: tuple[Code, ...] = (
    Code(
        "INVALID_DATA",
        REJECT,
        "15",
        _("A required field is missing or unparsable, or the quantity is not positive."),
        _(
            "Some values of this line are missing or could not be read; correct them and submit the line again."
        ),
    ),
    Code(
        "UNKNOWN_AGREEMENT",
        REJECT,
        "11",
        _("No agreement with that number."),
        _("We have no special pricing agreement with this number."),
    ),
    Code(
        "AGREEMENT_NOT_FOR_DISTRIBUTOR",
        REJECT,
        "01",
        _("The agreement belongs to another partner."),
        _("This agreement was not issued to your company."),
    ),
    Code(
        "AGREEMENT_CANCELLED",
        REJECT,
        "10",
        _("The agreement is cancelled."),
        _("The agreement was cancelled, so no debit can be claimed under it."),
    ),
    Code(
        "SHIP_DATE_IN_FUTURE",
        REJECT,
        "18",
        _("Ship date after the claim date."),
        _("The ship date is later than the claim date."),
    ),
    Code(
        "SHIP_DATE_BEFORE_START",
        REJECT,
        "19",
        _("Ship date before the agreement start."),
        _("The goods shipped before the agreement started."),
    ),
    Code(
        "AGREEMENT_EXPIRED",
        REJECT,
        "02",
        _("Ship date after the agreement end."),
        _("The goods shipped after the agreement ended."),
    ),
    Code(
        "SKU_NOT_ON_AGREEMENT",
        REJECT,
        "03",
        _("The SKU has no line on the agreement."),
        _("This product is not covered by the agreement."),
    ),
    Code(
        "UOM_NOT_CONVERTIBLE",
        REJECT,
        "15",
        _("The unit cannot be converted to the agreement's unit."),
        _("We cannot convert this unit of measure into eaches for this product."),
    ),
    Code(
        "END_CUSTOMER_MISMATCH",
        REJECT,
        "26",
        _("The end customer differs from the agreement's."),
        _("The end customer is not the one named on the agreement."),
    ),
    Code(
        "DUPLICATE_LINE",
        REJECT,
        "28",
        _("Same invoice number and line already accepted."),
        _("This invoice line was already claimed and accepted (in another claim or earlier in this one)."),
    ),
    Code(
        "CLAIM_PAST_WINDOW",
        REJECT,
        "29",
        _("Claimed more than the claim window after shipping."),
        _("The line was claimed too long after the ship date."),
    ),
    Code(
        "RESALE_ABOVE_MAXIMUM",
        REJECT,
        "16",
        _("Resale price above the agreement's maximum."),
        _("The resale price is above the maximum the agreement allows."),
    ),
    Code(
        "NO_QUANTITY_LEFT",
        REJECT,
        "05",
        _("The authorised quantity is fully consumed."),
        _("The agreement's authorised quantity for this product is used up."),
    ),
    Code(
        "QUANTITY_EXCEEDED",
        ADJUST,
        "04",
        _("Only part of the quantity remains."),
        _("Only part of the quantity was still authorised; we accepted what remained."),
    ),
    Code(
        "DEBIT_EXCEEDS_ALLOWED",
        ADJUST,
        "07",
        _("Claimed debit per unit above the allowed debit."),
        _("The debit claimed per unit is above the agreed amount; we pay the agreed debit."),
    ),
)

BY_CODE = {c.code: c for c in CODES}
REJECTING = tuple(c.code for c in CODES if c.effect == REJECT)
ADJUSTING = tuple(c.code for c in CODES if c.effect == ADJUST)


def x12_code(code: str) -> str:
    return BY_CODE[code].x12


def explain(code: str) -> str:
    known = BY_CODE.get(code)
    return str(known.explanation) if known else code
