"""Agreements: back office create / amend (a new version, history kept) / cancel, and
``import_data --kind agreements`` (INTERFACES.md) on messy files."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from claims.models import AgreementLine, AgreementVersion, PricingAgreement
from claims.services.agreements import AgreementTerms, LineTerms, agreement_amend, agreement_cancel
from prm.audit.models import AuditEvent
from prm.workflow import DomainError, InvalidTransition
from tests.claims.helpers import agreement, line, product, submit

pytestmark = pytest.mark.django_db

HEADER = (
    "agreement_number,partner_code,end_customer,start_date,end_date,status,sku,book_cost,approved_cost,"
    "authorized_quantity,max_resale_price"
)


def run_import(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "agreements.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_data", "--tenant", "acme", "--kind", "agreements", str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_create_is_audited_and_amend_keeps_the_previous_version(cast):
    with cast.a.context():
        spa = agreement(cast)
        agreement_amend(
            agreement=spa,
            terms=AgreementTerms(
                "Globex Water Utility Inc.",
                datetime.date(2026, 1, 1),
                datetime.date(2027, 6, 30),
                [LineTerms(product("PMP-100"), Decimal("100"), Decimal("75"), 20)],
            ),
            acting_membership=cast.a.memberships["manager"],
            note="Extended",
        )
        spa.refresh_from_db()
        old = AgreementVersion.objects.get()
        line_now = AgreementLine.objects.get()
        actions = list(
            AuditEvent.objects.filter(action__startswith="agreement.")
            .order_by("id")
            .values_list("action", flat=True)
        )
    assert spa.version == 2 and spa.end_date == datetime.date(2027, 6, 30)
    assert old.version == 1 and old.terms["lines"][0]["authorized_quantity"] == 10 and old.note == "Extended"
    assert (line_now.approved_cost, line_now.authorized_quantity) == (Decimal("75.0000"), 20)
    assert actions == ["agreement.create", "agreement.amend"]


def test_amend_cannot_go_below_what_was_claimed(cast):
    with cast.a.context():
        spa = agreement(cast)
        submit(cast, [line(quantity="6")])
        with pytest.raises(DomainError):
            agreement_amend(
                agreement=spa,
                terms=AgreementTerms(
                    spa.end_customer,
                    spa.start_date,
                    spa.end_date,
                    [LineTerms(product("PMP-100"), Decimal("100"), Decimal("80"), 5)],
                ),
                acting_membership=cast.a.memberships["manager"],
            )
        assert not AgreementVersion.objects.exists()


def test_cancel_once_with_a_reason_and_partners_cannot_manage(cast):
    with cast.a.context():
        spa = agreement(cast)
        with pytest.raises(PermissionDenied):
            agreement_cancel(agreement=spa, acting_membership=cast.a.memberships["p1_admin"], reason="x")
        agreement_cancel(
            agreement=spa, acting_membership=cast.a.memberships["manager"], reason="Project stopped"
        )
        with pytest.raises(InvalidTransition):
            agreement_cancel(agreement=spa, acting_membership=cast.a.memberships["manager"], reason="again")
        spa.refresh_from_db()
        assert spa.status == "cancelled"
        assert AuditEvent.objects.filter(action="agreement.cancel").count() == 1


def test_import_creates_agreements_by_natural_key_and_reports_counts(cast, tmp_path):
    with cast.a.context():
        product("VLV-010")
    report = run_import(
        tmp_path,
        HEADER + ",extra\n"
        "SPA-10,D100,Globex Inc,2026-01-01,2026-12-31,active,PMP-100,100.00,80.00,50,120.00,x\n"
        "SPA-10,D100,Globex Inc,2026-01-01,2026-12-31,active,VLV-010,20,15,100,,y\n"
        "SPA-11,D200,Initech,2026-02-01,2026-03-31,active,PMP-100,100,90,5,,\n",
    )
    assert report == {"kind": "agreements", "created": 3, "updated": 0, "errors": []}
    with cast.a.context():
        spa = PricingAgreement.objects.get(number="SPA-10")
        assert spa.partner.code == "D100" and spa.lines.count() == 2 and spa.version == 1


def test_reimport_with_changes_amends_as_a_new_version_and_cancelled_cancels(cast, tmp_path):
    text = HEADER + "\nSPA-10,D100,Globex Inc,2026-01-01,2026-12-31,active,PMP-100,100,80,50,\n"
    run_import(tmp_path, text)
    same = run_import(tmp_path, text)
    changed = run_import(tmp_path, text.replace(",50,", ",70,"))
    cancelled = run_import(tmp_path, text.replace(",50,", ",70,").replace("active", "cancelled"))
    assert (same["updated"], changed["updated"], cancelled["updated"]) == (1, 1, 1)
    with cast.a.context():
        spa = PricingAgreement.objects.get(number="SPA-10")
        assert (spa.version, spa.status, spa.lines.get().authorized_quantity) == (2, "cancelled", 70)


def test_an_invalid_row_imports_nothing_and_every_problem_names_line_and_column(cast, tmp_path):
    report = run_import(
        tmp_path,
        HEADER + "\n"
        "SPA-20,D100,Globex,2026-01-01,2026-12-31,active,PMP-100,100,80,10,\n"
        "SPA-20,D100,Globex,2026-01-01,2026-12-31,active,NOPE,100,120,0,\n"
        "SPA-21,ZZZ,Globex,2026-13-01,2026-12-31,paused,PMP-100,abc,80,10,\n",
    )
    problems = {(e["line"], e["column"]) for e in report["errors"]}
    assert {(3, "sku"), (3, "approved_cost"), (3, "authorized_quantity")} <= problems
    assert {(4, "partner_code"), (4, "start_date"), (4, "status"), (4, "book_cost")} <= problems
    assert report["created"] == 0
    with cast.a.context():
        assert not PricingAgreement.objects.exists()
