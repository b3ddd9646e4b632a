"""Rebate statements, fund balances and fund requests through the API: a partner key reads its own
statements and balances and requests money from a fund it is eligible for; the balances come from
the ledger in the list's own query; other partners and tenants see nothing of it."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funds.models import FundRequest
from prm.audit.models import AuditEvent
from rebates.services.programs import program_load
from tests.funds.helpers import allocate, approved, days, fund, period, tiers
from tests.rebates.helpers import calculate, definition, pos

pytestmark = pytest.mark.django_db


def _statement_world(cast):
    with cast.a.context():
        pos(cast.a.partners["p1"], [("2026-01-15", 3, "1000"), ("2026-02-01", 1, "500")])
        pos(cast.a.partners["p2"], [("2026-01-20", 2, "800")])
        program, _changed = program_load(
            text=json.dumps(definition(code="FLAT-10", method="flat", tiers=[{"from": "0", "rate": "0.1"}])),
            activate=True,
        )
        calculate(program)


def test_a_partner_key_reads_its_own_rebate_statements(cast, keys):
    _statement_world(cast)
    rows = keys.client("p1").get("/api/v1/rebate-statements/").json()["results"]
    assert len(rows) == 1
    statement = rows[0]
    assert (statement["program"], statement["partner"], statement["currency"]) == ("FLAT-10", "D100", "USD")
    assert (statement["earned"], statement["paid_before"], statement["due"]) == ("150.00", "0.00", "150.00")
    assert statement["measure"] == "1500.0000"
    assert {
        r["partner"] for r in keys.client("vendor").get("/api/v1/rebate-statements/").json()["results"]
    } == {
        "D100",
        "D200",
    }
    assert keys.client("p2").get(f"/api/v1/rebate-statements/{statement['id']}/").status_code == 404
    assert keys.client("b").get("/api/v1/rebate-statements/").json()["results"] == []


def _fund_world(cast):
    with cast.a.context():
        tiers(cast)
        mdf = fund(cast)
        current = period(cast, mdf)
        allocate(cast, current, "5000.00")
        allocate(cast, current, "1000.00", partner="p2")
        approved(cast, mdf)  # 2,000 committed for P1
    return mdf


def test_a_partner_key_reads_its_fund_balances(cast, keys):
    _fund_world(cast)
    rows = keys.client("p1").get("/api/v1/fund-accounts/").json()["results"]
    assert [(r["fund"], r["partner"], r["currency"]) for r in rows] == [("MDF-26", "D100", "USD")]
    assert rows[0]["balances"] == {
        "granted": "5000.00",
        "available": "3000.00",
        "committed": "2000.00",
        "claimed": "0.00",
        "paid": "0.00",
        "expired": "0.00",
    }
    assert keys.client("p2").get(f"/api/v1/fund-accounts/{rows[0]['id']}/").status_code == 404
    assert keys.client("b").get("/api/v1/fund-accounts/").json()["results"] == []


def test_the_balance_list_costs_the_same_queries_for_more_accounts(cast, keys):
    mdf = _fund_world(cast)
    client = keys.client("vendor")
    client.get("/api/v1/fund-accounts/")  # the key's last use is written once a minute: not counted
    with CaptureQueriesContext(connection) as two:
        assert len(client.get("/api/v1/fund-accounts/").json()["results"]) == 2
    with cast.a.context():
        for code in ("MDF-B", "MDF-C"):
            other = fund(cast, code)
            allocate(cast, period(cast, other, name=code), "100.00")
    with CaptureQueriesContext(connection) as four:
        assert len(client.get("/api/v1/fund-accounts/").json()["results"]) == 4
    assert len(four) == len(two)
    assert mdf.code == "MDF-26"


def test_a_partner_key_requests_and_submits_fund_money(cast, keys):
    _fund_world(cast)
    request = {
        "fund": "MDF-26",
        "activity_type": "webinar",
        "title": "Valve webinar",
        "start_date": days(30).isoformat(),
        "end_date": days(30).isoformat(),
        "estimated_cost": "1000.00",
        "requested_amount": "500.00",
    }
    client = keys.client("p1")
    draft = client.post_json("/api/v1/fund-requests/", request)
    assert draft.status_code == 201
    body = draft.json()
    assert (body["status"], body["partner"], body["requested_amount"]) == ("draft", "D100", "500.00")
    submitted = client.post_json(f"/api/v1/fund-requests/{body['id']}/submit/")
    assert submitted.json()["status"] == "pending"
    with cast.a.context():
        event = AuditEvent.objects.get(action="fund_request.create", object_id=str(body["id"]))
        assert str(event.actor) == "API key: Northwind ERP"
    too_much = client.post_json(
        "/api/v1/fund-requests/", {**request, "requested_amount": "900.00", "submit": True}
    )
    assert too_much.status_code == 422 and "At most 50" in too_much.json()["detail"]
    unknown = client.post_json("/api/v1/fund-requests/", {**request, "fund": "NOPE"})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["pointer"] == "#/fund"
    with cast.a.context():
        assert FundRequest.objects.filter(title="Valve webinar").count() == 1


def test_fund_requests_are_the_partners_own_and_vendor_keys_do_not_request(cast, keys):
    _fund_world(cast)
    with cast.a.context():
        own = FundRequest.objects.get(partner=cast.a.partners["p1"])
    assert keys.client("p2").get(f"/api/v1/fund-requests/{own.pk}/").status_code == 404
    assert keys.client("p2").post_json(f"/api/v1/fund-requests/{own.pk}/submit/").status_code == 404
    response = keys.client("vendor").post_json(
        "/api/v1/fund-requests/",
        {
            "fund": "MDF-26",
            "activity_type": "event",
            "title": "x",
            "start_date": days(30).isoformat(),
            "end_date": days(31).isoformat(),
            "estimated_cost": "10",
            "requested_amount": "5",
        },
    )
    assert response.status_code == 403
