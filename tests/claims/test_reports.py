"""Claim reports: aging, rejection reasons by distributor and month, leakage prevented and
agreement utilisation, shown to vendor staff and exported as CSV and XLSX."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.services.claims import claim_approve
from tests.claims.helpers import agreement, line, submit

pytestmark = pytest.mark.django_db


def _data(cast):
    with cast.a.context():
        agreement(cast)
        claim = submit(cast, [line(quantity="3", claimed_unit_debit="25"), line(invoice_line="2", sku="ZZZ")])
        claim_approve(claim=claim, acting_membership=cast.a.memberships["manager"])
        submit(cast, [line(invoice_number="INV-2")], number="DM-2")


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return [row.split(",") for row in body.strip().splitlines()]


def test_reports_page_shows_the_four_reports_to_staff_only(cast):
    _data(cast)
    page = cast.a.client("finance").get(reverse("claims:reports"))
    assert page.status_code == 200
    body = page.content.decode()
    for name in ("aging", "rejections", "leakage", "utilisation"):
        assert f'data-testid="report-{name}"' in body
    assert cast.a.client("p1_admin").get(reverse("claims:reports")).status_code == 403


def test_exports_carry_the_figures(cast):
    _data(cast)
    client = cast.a.client("manager")
    aging = _csv(client.get(reverse("claims:reports"), {"export": "aging", "format": "csv"}))
    assert aging[1][:6] == ["D100", "Northwind Distribution", "0", "0", "1", "1"]
    leakage = _csv(client.get(reverse("claims:reports"), {"export": "leakage", "format": "csv"}))
    # claimed 3 x 25 + 2 x 20 (the line with an unknown SKU) = 115; approved 3 x 20 + 2 x 20 = 100
    assert leakage[1][2:] == ["2", "115.00", "100.00", "15.00", "USD"]
    reasons = _csv(client.get(reverse("claims:reports"), {"export": "rejections", "format": "csv"}))
    assert ["D100", "2026-06", "DEBIT_EXCEEDS_ALLOWED", "1"] in reasons
    assert ["D100", "2026-06", "SKU_NOT_ON_AGREEMENT", "1"] in reasons
    usage = _csv(client.get(reverse("claims:reports"), {"export": "utilisation", "format": "csv"}))
    assert usage[1][6:10] == ["10", "5", "5", "50 %"]
    xlsx = client.get(reverse("claims:reports"), {"export": "utilisation", "format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_rejection_chart_and_expiring_agreements_are_shown(cast):
    _data(cast)
    with cast.a.context():
        today = timezone.localdate()
        agreement(
            cast,
            "SPA-SOON",
            start=today - datetime.timedelta(days=10),
            end=today + datetime.timedelta(days=5),
        )
    body = cast.a.client("manager").get(reverse("claims:reports")).content.decode()
    data = json.loads(
        re.search(r'<script id="claims-chart-data" type="application/json">(.*?)</script>', body).group(1)
    )
    assert data["months"] == ["2026-06"]
    assert {s["code"]: s["counts"] for s in data["series"]} == {
        "DEBIT_EXCEEDS_ALLOWED": [1],
        "SKU_NOT_ON_AGREEMENT": [1],
    }
    usage = _csv(
        cast.a.client("manager").get(reverse("claims:reports"), {"export": "utilisation", "format": "csv"})
    )
    soon = [row for row in usage if row[0] == "SPA-SOON"]
    assert soon and soon[0][-1] == "yes"
