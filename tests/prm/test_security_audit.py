"""Sign-ins, failed sign-ins, MFA changes and exports are audited; background jobs record the user
who started them."""

from __future__ import annotations

import logging

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.test import Client

from prm.audit.models import AuditEvent
from prm.audit.services import audit
from prm.celery import tenant_task
from prm.jobs.services import job_create
from tests.browser import totp_now
from tests.conftest import TOTP_SECRET
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _events(side, action: str) -> list[AuditEvent]:
    with side.context():
        return list(AuditEvent.objects.filter(action=action).select_related("actor"))


def test_a_sign_in_is_audited_in_the_tenant_of_the_host(cast):
    client = cast.a.client()
    response = client.post(
        "/accounts/login/", {"login": "p1_user@acme.test", "password": PASSWORD}, REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 302
    (event,) = _events(cast.a, "auth.sign_in")
    assert event.actor == cast.a.users["p1_user"]
    assert event.ip_address == "198.51.100.4"
    assert _events(cast.b, "auth.sign_in") == []


def test_a_sign_in_with_mfa_is_audited_once_complete(cast):
    client = cast.a.client()
    response = client.post("/accounts/login/", {"login": "admin@acme.test", "password": PASSWORD})
    assert _events(cast.a, "auth.sign_in") == []  # the second factor is still missing
    client.post(response["Location"], {"code": "000000"})
    (failed,) = _events(cast.a, "auth.mfa_failed")
    assert failed.actor == cast.a.users["admin"]
    client.post(response["Location"], {"code": totp_now(TOTP_SECRET)})
    assert [e.actor for e in _events(cast.a, "auth.sign_in")] == [cast.a.users["admin"]]


def test_a_failed_sign_in_is_audited_with_the_address_tried(cast):
    response = cast.a.client().post(
        "/accounts/login/",
        {"login": "p1_user@acme.test", "password": "wrong-password"},
        REMOTE_ADDR="203.0.113.8",
    )
    assert response.status_code == 200
    (event,) = _events(cast.a, "auth.sign_in_failed")
    assert event.actor is None
    assert event.after == {"email": "p1_user@acme.test"}
    assert event.ip_address == "203.0.113.8"
    assert _events(cast.a, "auth.sign_in") == []


def test_sign_ins_on_the_platform_host_go_to_the_security_log(cast, caplog):
    with caplog.at_level(logging.INFO, logger="prm.security"):
        Client().post("/accounts/login/", {"login": "nobody@example.test", "password": "wrong-password"})
    assert any(
        "auth.sign_in_failed" in r.getMessage() and "tenant=-" in r.getMessage() for r in caplog.records
    )


@pytest.mark.django_db(transaction=True)  # allauth signals from on_commit, inside the request
def test_mfa_enrolment_and_removal_are_audited(cast):
    user = cast.a.users["p1_admin"]
    client = cast.a.client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/")
    secret = response.context["form"].secret
    assert client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)}).status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    enrolled = _events(cast.a, "mfa.enrol")  # the authenticator app, then its recovery codes
    assert {(e.actor, e.after["type"]) for e in enrolled} == {(user, "totp"), (user, "recovery_codes")}

    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    removed = _events(cast.a, "mfa.remove")
    assert {(e.actor, e.after["type"]) for e in removed} >= {(user, "totp")}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_of_personal_data_is_audited_with_who_took_it(cast, fmt):
    response = cast.a.client("admin").get(f"/partners/contacts/export/?format={fmt}")
    assert response.status_code == 200
    (event,) = _events(cast.a, "export.download")
    assert event.actor == cast.a.users["admin"]
    assert event.after["file"] == f"contacts.{fmt}"
    assert "email" in event.after["columns"]


@tenant_task(name="tests.audit_probe")
def audit_probe(*, job_id: int | None = None) -> None:
    from prm.tenancy.context import require_tenant

    audit(actor=None, action="probe.run", obj=require_tenant())


def test_events_of_a_background_job_name_the_user_who_started_it(cast):
    with cast.a.context():
        job = job_create(kind="probe", acting_user=cast.a.users["manager"])
    audit_probe.delay(tenant_id=cast.a.tenant.pk, job_id=job.pk)
    audit_probe.delay(tenant_id=cast.a.tenant.pk)  # beat work: nobody started it
    assert [e.actor for e in _events(cast.a, "probe.run")] == [None, cast.a.users["manager"]]
