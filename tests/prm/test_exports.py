"""The one export writer escapes formula-like cells (CSV and XLSX); the partners export holds only
what the user may see in this tenant."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from prm.exports import escape_cell, export_response
from prm.roles import Role
from prm.tenancy.context import tenant_context
from tests.conftest import enrol_totp
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

HOSTILE = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_like_text_is_escaped(value):
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Northwind", "a=b", "", 12, Decimal("-5.00"), None])
def test_ordinary_values_are_left_alone(value):
    assert escape_cell(value) == value


def test_csv_export_escapes_hostile_cells_but_keeps_numbers():
    response = export_response("x.csv", ["name", "amount"], [[v, Decimal("-5.00")] for v in HOSTILE])
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="x.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["name", "amount"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in HOSTILE]
    # Numbers are data, not text a spreadsheet would evaluate: negative amounts stay numbers.
    assert {r[1] for r in rows[1:]} == {"-5.00"}


def test_xlsx_export_escapes_hostile_cells_and_keeps_numbers_numeric():
    response = export_response("x.xlsx", ["name", "amount"], [[v, Decimal("-5.00")] for v in HOSTILE])
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = _xlsx(response)
    assert rows[0] == ["name", "amount"]
    # (A carriage return is stored as the XML escape _x000D_, which Excel reads back as CR.)
    assert [r[0].replace("_x000D_", "\r") for r in rows[1:]] == ["'" + v for v in HOSTILE]
    assert all(r[1] == -5 for r in rows[1:])


pytestmark_db = pytest.mark.django_db


@pytestmark_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_partner_export_holds_only_this_tenants_partners(cast, fmt):
    with cast.a.context():
        PartnerFactory(code="D300", name="=cmd|' /C calc'!A0")
    response = cast.a.client("manager").get("/partners/", {"export": fmt})
    assert response.status_code == 200
    rows = _csv(response) if fmt == "csv" else _xlsx(response)
    assert rows[0][:2] == ["code", "name"]
    assert [r[0] for r in rows[1:]] == ["D100", "D200", "D300"]
    assert rows[-1][1] == "'=cmd|' /C calc'!A0"


@pytestmark_db
def test_partner_export_of_a_restricted_manager_holds_only_assigned_partners(cast):
    from guardian.shortcuts import assign_perm

    user = UserFactory(email="restricted@acme.test")
    with tenant_context(cast.a.tenant):
        MembershipFactory(user=user, role=Role.CHANNEL_MANAGER, assigned_partners_only=True)
        assign_perm("partners.manage_partner", user, cast.a.partners["p2"])
    enrol_totp(user)  # channel managers must use MFA
    client = cast.a.client()
    client.force_login(user)
    rows = _csv(client.get("/partners/", {"export": "csv"}))
    assert [r[0] for r in rows[1:]] == ["D200"]


@pytestmark_db
def test_partner_export_respects_the_list_filters(cast):
    rows = _csv(cast.a.client("admin").get("/partners/", {"export": "csv", "q": "contoso"}))
    assert [r[0] for r in rows[1:]] == ["D200"]


@pytestmark_db
def test_partner_users_cannot_export_the_partner_list(cast):
    response = cast.a.client("p1_user").get("/partners/", {"export": "csv"})
    assert response.status_code == 302  # partner roles are sent to their own company page
    assert not response.get("Content-Disposition")
