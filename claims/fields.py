"""The columns of a claim file (INTERFACES.md) and the header names partners use for them."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from prm.reader import normalise_header

CLAIM_FIELDS: tuple[tuple[str, object], ...] = (
    ("agreement_number", _("Agreement number")),
    ("invoice_number", _("Invoice number")),
    ("invoice_line", _("Invoice line")),
    ("ship_date", _("Ship date")),
    ("sku", _("SKU")),
    ("quantity", _("Quantity")),
    ("unit_of_measure", _("Unit of measure")),
    ("end_customer", _("End customer")),
    ("claimed_unit_debit", _("Claimed debit per unit")),
    ("resale_price", _("Resale price")),
)
FIELD_NAMES = tuple(name for name, _label in CLAIM_FIELDS)
REQUIRED = (
    "agreement_number",
    "invoice_number",
    "invoice_line",
    "ship_date",
    "sku",
    "quantity",
    "end_customer",
    "claimed_unit_debit",
)

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "agreement_number": (
        "agreement",
        "agreement no",
        "spa",
        "spa no",
        "contract",
        "contract no",
        "special pricing",
        "special pricing agreement",
        "authorization no",
        "auth no",
        "authorisation no",
        "sp agreement",
        "deal id",
    ),
    "invoice_number": (
        "invoice",
        "invoice no",
        "inv no",
        "inv",
        "invoice id",
        "document no",
        "doc no",
        "rechnung",
    ),
    "invoice_line": ("line", "line no", "invoice line", "inv line", "line item", "position", "pos", "ln"),
    "ship_date": ("ship date", "shipped", "ship dt", "shipping date", "date shipped", "invoice date", "date"),
    "sku": (
        "sku",
        "vendor sku",
        "item",
        "item no",
        "part",
        "part no",
        "product",
        "product code",
        "mpn",
        "material",
    ),
    "quantity": ("qty", "quantity", "units", "qty shipped", "ship qty", "shipped qty", "menge"),
    "unit_of_measure": ("uom", "unit", "unit of measure", "um", "einheit"),
    "end_customer": (
        "customer",
        "end user",
        "end customer",
        "customer name",
        "end user name",
        "sold to",
        "kunde",
    ),
    "claimed_unit_debit": (
        "claimed unit debit",
        "debit",
        "unit debit",
        "debit per unit",
        "claim amount per unit",
        "debit amount",
        "claimed debit",
        "claim per unit",
        "credit per unit",
    ),
    "resale_price": ("resale", "resale price", "unit resale", "sell price", "unit price", "price"),
}

_NORMALISED = {name: {normalise_header(s) for s in (*names, name)} for name, names in _SYNONYMS.items()}


def match_header(header: str) -> str | None:
    norm = normalise_header(header)
    if not norm:
        return None
    for name, synonyms in _NORMALISED.items():
        if norm in synonyms or norm == normalise_header(name.replace("_", " ")):
            return name
    return None


def header_score(cells: Sequence[str]) -> int:
    return sum(1 for cell in cells if cell and match_header(cell))


def detect_mapping(headers: Sequence[str]) -> dict[str, str]:
    """field -> file header: the contract's exact names first, then known names."""
    mapping: dict[str, str] = {}
    for header in headers:
        if header.strip() in FIELD_NAMES and header.strip() not in mapping:
            mapping[header.strip()] = header
    for header in headers:
        if header in mapping.values():
            continue
        name = match_header(header)
        if name and name not in mapping:
            mapping[name] = header
    return mapping
