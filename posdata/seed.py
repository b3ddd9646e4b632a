"""Demo data of POS: a year of invoices per demo partner in its ERP's export style (with a few
realistic mistakes) and weekly inventory snapshots, loaded through the same fast path as partner
files (registered as a seed step in PosdataConfig.ready)."""

from __future__ import annotations

import datetime
import random
import tempfile
from decimal import Decimal
from pathlib import Path

from partners.models import Partner
from posdata.models import PosLine, SkuXref
from posdata.services import pos_file_load
from prm.catalog.models import Product

# Demo files: partner code -> (share of lines, style). Styles mimic what ERPs export.
SEED_PARTNERS = {
    "D100": (0.45, "partner_sku"),
    "D200": (0.35, "us"),
    "R300": (0.20, "european"),
    "R100": (1.0, "european"),
}
SEED_LINES = {"acme": 210_000, "globex": 3_000}


def _fmt_number(value: Decimal, style: str) -> str:
    text = f"{value:,.2f}"
    if style == "european":
        return text.replace(",", " ").replace(".", ",").replace(" ", ".")
    if style == "us":
        return "$" + text
    return f"{value:.2f}"


def _fmt_date(day: datetime.date, style: str) -> str:
    if style == "european":
        return day.strftime("%d.%m.%Y")
    if style == "us":
        return day.strftime("%m/%d/%Y")
    return day.isoformat()


def write_demo_pos_file(
    path: Path,
    *,
    products: list,
    partner_code: str,
    style: str,
    lines: int,
    end: datetime.date,
    rng: random.Random,
) -> None:
    """A year of invoices in the partner's export style, with a few realistic mistakes."""
    delimiter = ";" if style == "european" else ","
    headers = {
        "partner_sku": [
            "Invoice No",
            "Line",
            "Invoice Date",
            "Partner SKU",
            "Qty",
            "UOM",
            "Unit Price",
            "Ext Price",
            "End User",
            "Country",
            "Zip",
        ],
        "us": [
            "Invoice #",
            "Line #",
            "Ship Date",
            "Item Number",
            "Qty",
            "UOM",
            "Unit Price",
            "Ext Price",
            "Customer",
            "Country",
            "Zip",
        ],
        "european": [
            "Rechnung",
            "Pos",
            "Datum",
            "Artikel",
            "Menge",
            "ME",
            "Preis",
            "Betrag",
            "Kunde",
            "Land",
            "PLZ",
        ],
    }[style]
    customers = [
        f"{name} {suffix}"
        for name in ("Alpine", "Baltic", "Cobalt", "Delta", "Evergreen", "Fjord", "Granite", "Harbor")
        for suffix in ("Works", "Utilities", "Farms", "Plant")
    ]
    weights = [8, 5, 3, 6, 4, 4, 7, 2][: len(products)] or [1]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(delimiter.join(headers) + "\n")
        invoice, line_no = 0, 0
        for i in range(lines):
            if line_no == 0 or rng.random() < 0.35:
                invoice += 1
                line_no = 0
                day = end - datetime.timedelta(days=int(365 * (1 - (i / lines))) - rng.randint(0, 3))
                day = min(day, end)
                customer = rng.choice(customers)
            line_no += 1
            product = rng.choices(products, weights=weights[: len(products)])[0]
            sku, price, per_case = product
            quantity = max(1, round(rng.randint(1, 12) * demand(day, end)))
            uom = "EA"
            if per_case > 1 and rng.random() < 0.1:
                uom = "CS"
            if rng.random() < 0.03:
                quantity = -quantity  # a return
            unit_price = (price * Decimal(rng.choice(["0.82", "0.86", "0.9", "0.95"]))).quantize(
                Decimal("0.01")
            )
            if uom == "CS":
                unit_price *= per_case
            extended = unit_price * quantity
            code = f"{partner_code}-{sku}" if style == "partner_sku" else sku
            if rng.random() < 0.0015:
                code = f"X-{rng.randint(100, 104)}"  # not mapped yet: exception queue
            date_text = _fmt_date(day, style)
            if rng.random() < 0.0005:
                date_text = "31.02.2025" if style == "european" else "02/31/2025"
            values = [
                f"{partner_code[0]}{invoice:07d}",
                str(line_no),
                date_text,
                code,
                str(quantity),
                uom,
                _fmt_number(unit_price, style),
                _fmt_number(extended, style),
                customer,
                "DE" if style == "european" else "US",
                f"{rng.randint(10000, 99999)}",
            ]
            out.write(delimiter.join(f'"{v}"' if delimiter in v else v for v in values) + "\n")


def demand(day: datetime.date, end: datetime.date) -> float:
    """How busy the demo's sales are on ``day``: growing about 80 % over the year, so the forecast
    page has a trend to find. (No season: a year of history cannot show one.)"""
    year_done = 1 - min(max((end - day).days, 0), 365) / 365
    return 0.75 + 0.6 * year_done


def write_demo_inventory_file(
    path: Path,
    *,
    products: list,
    weeks: int,
    end: datetime.date,
    rng: random.Random,
    weekly_units: dict[str, int],
) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Week Ending,Item,On Hand,On Order,In Transit,Received,Sold\n")
        for sku, _price, _per_case in products:
            weekly = max(weekly_units.get(sku, 0), 1)
            stock = weekly * rng.randint(3, 14)
            for week in range(weeks, 0, -1):
                day = end - datetime.timedelta(days=7 * week)
                received = weekly * rng.choice([0, 0, 1, 2, 3])
                sold = max(0, int(weekly * rng.uniform(0.6, 1.4)))
                stock = max(0, stock + received - sold)
                out.write(
                    f"{day.isoformat()},{sku},{stock},{weekly * rng.randint(0, 4)},{weekly * rng.randint(0, 2)},{received},{sold}\n"
                )


def seed_pos_data(tenant, stdout=None) -> None:
    """Twelve months of POS lines (loaded through the same fast path as partner files) and weekly
    inventory snapshots for the demo partners. Does nothing if the tenant already has POS data."""
    if PosLine.objects.exists():
        return
    total = SEED_LINES.get(tenant.slug, 2_000)
    rng = random.Random(f"pos-{tenant.slug}")
    products = [
        (p.sku, p.list_price, p.units_per_case)
        for p in Product.objects.filter(is_active=True).order_by("sku")
    ]
    if not products:
        return
    end = datetime.date.today()
    partners = [p for p in Partner.objects.order_by("code") if p.code in SEED_PARTNERS]
    with tempfile.TemporaryDirectory() as folder:
        for partner in partners:
            share, style = SEED_PARTNERS[partner.code]
            if style == "partner_sku":
                for sku, _price, _per_case in products:
                    product = Product.objects.get(sku=sku)
                    SkuXref.objects.get_or_create(
                        partner=partner, partner_sku=f"{partner.code}-{sku}", defaults={"product": product}
                    )
            lines = max(int(total * share), 500)
            pos_path = Path(folder) / f"{partner.code}-pos.csv"
            write_demo_pos_file(
                pos_path,
                products=products,
                partner_code=partner.code,
                style=style,
                lines=lines,
                end=end,
                rng=rng,
            )
            _upload, result = pos_file_load(
                partner=partner, path=pos_path, original_name=f"{partner.code}_sales_12m.csv"
            )
            weekly = {sku: max(1, int(lines / len(products) / 52 * 6)) for sku, _price, _per_case in products}
            inv_path = Path(folder) / f"{partner.code}-inventory.csv"
            write_demo_inventory_file(
                inv_path, products=products, weeks=26, end=end, rng=rng, weekly_units=weekly
            )
            _inv_upload, inv = pos_file_load(
                partner=partner,
                path=inv_path,
                kind="inventory",
                original_name=f"{partner.code}_stock_weekly.csv",
            )
            if stdout is not None:
                stdout.write(
                    f"  {tenant.slug}/{partner.code}: {result['rows_loaded']} POS lines loaded "
                    f"({result['rows_rejected']} rejected), {inv['rows_loaded']} inventory snapshots"
                )
