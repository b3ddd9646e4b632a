"""The payables pages for every role (allowed / 403 / someone else's 404 / anonymous), totals per
currency never added across currencies, the partner's home panel, cancelling, and exports."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prm.accounts.models import Membership
from prm.audit.models import AuditEvent
from prm.finance.models import Payable
from prm.notifications.models import Notification
from tests.prm.finance_helpers import fake_source, make_payable  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

STAFF = ["admin", "manager", "marketing", "finance"]


@pytest.fixture
def payables(cast, fake_source):  # noqa: F811
    p1_usd, _ = make_payable(cast.a, source_id="CL-1/1", amount="1250.50")
    p1_jpy, _ = make_payable(cast.a, source_id="CL-1/2", amount="123457", currency="JPY")
    p1_kwd, _ = make_payable(cast.a, source_id="CL-1/3", amount="12.345", currency="KWD")
    p1_spif, _ = make_payable(cast.a, source_id="SPIF-9", amount="50.00", payee_user=cast.a.users["p1_user"])
    p2_usd, _ = make_payable(cast.a, partner_key="p2", source_id="CL-2/1", amount="-80.00")
    return {"usd": p1_usd, "jpy": p1_jpy, "kwd": p1_kwd, "spif": p1_spif, "p2": p2_usd}


def _status(client, url, method="get"):
    return getattr(client, method)(url).status_code


def test_the_list_answers_every_role_with_its_own_payables(cast, payables):
    for who in STAFF:
        response = cast.a.client(who).get("/finance/payables/")
        assert response.status_code == 200, who
        assert {p.pk for p in response.context["page"]} == {p.pk for p in payables.values()}
    own = cast.a.client("p1_admin").get("/finance/payables/")
    assert {p.pk for p in own.context["page"]} == {payables[k].pk for k in ("usd", "jpy", "kwd", "spif")}
    rep = cast.a.client("p1_user").get("/finance/payables/")
    assert [p.pk for p in rep.context["page"]] == [payables["spif"].pk]
    other = cast.a.client("p2_user").get("/finance/payables/")
    assert list(other.context["page"]) == []
    assert "CL-1/1" not in other.content.decode()


def test_anonymous_is_sent_to_sign_in_and_another_tenant_sees_nothing(cast, payables):
    response = cast.a.client().get("/finance/payables/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    stranger = cast.a.client()
    stranger.force_login(cast.b.users["admin"])
    response = stranger.get(f"/finance/payables/{payables['usd'].pk}/")
    assert response.status_code == 403 and "CL-1/1" not in response.content.decode()
    assert cast.b.client("admin").get(f"/finance/payables/{payables['usd'].pk}/").status_code == 404


def test_totals_are_per_currency_and_amounts_keep_their_minor_units(cast, payables):
    response = cast.a.client("finance").get("/finance/payables/?partner=" + str(cast.a.partners["p1"].pk))
    totals = {t["currency"]: (t["n"], t["total"].amount) for t in response.context["totals"]}
    assert totals == {
        "JPY": (1, Decimal("123457")),
        "KWD": (1, Decimal("12.345")),
        "USD": (2, Decimal("1300.50")),
    }
    html = response.content.decode()
    assert "¥123,457" in html and "KWD12.345" in html.replace("\xa0", "") and "$1,300.50" in html


def test_a_restricted_manager_sees_only_assigned_partners(cast, payables):
    from guardian.shortcuts import assign_perm

    with cast.a.context():
        Membership.objects.filter(pk=cast.a.memberships["manager"].pk).update(assigned_partners_only=True)
        assign_perm("partners.manage_partner", cast.a.users["manager"], cast.a.partners["p2"])
    response = cast.a.client("manager").get("/finance/payables/")
    assert [p.pk for p in response.context["page"]] == [payables["p2"].pk]
    assert _status(cast.a.client("manager"), f"/finance/payables/{payables['usd'].pk}/") == 404


def test_detail_links_back_to_the_source_for_who_may_see_it(cast, payables):
    url = f"/finance/payables/{payables['usd'].pk}/"
    for who in [*STAFF, "p1_admin"]:
        response = cast.a.client(who).get(url)
        assert response.status_code == 200, who
        assert 'href="/test-claims/lines/CL-1/1/"' in response.content.decode()
    assert _status(cast.a.client("p1_user"), url) == 404  # not payable to the rep personally
    assert _status(cast.a.client("p2_admin"), url) == 404
    assert _status(cast.a.client("p1_user"), f"/finance/payables/{payables['spif'].pk}/") == 200


def test_the_source_without_a_registered_app_still_shows_its_kind(cast, payables):
    from prm.finance.registry import unregister_payable_source

    unregister_payable_source("test_claim_line")
    response = cast.a.client("finance").get(f"/finance/payables/{payables['usd'].pk}/")
    assert response.status_code == 200 and "test_claim_line CL-1/1" in response.content.decode()


def test_partners_see_open_and_paid_on_their_home_page(cast, payables):
    with cast.a.context():
        Payable.objects.filter(pk=payables["jpy"].pk).update(status=Payable.Status.PAID)
        Payable.objects.filter(pk=payables["kwd"].pk).update(status=Payable.Status.IN_BATCH)
    response = cast.a.client("p1_admin").get("/")
    html = response.content.decode()
    assert 'data-testid="partner-payables-panel"' in html
    panel = next(
        p for p in response.context["panels"] if p.template == "finance/panels/partner_payables.html"
    )
    assert [tuple(m) for m in panel.context["totals"]["unpaid"]] == [
        (Decimal("12.345"), "KWD"),
        (Decimal("1300.50"), "USD"),
    ]
    assert [tuple(m) for m in panel.context["totals"]["paid"]] == [(Decimal("123457"), "JPY")]
    assert "/test-claims/lines/CL-1/1/" in html
    other = cast.a.client("p2_user").get("/").content.decode()
    assert "Nothing is owed to you yet" in other and "CL-1/1" not in other


def test_the_finance_home_panel_sums_open_payables_per_currency(cast, payables):
    response = cast.a.client("finance").get("/")
    panel = next(p for p in response.context["panels"] if p.template == "finance/panels/payables.html")
    assert {t["currency"]: t["total"].amount for t in panel.context["totals"]} == {
        "JPY": Decimal("123457"),
        "KWD": Decimal("12.345"),
        "USD": Decimal("1220.50"),
    }
    assert "payables-panel" not in cast.a.client("marketing").get("/").content.decode()


def test_empty_payables_page_says_nothing_is_owed(cast):
    response = cast.a.client("finance").get("/finance/payables/")
    assert response.status_code == 200
    assert 'data-testid="payables-empty"' in response.content.decode()
    assert response.context["totals"] == []


def test_the_list_runs_the_same_number_of_queries_for_more_payables(cast, fake_source):  # noqa: F811
    for i in range(3):
        make_payable(cast.a, source_id=f"a{i}")
    client = cast.a.client("finance")
    client.get("/finance/payables/")
    with CaptureQueriesContext(connection) as few:
        client.get("/finance/payables/")
    for i in range(3, 30):
        make_payable(cast.a, source_id=f"a{i}", partner_key="p1" if i % 2 else "p2")
    with CaptureQueriesContext(connection) as many:
        client.get("/finance/payables/")
    assert len(many) == len(few)


def test_export_rounds_every_amount_to_its_currency(cast, payables):
    response = cast.a.client("finance").get("/finance/payables/?export=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    amounts = {r["source_id"]: (r["amount"], r["currency"]) for r in rows}
    assert amounts == {
        "CL-1/1": ("1250.50", "USD"),
        "CL-1/2": ("123457", "JPY"),
        "CL-1/3": ("12.345", "KWD"),
        "SPIF-9": ("50.00", "USD"),
        "CL-2/1": ("-80.00", "USD"),
    }
    assert cast.a.client("p1_admin").get("/finance/payables/?export=csv").get("Content-Disposition") is None


def test_finance_cancels_an_open_payable_with_a_reason_audited_and_notified(cast, payables):
    url = f"/finance/payables/{payables['usd'].pk}/cancel/"
    assert cast.a.client("manager").post(url, {"reason": "x"}).status_code == 403
    assert cast.a.client("p1_admin").post(url, {"reason": "x"}).status_code == 403
    response = cast.a.client("finance").post(url, {"reason": "Claim withdrawn"})
    assert response.status_code == 302
    with cast.a.context():
        payable = Payable.objects.get(pk=payables["usd"].pk)
        assert (payable.status, payable.cancel_reason) == ("cancelled", "Claim withdrawn")
        event = AuditEvent.objects.get(action="payable.cancel", object_id=str(payable.pk))
        assert event.before == {"status": "open"} and event.after["status"] == "cancelled"
        assert event.actor_id == cast.a.users["finance"].pk
        note = Notification.objects.get(verb="payable.cancelled")
        assert (
            note.recipient_id == cast.a.users["p1_admin"].pk
            and note.url == f"/finance/payables/{payable.pk}/"
        )


def test_cancelling_twice_or_a_paid_payable_is_refused_and_writes_nothing(cast, payables):
    with cast.a.context():
        Payable.objects.filter(pk=payables["jpy"].pk).update(status=Payable.Status.PAID)
    client = cast.a.client("admin")
    response = client.post(f"/finance/payables/{payables['jpy'].pk}/cancel/", {"reason": "oops"}, follow=True)
    assert "cannot move from Paid to Cancelled" in response.content.decode()
    response = client.post(f"/finance/payables/{payables['usd'].pk}/cancel/", {"reason": ""}, follow=True)
    assert "Say why" in response.content.decode()
    with cast.a.context():
        assert not AuditEvent.objects.filter(action="payable.cancel").exists()
        assert set(Payable.objects.values_list("status", flat=True)) == {"open", "paid"}
