"""A scheduled report's tables as e-mail attachments: CSV (one file per table) and XLSX (one
sheet per table) through prm.exports (cells escaped against formula injection), PDF through
prm.pdf (WeasyPrint; long tables are cut, the CSV and XLSX hold every row)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.template.loader import render_to_string
from django.utils import timezone

from prm.exports import XLSX_CONTENT_TYPE, csv_rows, write_xlsx_sheets
from prm.pdf import render_pdf
from prm.reports import Report

PDF_ROWS = 500  # rows of a table in the PDF (WeasyPrint renders about 200 rows a second)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


def attachments(reports: list[Report], *, fmt: str, stem: str, title: str, subtitle: str) -> list[Attachment]:
    if fmt == "csv":
        return [
            Attachment(
                f"{stem}-{report.name}.csv",
                "".join(csv_rows(report.headers, report.rows)).encode("utf-8"),
                "text/csv",
            )
            for report in reports
        ]
    if fmt == "xlsx":
        buffer = BytesIO()
        write_xlsx_sheets(buffer, [(report.name, report.headers, report.rows) for report in reports])
        return [Attachment(f"{stem}.xlsx", buffer.getvalue(), XLSX_CONTENT_TYPE)]
    html = render_to_string(
        "scheduled_reports/report_pdf.html",
        {
            "title": title,
            "subtitle": subtitle,
            "generated_at": timezone.now(),
            "limit": PDF_ROWS,
            "tables": [
                {"report": report, "rows": report.rows[:PDF_ROWS], "cut": len(report.rows) > PDF_ROWS}
                for report in reports
            ],
        },
    )
    return [Attachment(f"{stem}.pdf", render_pdf(html), "application/pdf")]
