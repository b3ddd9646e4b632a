"""The partners app's answer to finance's payout-details registry (``prm.finance.payout_details``):
status and masked values for many partners in one query, clear values for one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from partners.models import PayoutDetails
from prm.finance.payout_details import OK, UNVERIFIED, PayoutDetailsView


def payout_details_statuses(partner_ids: Iterable[int]) -> dict[int, PayoutDetailsView]:
    rows = PayoutDetails.objects.filter(partner_id__in=list(partner_ids))
    return {
        d.partner_id: PayoutDetailsView(status=OK if d.is_verified else UNVERIFIED, masked=d.masked())
        for d in rows
    }


def payout_details_full(partner_ids: Iterable[int]) -> dict[int, Mapping[str, str]]:
    return {
        d.partner_id: {
            "account_holder": d.account_holder,
            "account_number": d.account_number,
            "bank_code": d.bank_code,
            "tax_id": d.tax_id,
        }
        for d in PayoutDetails.objects.filter(partner_id__in=list(partner_ids))
    }
