"""Agreement documents: merge fields and PDF rendering with WeasyPrint (local fonts, no URLs)."""

from __future__ import annotations

import re
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, linebreaks

from prm.pdf import render_pdf

__all__ = ["agreement_pdf", "merge_values", "merged_body_html", "render_pdf", "unknown_merge_fields"]

MERGE_FIELD = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
MERGE_FIELDS = (
    "partner_name",
    "partner_code",
    "partner_address",
    "partner_country",
    "tier",
    "program",
    "vendor",
    "effective_date",
    "today",
)


def unknown_merge_fields(body: str) -> list[str]:
    return sorted({name for name in MERGE_FIELD.findall(body) if name not in MERGE_FIELDS})


def merge_values(partner, template) -> dict[str, str]:
    today = timezone.localdate()
    address = ", ".join(v for v in (partner.address, partner.postal_code, partner.city) if v)
    return {
        "partner_name": partner.name,
        "partner_code": partner.code,
        "partner_address": address or "—",
        "partner_country": partner.country,
        "tier": partner.tier or "—",
        "program": template.program.name,
        "vendor": template.tenant.brand_name,
        "effective_date": date_format(today, "DATE_FORMAT"),
        "today": date_format(today, "DATE_FORMAT"),
    }


def merged_body_html(body: str, values: dict[str, str]) -> str:
    """Escape the template text, substitute merge fields (escaped), keep paragraphs."""
    escaped = escape(body)
    merged = MERGE_FIELD.sub(lambda m: escape(values.get(m.group(1), m.group(0))), escaped)
    return linebreaks(merged, autoescape=False)


def agreement_pdf(template, partner, *, signature: dict[str, Any] | None = None) -> bytes:
    """The agreement as PDF; with ``signature`` a signature page is appended."""
    values = merge_values(partner, template)
    html = render_to_string(
        "partners/pdf/agreement.html",
        {
            "template": template,
            "partner": partner,
            "body": merged_body_html(template.body, values),
            "signature": signature,
            "vendor": values["vendor"],
        },
    )
    return render_pdf(html)
