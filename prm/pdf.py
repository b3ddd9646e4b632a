"""PDF rendering with WeasyPrint for every document the product prints (agreements, remittance
statements): local fonts only, and no external resource is ever fetched."""

from __future__ import annotations

import logging
from typing import Any

# WeasyPrint reports each rendering step at INFO: too chatty for the application log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _no_urls(url: str, *args: Any, **kwargs: Any):
    raise ValueError(f"External resources are not allowed in generated PDFs: {url}")


def render_pdf(html: str) -> bytes:
    # Imported on first use: importing WeasyPrint parses its built-in stylesheets, a cost every
    # web and worker process would otherwise pay at start-up for PDFs most of them never render.
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_urls).write_pdf()
