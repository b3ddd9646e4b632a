"""`make loadtest`'s machinery against the live test server: two members sign in through the real
forms and load their pages for about three seconds; a planted leak and a server error fail the run."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from bench.loadtest import LeakScanner, RunResult, require_loopback, run, totp_now
from bench.loadtest.__main__ import report
from bench.loadtest.plan import account_for
from tests.browser import totp_now as allauth_totp_now
from tests.conftest import TOTP_SECRET
from tests.factories import PASSWORD


def _loopback(live_server) -> str:
    return f"http://127.0.0.1:{urlsplit(live_server.url).port}"


def _accounts(cast):
    with cast.a.context():
        manager = account_for(cast.a.memberships["manager"], password=PASSWORD, totp_secret=TOTP_SECRET)
    with cast.b.context():
        partner = account_for(cast.b.memberships["p1_admin"], password=PASSWORD, totp_secret=TOTP_SECRET)
    return manager, partner


def _run(live_server, accounts) -> RunResult:
    return run(_loopback(live_server), list(accounts), seconds=3, max_requests=400, https_proxy=False)


def test_the_plan_gives_each_member_the_pages_of_its_role_and_the_other_side_as_markers(cast):
    manager, partner = _accounts(cast)
    manager_pages = {label for label, _path in manager.pages}
    assert {"home", "partners", "partner 360", "deals", "pos sell-through", "inventory"} <= manager_pages
    assert "finance" not in manager_pages  # a channel manager sees no finance reports
    assert manager.totp_secret == TOTP_SECRET and manager.host == "acme.localhost"
    assert {"Initech", "R100", "GX-1", "Globex Components"} <= set(manager.markers)
    assert "Northwind Distribution" not in manager.markers and "D100" not in manager.markers

    partner_pages = dict(partner.pages)
    assert "partners" not in partner_pages  # partner people open their own page instead
    assert partner_pages["partner 360"] == f"/partners/{cast.b.partners['p1'].pk}/"
    assert partner.totp_secret is None and partner.host == "globex.localhost"
    assert {"Northwind Distribution", "Contoso Supply", "D100", "PMP-100", "Acme Industrial"} <= set(
        partner.markers
    )
    assert "Initech" not in partner.markers and "R100" not in partner.markers


def test_two_members_sign_in_and_load_their_pages_without_a_failure(cast, live_server):
    manager, partner = _accounts(cast)
    result = _run(live_server, [manager, partner])
    assert result.failures == []
    assert result.signed_in == 2 and result.ok
    assert {s.status for s in result.samples} == {200}
    rows = {row["page"]: row for row in result.table()}
    assert rows["home"]["requests"] >= 2  # both loaded the home page at least once
    assert rows["TOTAL"]["requests"] == len(result.samples) and rows["TOTAL"]["errors"] == 0
    assert rows["TOTAL"]["p95_ms"] >= rows["TOTAL"]["p50_ms"] > 0


def test_a_page_that_shows_another_tenants_partner_fails_the_run_naming_the_url(
    cast, live_server, tmp_path, capsys
):
    manager, partner = _accounts(cast)
    # Planted: Acme's partner D100 now shows Globex's partner name on its 360 page.
    p1 = cast.a.partners["p1"]
    with cast.a.context():
        type(p1).objects.filter(pk=p1.pk).update(city="Initech")
    result = _run(live_server, [manager, partner])
    leaks = [f for f in result.failures if "Initech" in f.reason]
    assert leaks and not result.ok
    assert {f.url for f in leaks} == {f"http://acme.localhost/partners/{p1.pk}/"}
    assert all(f.email == manager.email and f.status == 200 for f in leaks)

    assert report(result, users=2, seconds=3, workers=1, path=tmp_path / "r.json") == 1
    assert f"http://acme.localhost/partners/{p1.pk}/" in capsys.readouterr().err
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["failures"] and saved["pages"][-1]["page"] == "TOTAL"


def test_a_server_error_fails_the_run(cast, live_server, monkeypatch, tmp_path, capsys):
    manager, partner = _accounts(cast)

    def broken(membership):
        raise RuntimeError("planted")

    monkeypatch.setattr("prm.views.panels_for", broken)
    result = _run(live_server, [manager, partner])
    errors = [f for f in result.failures if f.status == 500]
    assert errors and not result.ok
    assert {f.url for f in errors} == {"http://acme.localhost/", "http://globex.localhost/"}
    assert {f.page for f in errors} == {"home"}
    assert report(result, users=2, seconds=3, workers=1, path=tmp_path / "r.json") == 1
    assert "500 http://acme.localhost/" in capsys.readouterr().err


def test_leak_scanner_matches_whole_names_after_entities_and_ignores_random_tokens():
    scanner = LeakScanner(["R100", "Smith & Sons", "Initech"])
    assert scanner.find("<td>R100</td>") == ["R100"]
    assert scanner.find("<td>R1000 and XR100</td>") == []
    assert scanner.find("<td>Smith &amp; Sons</td>") == ["Smith & Sons"]
    assert scanner.find('<script nonce="abcdefghR100ijklmnopq"></script>') == []
    assert LeakScanner([]).find("anything") == []


def test_totp_codes_are_the_ones_allauth_accepts():
    # allauth's helper first: it waits out the end of a window, so both read the same window.
    expected = allauth_totp_now(TOTP_SECRET)
    assert totp_now(TOTP_SECRET) == expected


@pytest.mark.parametrize(
    "url", ["http://example.com:8000", "http://10.0.0.5:8000", "http://acme.localhost:8000"]
)
def test_the_load_test_refuses_targets_off_the_loopback_interface(url):
    with pytest.raises(ValueError, match="loopback"):
        require_loopback(url)
    require_loopback("http://127.0.0.1:8000")


def test_server_times_come_from_gunicorns_access_log_per_page():
    from bench.loadtest import Account, server_times

    account = Account(
        "a@acme.test", "pw", "acme.localhost", "channel_manager", (("home", "/"), ("deals", "/deals/")), ()
    )
    lines = [
        'loadtest 200 12 "GET / HTTP/1.1"',
        'loadtest 200 30 "GET /deals/ HTTP/1.1"',
        'loadtest 302 250 "POST /accounts/login/ HTTP/1.1"',  # sign-in: not a page
        'loadtest 200 5 "GET /-/ready HTTP/1.1"',  # the readiness probe: not a page
        "[INFO] Booting worker with pid: 7",
        'loadtest 200 18 "GET / HTTP/1.1"',
    ]
    assert server_times(lines, [account]) == {"home": [12.0, 18.0], "deals": [30.0]}
