"""Vendor admins browse and filter the audit log; nobody else sees it; the list does not run
more queries as it grows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from prm.audit.services import audit

pytestmark = pytest.mark.django_db


def _events(cast, n: int, *, actor_key="manager", action="partner.update"):
    with cast.a.context():
        for i in range(n):
            audit(actor=cast.a.users[actor_key], action=action, obj=cast.a.partners["p1"], after={"i": i})


def _actions(response) -> list[str]:
    return [e.action for e in response.context["page"]]


def test_vendor_admin_sees_the_tenants_events_newest_first(cast):
    _events(cast, 2, action="first.thing")
    _events(cast, 1, action="second.thing")
    with cast.b.context():
        audit(actor=cast.b.users["admin"], action="globex.secret", obj=cast.b.partners["p1"])
    response = cast.a.client("admin").get("/audit/")
    assert response.status_code == 200
    actions = _actions(response)
    assert actions[0] == "second.thing"
    assert "globex.secret" not in actions
    assert b"globex.secret" not in response.content


def test_filter_by_action_and_actor(cast):
    _events(cast, 2, actor_key="manager", action="deal.approve")
    _events(cast, 3, actor_key="marketing", action="fund.request")
    client = cast.a.client("admin")
    assert _actions(client.get("/audit/", {"action": "deal."})) == ["deal.approve"] * 2
    assert _actions(client.get("/audit/", {"actor": "marketing@"})) == ["fund.request"] * 3
    assert _actions(client.get("/audit/", {"actor": "marketing@", "action": "deal"})) == []


def test_filter_by_dates(cast):
    base = timezone.make_aware(datetime(2026, 3, 10, 12, 0))
    for offset, action in [(0, "day.one"), (1, "day.two"), (2, "day.three")]:
        with time_machine.travel(base + timedelta(days=offset), tick=False):
            _events(cast, 1, action=action)
    client = cast.a.client("admin")
    day = {"action": "day."}
    assert _actions(client.get("/audit/", {**day, "date_from": "2026-03-11"})) == ["day.three", "day.two"]
    assert _actions(client.get("/audit/", {**day, "date_to": "2026-03-11"})) == ["day.two", "day.one"]
    assert _actions(client.get("/audit/", {"date_from": "2026-03-11", "date_to": "2026-03-11"})) == [
        "day.two"
    ]


def test_invalid_filter_values_do_not_break_the_page(cast):
    _events(cast, 1)
    response = cast.a.client("admin").get("/audit/", {"date_from": "not-a-date"})
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("who", ["manager", "marketing", "finance", "p1_admin", "p1_user"])
def test_other_roles_get_403(cast, who):
    _events(cast, 1)
    assert cast.a.client(who).get("/audit/").status_code == 403


def _queries_for_list(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/audit/").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("n", [5, 50])
def test_list_stays_within_a_fixed_query_budget(cast, n, django_assert_max_num_queries):
    _events(cast, n, action="bulk.event")
    client = cast.a.client("admin")
    client.get("/audit/")  # warm up the session
    with django_assert_max_num_queries(15):
        response = client.get("/audit/", {"action": "bulk."})
    assert len(response.context["page"]) == n


def test_query_count_is_the_same_for_5_and_50_events(cast):
    client = cast.a.client("admin")
    _events(cast, 5)
    client.get("/audit/")
    few = _queries_for_list(client)
    _events(cast, 45, actor_key="marketing")
    assert _queries_for_list(client) == few


def _registration(cast, key: str):
    from deals.models import DealRegistration

    with cast.a.context():
        return DealRegistration.objects.create(
            partner=cast.a.partners[key], status="submitted", currency="USD", customer_name=f"Customer {key}"
        )


def test_filter_by_partner_finds_the_events_of_its_objects(cast):
    p1_registration = _registration(cast, "p1")
    p2_registration = _registration(cast, "p2")
    with cast.a.context():
        audit(actor=cast.a.users["manager"], action="deal.approve", obj=p1_registration)
        audit(actor=cast.a.users["manager"], action="deal.reject", obj=p2_registration)
        audit(actor=cast.a.users["admin"], action="partner.suspend", obj=cast.a.partners["p1"])
        audit(actor=cast.a.users["admin"], action="settings.update", obj=cast.a.tenant)
    client = cast.a.client("admin")
    assert _actions(client.get("/audit/", {"partner": "D100"})) == ["partner.suspend", "deal.approve"]
    assert _actions(client.get("/audit/", {"partner": "D200"})) == ["deal.reject"]
    # A code that names no partner of the tenant matches nothing (never everything).
    assert _actions(client.get("/audit/", {"partner": "R100"})) == []


def test_filter_by_object_type_and_id(cast):
    first, second = _registration(cast, "p1"), _registration(cast, "p1")
    with cast.a.context():
        audit(actor=cast.a.users["manager"], action="deal.start_review", obj=first)
        audit(actor=cast.a.users["manager"], action="deal.approve", obj=first)
        audit(actor=cast.a.users["manager"], action="deal.reject", obj=second)
    client = cast.a.client("admin")
    one = {"object_type": "deals.dealregistration", "object_id": str(first.pk)}
    assert _actions(client.get("/audit/", one)) == ["deal.approve", "deal.start_review"]
    assert sorted(_actions(client.get("/audit/", {"object_type": "dealregistration"}))) == [
        "deal.approve",
        "deal.reject",
        "deal.start_review",
    ]


def _csv(response) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_csv_export_holds_the_filtered_events_escaped_and_is_itself_audited(cast):
    registration = _registration(cast, "p1")
    with cast.a.context():
        audit(actor=cast.a.users["manager"], action="deal.approve", obj=registration, after={"note": "=1+2"})
        audit(actor=cast.a.users["manager"], action="deal.reject", obj=_registration(cast, "p2"))
        audit(actor=cast.a.users["admin"], action="partner.update", obj=cast.a.partners["p1"])
    client = cast.a.client("admin")
    rows = _csv(client.get("/audit/", {"partner": "D100", "export": "csv"}))
    assert rows[0] == [
        "when",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object",
        "partner",
        "before",
        "after",
        "ip_address",
    ]
    assert [(r[1], r[2], r[3], r[4], r[6]) for r in rows[1:]] == [
        ("admin@acme.test", "partner.update", "partners.partner", str(cast.a.partners["p1"].pk), "D100"),
        ("manager@acme.test", "deal.approve", "deals.dealregistration", str(registration.pk), "D100"),
    ]
    assert rows[2][8] == '{"note": "=1+2"}'
    with cast.a.context():
        from prm.audit.models import AuditEvent

        export = AuditEvent.objects.get(action="export.download")
    assert export.after["file"] == "audit-log.csv"


def test_formula_cells_in_the_export_are_escaped(cast):
    with cast.a.context():
        audit(actor=cast.a.users["admin"], action="=cmd|' /C calc'!A0", obj=cast.a.tenant)
    rows = _csv(cast.a.client("admin").get("/audit/", {"export": "csv"}))
    assert "'=cmd|' /C calc'!A0" in [r[2] for r in rows]


def test_xlsx_export_and_roles(cast):
    import io

    from openpyxl import load_workbook

    _events(cast, 2)
    response = cast.a.client("admin").get("/audit/", {"action": "partner.update", "export": "xlsx"})
    sheet = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert sheet[0][0] == "when" and len(sheet) == 3
    assert cast.a.client("manager").get("/audit/", {"export": "csv"}).status_code == 403
