"""A partner's people see their own partner's forecast only: P2's series, pipeline, product
lines, numbers and name never reach P1's page or any of its CSV/XLSX exports, and a P2 series
or partner id in the URL is a 404. The same detectors find P2's data on a manager's page and
exports, so they can fail."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from insights.models import ForecastSeries
from insights.tasks import forecast_nightly
from prm.lib.periods import add_months
from tests.insights.helpers import S, monthly_pos, registration

pytestmark = pytest.mark.django_db

EXPORTS = ("pipeline", "pipeline_by_month", "sell_out", "backtest")
# P2's words: its code, its name, its product line / POS category and its product.
P2_WORDS = ("D200", "Contoso", "turbines", "TRB-900")
# P1's figures stay below 100,000; every figure of P2 is in the millions.
MILLIONS = re.compile(r"(?<![\w.#-])(?:\d{7,}|\d{1,3}(?:[,\u00a0\u202f ]\d{3}){2,})(?:[.,]\d+)?(?![\w-])")


def _world(cast) -> None:
    today = datetime.date.today()
    start = add_months(today, -14)
    with cast.a.context():
        p1, p2 = cast.a.partners["p1"], cast.a.partners["p2"]
        registration(p1, S.APPROVED, value="1000.00", expected=today)
        registration(p1, S.WON, closed_on=today)
        registration(p1, S.LOST, closed_on=today)
        monthly_pos(p1, {add_months(start, n): Decimal(100 + 10 * n) for n in range(14)})
        for n in range(3):
            registration(
                p2,
                S.APPROVED,
                line="turbines",
                value=f"{9_876_543 + n}.21",
                expected=today,
            )
        registration(p2, S.WON, line="turbines", value="5432100.00", closed_on=today)
        monthly_pos(
            p2,
            {add_months(start, n): Decimal(4_321_000 + 9_000 * n) for n in range(14)},
            sku="TRB-900",
            category="turbines",
        )
        forecast_nightly.delay(tenant_id=cast.a.tenant.pk)


def _download(response) -> str:
    """A CSV or XLSX export as text (every cell's value)."""
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data[:2] == b"PK":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return data.decode("utf-8-sig")


def _everything(client) -> dict[str, str]:
    url = reverse("insights:forecast")
    texts = {"page": client.get(url).content.decode()}
    for name in EXPORTS:
        for fmt in ("csv", "xlsx"):
            texts[f"{name}.{fmt}"] = _download(client.get(url, {"export": name, "format": fmt}))
    return texts


def _leaks(texts: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for where, text in texts.items():
        hits = [w for w in P2_WORDS if w in text] + MILLIONS.findall(text)
        if hits:
            found[where] = hits
    return found


def test_a_partner_sees_none_of_another_partners_forecast_on_the_page_or_in_exports(cast):
    _world(cast)
    with cast.a.context():
        assert ForecastSeries.objects.filter(partner=cast.a.partners["p2"], key="turbines").count() == 2
    mine = _everything(cast.a.client("p1_user"))
    assert "D100" in mine["page"] and "pumps" in mine["sell_out.csv"] and "pumps" in mine["pipeline.xlsx"]
    assert _leaks(mine) == {}
    # The detectors work: a manager's page and exports show P2's name, line and millions.
    managers = _leaks(_everything(cast.a.client("manager")))
    assert {"page", "pipeline.csv", "pipeline.xlsx", "sell_out.csv", "sell_out.xlsx"} <= set(managers)
    assert any(MILLIONS.fullmatch(hit) for hit in managers["sell_out.csv"])


def test_another_partners_series_or_partner_in_the_url_is_404_for_a_partner(cast):
    _world(cast)
    p2 = cast.a.partners["p2"]
    with cast.a.context():
        p2_series = list(ForecastSeries.objects.filter(partner=p2).values_list("pk", "run__kind"))
        own = ForecastSeries.objects.filter(partner=cast.a.partners["p1"], run__kind="sell_out").first()
    assert {kind for _pk, kind in p2_series} == {"pipeline", "sell_out"}
    client = cast.a.client("p1_user")
    url = reverse("insights:forecast")
    for pk, _kind in p2_series:
        assert client.get(url, {"series": pk}).status_code == 404
        # The export ignores the chart's series: it still holds the member's own rows only.
        export = client.get(url, {"series": pk, "export": "sell_out", "format": "csv"})
        assert _leaks({"export": _download(export)}) == {}
    assert client.get(url, {"partner": p2.pk}).status_code == 404
    assert client.get(url, {"partner": p2.pk, "export": "pipeline", "format": "csv"}).status_code == 404
    # A filter on P2's product line is ignored, never a way in: still nothing of P2.
    leaked = client.get(url, {"key": "turbines", "export": "pipeline", "format": "csv"})
    assert _leaks({"filtered": _download(leaked)}) == {}
    # Their own series opens.
    assert client.get(url, {"series": own.pk}).status_code == 200
