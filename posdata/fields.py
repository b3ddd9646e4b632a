"""Canonical fields of POS and inventory files, and how file headers are recognised.

A header is normalised (lower case, "#"/"number"/"num" -> "no", punctuation dropped) and looked
up among known names; what is left is guessed from keywords, then from the column's content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from posdata.models import Kind
from prm.reader import normalise_header


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    kind: str  # text | date | number | integer | identifier


POS_FIELDS: tuple[Field, ...] = (
    Field("invoice_number", _("Invoice number"), "text"),
    Field("invoice_line", _("Invoice line"), "integer"),
    Field("invoice_date", _("Invoice / ship date"), "date"),
    Field("sku", _("Vendor SKU"), "identifier"),
    Field("partner_sku", _("Partner SKU"), "identifier"),
    Field("gtin", _("GTIN / UPC / EAN"), "identifier"),
    Field("quantity", _("Quantity"), "number"),
    Field("unit_of_measure", _("Unit of measure"), "text"),
    Field("unit_price", _("Unit resale price"), "number"),
    Field("extended_amount", _("Extended amount"), "number"),
    Field("currency", _("Currency"), "text"),
    Field("end_customer", _("End customer"), "text"),
    Field("country", _("Country"), "text"),
    Field("postal_code", _("Postal code"), "text"),
    Field("transaction_type", _("Transaction type"), "text"),
    Field("agreement_number", _("Agreement number"), "text"),
)

INVENTORY_FIELDS: tuple[Field, ...] = (
    Field("snapshot_date", _("Snapshot date"), "date"),
    Field("sku", _("Vendor SKU"), "identifier"),
    Field("partner_sku", _("Partner SKU"), "identifier"),
    Field("gtin", _("GTIN / UPC / EAN"), "identifier"),
    Field("unit_of_measure", _("Unit of measure"), "text"),
    Field("on_hand", _("On hand"), "number"),
    Field("on_order", _("On order"), "number"),
    Field("in_transit", _("In transit"), "number"),
    Field("received", _("Received"), "number"),
    Field("sold", _("Sold"), "number"),
    Field("returned", _("Returned"), "number"),
)

FIELDS = {Kind.POS: POS_FIELDS, Kind.INVENTORY: INVENTORY_FIELDS}
PRODUCT_IDENTIFIERS = ("partner_sku", "sku", "gtin")


def field_names(kind: str) -> list[str]:
    return [f.name for f in FIELDS[Kind(kind)]]


def required_groups(kind: str) -> list[tuple[str, ...]]:
    """Each group needs at least one mapped field."""
    if kind == Kind.INVENTORY:
        return [("snapshot_date",), PRODUCT_IDENTIFIERS, ("on_hand",)]
    return [
        ("invoice_number",),
        ("invoice_date",),
        PRODUCT_IDENTIFIERS,
        ("quantity",),
        ("unit_price", "extended_amount"),
    ]


def _names(text: str) -> tuple[str, ...]:
    """The header names of a field, written as one comma-separated list."""
    return tuple(name.strip() for name in text.split(","))


_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    Kind.POS: {
        "invoice_number": _names(
            "invoice no, invoice, inv no, inv, invoice id, invoice ref, inv ref, document no, doc no, "
            "bill no, billing document, rechnung, rechnungs no, rechnungsno, beleg no, belegno, facture, "
            "factura, sales invoice, invoice no no"
        ),
        "invoice_line": _names(
            "line, line no, invoice line, inv line, line item, item line, position, pos, line id, ln, ln no, "
            "seq, sequence, zeile, position no"
        ),
        "invoice_date": _names(
            "invoice date, inv date, ship date, shipped, ship dt, shipping date, date, date shipped, "
            "transaction date, sale date, sales date, order date, doc date, document date, billing date, "
            "posting date, rechnungsdatum, datum, lieferdatum, invoice dt, inv dt"
        ),
        "sku": _names(
            "sku, vendor sku, item no, item, item code, part no, part, part number, vendor part, "
            "vendor part no, mfr part, mfr part no, manufacturer part no, mpn, product code, product no, "
            "product id, material, material no, article, article no, artikel, artikel no, artikelnummer, "
            "model, model no, catalog no, vendor item, vendor item no, supplier part no, manufacturer sku, "
            "mfg part no"
        ),
        "partner_sku": _names(
            "partner sku, distributor sku, dist sku, reseller sku, our sku, internal sku, customer part, "
            "customer part no, partner item, partner item no, dist part no, distributor part no, "
            "distributor item, our item, our item no, internal item, internal part no, local sku"
        ),
        "gtin": _names("gtin, upc, ean, upc code, ean code, ean13, barcode, gtin14, gtin13"),
        "quantity": _names(
            "qty, quantity, units, qty shipped, ship qty, shipped qty, quantity shipped, qty sold, "
            "quantity sold, units sold, pcs, menge, anzahl, sales qty, sold qty, qty invoiced, invoiced qty, "
            "quantity invoiced"
        ),
        "unit_of_measure": _names("uom, unit, unit of measure, um, u m, units of measure, einheit, me"),
        "unit_price": _names(
            "unit price, price, resale price, unit resale, unit resale price, sell price, selling price, "
            "sales price, price each, each price, net price, unit net price, unit sell price, preis, "
            "einzelpreis, resale, unit sales price"
        ),
        "extended_amount": _names(
            "ext price, extended price, extended amount, ext amount, ext, amount, line total, total, "
            "net amount, sales amount, line amount, extended, ext resale, revenue, total price, net value, "
            "value, sales value, betrag, gesamtpreis, umsatz, extended resale, ext sales, total amount"
        ),
        "currency": _names("currency, curr, ccy, cur, currency code, waehrung, währung"),
        "end_customer": _names(
            "customer, end user, end customer, customer name, end user name, end customer name, enduser, "
            "sold to, sold to name, ship to name, ship to customer, client, kunde, account, account name, "
            "bill to name, end user company"
        ),
        "country": _names("country, ctry, country code, ship to country, end user country, land, cntry"),
        "postal_code": _names(
            "zip, postal code, zip code, postcode, post code, plz, ship to zip, postal, end user zip"
        ),
        "transaction_type": _names("type, transaction type, trans type, txn type, sale type, tx type"),
        "agreement_number": _names(
            "agreement, agreement no, spa, spa no, contract, contract no, special pricing, sp agreement, "
            "debit no, authorization no, auth no"
        ),
    },
    Kind.INVENTORY: {
        "snapshot_date": _names(
            "date, snapshot date, as of, as of date, report date, inventory date, stock date, week ending, "
            "week end, period end, datum, stichtag"
        ),
        "sku": _names(
            "sku, vendor sku, item no, item, item code, part no, part, vendor part, mfr part, mfr part no, "
            "product code, product no, material, article, artikel, model, vendor item"
        ),
        "partner_sku": _names("partner sku, distributor sku, dist sku, our sku, internal sku, our item"),
        "gtin": _names("gtin, upc, ean, barcode"),
        "unit_of_measure": _names("uom, unit, unit of measure, um, einheit"),
        "on_hand": _names(
            "on hand, qty on hand, quantity on hand, oh, qoh, stock, stock on hand, inventory, available, "
            "bestand, on hand qty, soh"
        ),
        "on_order": _names("on order, qty on order, oo, open po, open orders, on order qty, qoo"),
        "in_transit": _names("in transit, intransit, qty in transit, transit, qit, in transit qty"),
        "received": _names("received, receipts, qty received, qr"),
        "sold": _names("sold, qty sold, units sold, sales, qs"),
        "returned": _names("returned, returns, qty returned, qu"),
    },
}

_NORMALISED = {
    kind: {f: tuple(normalise_header(s) for s in names) for f, names in fields.items()}
    for kind, fields in _SYNONYMS.items()
}

# Keyword rules for headers no synonym matched, in priority order.
_KEYWORDS: dict[str, list[tuple[str, tuple[str, ...], tuple[str, ...]]]] = {
    Kind.POS: [
        ("gtin", ("upc", "ean", "gtin", "barcode"), ()),
        ("partner_sku", ("partner", "distributor", "dist", "reseller", "internal", "our"), ()),
        ("invoice_line", ("line",), ("total", "amount", "amt")),
        ("invoice_date", ("date", "dt", "datum"), ()),
        ("extended_amount", ("ext", "amount", "amt", "total", "extended", "value", "betrag"), ()),
        ("invoice_number", ("inv", "invoice", "rechnung", "document", "doc"), ()),
        ("unit_price", ("price", "preis", "resale"), ()),
        ("quantity", ("qty", "quant", "units", "menge"), ()),
        ("sku", ("sku", "part", "item", "material", "article", "artikel", "product", "model"), ()),
        ("end_customer", ("customer", "user", "client", "kunde", "account"), ()),
        ("postal_code", ("zip", "postal", "postcode", "plz"), ()),
        ("country", ("country", "ctry"), ()),
        ("currency", ("currency", "curr", "ccy"), ()),
        ("agreement_number", ("agreement", "contract", "spa"), ()),
    ],
    Kind.INVENTORY: [
        ("gtin", ("upc", "ean", "gtin", "barcode"), ()),
        ("partner_sku", ("partner", "distributor", "dist", "internal", "our"), ()),
        ("on_hand", ("hand", "stock", "bestand"), ()),
        ("on_order", ("order",), ()),
        ("in_transit", ("transit",), ()),
        ("received", ("receiv", "receipt"), ()),
        ("returned", ("return",), ()),
        ("sold", ("sold", "sales"), ()),
        ("snapshot_date", ("date", "dt", "datum", "week"), ()),
        ("sku", ("sku", "part", "item", "material", "article", "product", "model"), ()),
    ],
}


def match_header(kind: str, header: str) -> str | None:
    """The canonical field a header names by a known name, or None."""
    norm = normalise_header(header)
    if not norm:
        return None
    for name, synonyms in _NORMALISED[Kind(kind)].items():
        if norm in synonyms or norm == name.replace("_", " ") or norm == normalise_header(name):
            return name
    return None


def _keyword_match(kind: str, header: str, taken: set[str]) -> str | None:
    words = normalise_header(header).split()
    if not words:
        return None
    for name, keywords, excluded in _KEYWORDS[Kind(kind)]:
        if name in taken:
            continue
        if any(w.startswith(k) for w in words for k in keywords) and not any(
            w.startswith(x) for w in words for x in excluded
        ):
            return name
    return None


def header_score(kind: str, cells: Sequence[str]) -> int:
    return sum(1 for c in cells if c and match_header(kind, c))


_DATE_RE = re.compile(r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{8})([ T].*)?$")
_GTIN_RE = re.compile(r"^\d{8}$|^\d{12,14}$")
_NUMBER_RE = re.compile(r"^[\s(+-]*[$€£¥]?\s*[\d.,' ]*\d[\d.,' ]*\s*[$€£¥]?[)-]?\s*$")
_CURRENCIES = {
    "USD",
    "EUR",
    "GBP",
    "CAD",
    "CHF",
    "JPY",
    "AUD",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "MXN",
    "CNY",
}


def _content_kind(values: list[str]) -> str | None:
    values = [v for v in values if v.strip()]
    if not values:
        return None
    if all(_DATE_RE.match(v) for v in values):
        return "date"
    if all(_GTIN_RE.match(v.strip()) for v in values):
        return "gtin"
    if all(v.strip().upper() in _CURRENCIES for v in values):
        return "currency"
    if all(_NUMBER_RE.match(v) for v in values):
        return "number"
    return "text"


def detect_mapping(
    kind: str,
    headers: Sequence[str],
    sample_rows: Iterable[Sequence[str]] = (),
    *,
    known_skus: set[str] | None = None,
    preset: dict[str, str] | None = None,
) -> dict[str, str]:
    """canonical field -> header, from ``preset`` (a saved or given mapping whose headers exist),
    then known names, keywords, and finally the content of the first rows."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field_name, header in (preset or {}).items():
        if header in headers and header not in used and field_name in field_names(kind):
            mapping[field_name] = header
            used.add(header)
    for header in headers:
        if header in used or not header.strip():
            continue
        name = match_header(kind, header)
        if name and name not in mapping:
            mapping[name] = header
            used.add(header)
    for header in headers:
        if header in used or not header.strip():
            continue
        name = _keyword_match(kind, header, set(mapping))
        if name:
            mapping[name] = header
            used.add(header)
    rows = [list(r) for r in sample_rows]
    if rows:
        date_field = "snapshot_date" if kind == Kind.INVENTORY else "invoice_date"
        for index, header in enumerate(headers):
            if header in used or not header.strip():
                continue
            values = [r[index] if index < len(r) else "" for r in rows]
            content = _content_kind(values)
            guess = None
            if content == "date" and date_field not in mapping:
                guess = date_field
            elif content == "gtin" and "gtin" not in mapping:
                guess = "gtin"
            elif content == "currency" and kind == Kind.POS and "currency" not in mapping:
                guess = "currency"
            elif content == "text" and known_skus and "sku" not in mapping:
                present = [v.strip().upper() for v in values if v.strip()]
                if present and sum(v in known_skus for v in present) >= max(1, len(present) // 2):
                    guess = "sku"
            if guess:
                mapping[guess] = header
                used.add(header)
    return mapping


def missing_required(kind: str, mapping: dict[str, str]) -> list[str]:
    """Required groups with no mapped field, as 'a / b' labels."""
    return [" / ".join(group) for group in required_groups(kind) if not any(f in mapping for f in group)]
