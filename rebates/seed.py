"""Demo rebates, made through the services over the demo POS lines and won deals: a program of
each method (retroactive tiers on pumps for the last full quarter, incremental tiers on valves,
a flat rate, growth over a baseline quarter, a per-unit SPIF and a per-won-deal SPIF paid to reps
where the partner opted in), each calculated; the last quarter's period is closed and approved
(payables), then a late return arrives and the next close claws the difference back."""

from __future__ import annotations

import datetime
import tempfile
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from django.db.models import Sum

from partners.models import Partner
from posdata.models import PosLine
from posdata.services import pos_file_load
from prm.accounts.models import Membership
from prm.lib.periods import quarter
from prm.roles import Role
from rebates.definition import definition_from_data
from rebates.models import RebateProgram
from rebates.services.programs import program_save
from rebates.services.runs import run_now
from rebates.services.settlements import rep_opt_in_set, settlement_approve, settlement_close


def _round(value: Decimal) -> str:
    """A readable threshold: two significant digits."""
    if value <= 0:
        return "1000"
    exponent = Decimal(10) ** (len(str(int(value))) - 2)
    return str(max((value / exponent).to_integral_value(ROUND_DOWN) * exponent, Decimal(1)))


def _top(category: str, start, end, *, quantity: bool = False) -> Decimal:
    """The best partner's measure in the window (to place the demo tiers where partners are)."""
    rows = (
        PosLine.objects.filter(invoice_date__range=(start, end), product__category=category)
        .values("partner_id")
        .annotate(total=Sum("quantity" if quantity else "amount"))
        .order_by("-total")
    )
    best = rows.first()
    return Decimal(best["total"]) if best and best["total"] else Decimal("0")


def _program(data: dict[str, Any], manager: Membership) -> RebateProgram:
    program, _changed = program_save(
        definition=definition_from_data(data), acting_membership=manager, activate=True, note="Demo"
    )
    return program


def _base(code: str, name: str, currency: str, start, end, **rest: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": code,
        "name": name,
        "currency": currency,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "basis": "revenue",
        "products": {"skus": [], "categories": []},
        "eligibility": {"partner_codes": [], "tiers": [], "types": []},
        "baseline_period": None,
        "minimum": "0",
        "cap": {"measure": None, "payout": None},
        "rounding": "half_up",
    }
    data.update(rest)
    return data


def _late_return(partner: Partner, day: datetime.date, amount: Decimal) -> None:
    """A returns file the distributor sends after the close: one big pump return."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "late-returns.csv"
        quantity = max(int(amount / Decimal("2890")), 1)
        path.write_text(
            "Invoice #,Line #,Ship Date,Item Number,Qty,Unit Price\n"
            f"RMA-{day:%Y%m%d}-1,1,{day.isoformat()},PMP-200,-{quantity},2890.00\n",
            encoding="utf-8",
        )
        pos_file_load(partner=partner, path=path, original_name="late_returns.csv")


def seed_rebates(tenant, stdout=None) -> None:
    if RebateProgram.objects.exists() or not PosLine.objects.exists():
        return
    staff = {
        m.role: m
        for m in Membership.objects.filter(is_active=True, partner__isnull=True).select_related("user")
    }
    # Maker-checker: finance closes the period, the vendor admin approves it.
    manager, finance, approver = (
        staff.get(Role.CHANNEL_MANAGER),
        staff.get(Role.FINANCE),
        staff.get(Role.VENDOR_ADMIN),
    )
    if manager is None or finance is None or approver is None:
        return
    currency = tenant.base_currency
    today = datetime.date.today()
    last_q = quarter(today, 1)
    base_q = quarter(today, 2)
    this_year = (datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31))
    this_q = quarter(today)

    top_pumps = _top("pumps", *last_q)
    pumps = _program(
        _base(
            f"PUMPS-{last_q[0]:%Y}Q{(last_q[0].month - 1) // 3 + 1}",
            "Pump volume rebate (retroactive tiers)",
            currency,
            *last_q,
            method="retroactive",
            products={"skus": [], "categories": ["pumps"]},
            tiers=[
                {"from": "0", "rate": "0"},
                {"from": _round(top_pumps * Decimal("0.2")), "rate": "0.01"},
                {"from": _round(top_pumps * Decimal("0.5")), "rate": "0.02"},
                {"from": _round(top_pumps * Decimal("0.9")), "rate": "0.03"},
            ],
        ),
        manager,
    )
    top_valves = _top("valves", *this_year, quantity=True)
    valves = _program(
        _base(
            f"VALVES-{today.year}",
            "Valve units (incremental tiers)",
            currency,
            *this_year,
            basis="quantity",
            method="incremental",
            products={"skus": [], "categories": ["valves"]},
            tiers=[
                {"from": "0", "rate": "0.50"},
                {"from": _round(top_valves * Decimal("0.3")), "rate": "0.75"},
                {"from": _round(top_valves * Decimal("0.7")), "rate": "1.00"},
            ],
            cap={"measure": None, "payout": "25000"},
        ),
        manager,
    )
    flat = _program(
        _base(
            f"LOYALTY-{today.year}",
            "Loyalty rebate (flat 0.5%)",
            currency,
            *this_year,
            method="flat",
            tiers=[{"from": "0", "rate": "0.005"}],
            minimum="50",
            eligibility={"partner_codes": [], "tiers": [], "types": ["distributor"]},
        ),
        manager,
    )
    growth = _program(
        _base(
            f"GROWTH-{last_q[0]:%Y}Q{(last_q[0].month - 1) // 3 + 1}",
            "Growth bonus over the previous quarter",
            currency,
            *last_q,
            method="growth",
            tiers=[{"from": "0", "rate": "0.03"}, {"from": "50000", "rate": "0.05"}],
            baseline_period={"start": base_q[0].isoformat(), "end": base_q[1].isoformat()},
            cap={"measure": None, "payout": "20000"},
        ),
        manager,
    )
    spif_units = _program(
        _base(
            f"SPIF-CTL-{this_q[0]:%Y}Q{(this_q[0].month - 1) // 3 + 1}",
            "Controller SPIF: per unit sold",
            currency,
            *this_q,
            basis="quantity",
            method="per_unit",
            products={"skus": ["CTL-500"], "categories": []},
            tiers=[{"from": "0", "rate": "15"}],
        ),
        manager,
    )
    for partner in Partner.objects.filter(code="D100"):
        admin = Membership.objects.filter(partner=partner, role=Role.PARTNER_ADMIN, is_active=True).first()
        if admin is not None:
            rep_opt_in_set(partner=partner, enabled=True, acting_membership=admin)
    spif_deals = _program(
        _base(
            f"SPIF-DEALS-{today.year}",
            "Registered deal SPIF: per won deal from 10,000",
            currency,
            *this_year,
            basis="deal_count",
            method="per_unit",
            tiers=[{"from": "0", "rate": "250"}],
            payee="rep",
            deals={"min_value": "10000"},
        ),
        manager,
    )
    for program in (valves, flat, growth, spif_units, spif_deals):
        run_now(program=program)

    # The last quarter: closed and paid out, then a late return claws part of it back: 15 % of the
    # top partner's quarter (a cancelled project) takes it under the top tier (90 % of the best),
    # so the retroactive rate drops on its whole volume, without making its month's sales negative.
    run = run_now(program=pumps)
    first = settlement_close(program=pumps, run=run, acting_membership=finance, note="Quarter close")
    settlement_approve(settlement=first, acting_membership=approver)
    top = run.accruals.order_by("-earned").select_related("partner").first()
    if top is not None and top.earned > 0:
        _late_return(
            top.partner, last_q[1] - datetime.timedelta(days=3), Decimal(top.measure) * Decimal("0.15")
        )
        rerun = run_now(program=pumps)
        second = settlement_close(
            program=pumps, run=rerun, acting_membership=finance, note="True-up after late returns"
        )
        settlement_approve(settlement=second, acting_membership=approver)
    if stdout is not None:
        stdout.write(
            f"  {tenant.slug}: {RebateProgram.objects.count()} rebate programs calculated, one period closed"
        )
