"""The webhooks back office through the test client: vendor admins only (other roles 403, another
tenant 404, anonymous to the login); the signing secret shown once and stored encrypted; unsafe
URLs refused with the reason; edit, rotate, disable, enable, delete, the delivery log and replay;
query counts that do not grow with the log."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prm.audit.models import AuditEvent
from prm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.webhooks.helpers import register_endpoint

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/prm"


def _new(client, **data):
    return client.post("/webhooks/new/", {"url": URL, "events": ["deal.approved", "claim.approved"], **data})


def _secret_in(html: str) -> str:
    return re.search(r'data-testid="signing-secret">([^<]+)<', html).group(1)


def test_only_vendor_admins_reach_the_pages(cast, dns):
    endpoint, _ = register_endpoint(cast.a, URL)
    pages = ["/webhooks/", "/webhooks/new/", f"/webhooks/{endpoint.pk}/", f"/webhooks/{endpoint.pk}/edit/"]
    for page in pages:
        assert cast.a.client("admin").get(page).status_code == 200, page
        for who in ("manager", "marketing", "finance", "p1_admin", "p1_user"):
            assert cast.a.client(who).get(page).status_code == 403, (page, who)
        response = cast.a.client().get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert cast.b.client("admin").get(f"/webhooks/{endpoint.pk}/").status_code == 404
    assert cast.b.client("admin").post(f"/webhooks/{endpoint.pk}/rotate-secret/").status_code == 404
    assert URL not in cast.b.client("admin").get("/webhooks/").content.decode()


def test_a_new_endpoint_shows_its_secret_once_and_keeps_it_encrypted(cast, dns):
    client = cast.a.client("admin")
    response = _new(client, description="ERP")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = _secret_in(response.content.decode())
    assert secret.startswith("whsec_")
    with cast.a.context():
        endpoint = WebhookEndpoint.objects.get()
        assert (endpoint.url, endpoint.events, endpoint.secret) == (
            URL,
            ["claim.approved", "deal.approved"],
            secret,
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT secret FROM prm_webhookendpoint WHERE id = %s", [endpoint.pk])
            assert secret not in cursor.fetchone()[0]
        event = AuditEvent.objects.get(action="webhook_endpoint.create")
        assert event.actor == cast.a.users["admin"] and secret not in str(event.after)
    for page in ("/webhooks/", f"/webhooks/{endpoint.pk}/", f"/webhooks/{endpoint.pk}/edit/"):
        assert secret not in client.get(page).content.decode(), page


def test_an_unsafe_url_is_refused_with_the_reason_and_nothing_is_saved(cast, dns):
    table, _calls = dns
    table["intranet.example.com"] = ["10.0.0.8"]
    client = cast.a.client("admin")
    for url, reason in [
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://intranet.example.com/hook", "10.0.0.8, a private address"),
        ("http://hooks.example.com/prm", "HTTPS only"),
    ]:
        response = _new(client, url=url)
        assert response.status_code == 200 and reason in response.content.decode(), url
        assert 'data-testid="signing-secret"' not in response.content.decode()
    response = client.post("/webhooks/new/", {"url": URL})
    assert response.status_code == 200 and 'data-testid="signing-secret"' not in response.content.decode()
    with cast.a.context():
        assert not WebhookEndpoint.objects.exists()


def test_edit_rotate_disable_enable_and_delete(cast, dns):
    endpoint, first_secret = register_endpoint(cast.a, URL, events=["deal.approved"])
    client = cast.a.client("admin")
    base = f"/webhooks/{endpoint.pk}/"
    response = client.post(base + "edit/", {"url": URL + "/v2", "events": ["lead.offered", "lead.accepted"]})
    assert response.status_code == 302 and response["Location"] == base
    response = client.post(base + "edit/", {"url": "https://10.1.1.1/x", "events": ["lead.offered"]})
    assert response.status_code == 200 and "private address" in response.content.decode()
    response = client.post(base + "rotate-secret/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new_secret = _secret_in(response.content.decode())
    assert new_secret != first_secret
    assert client.post(base + "disable/", {"reason": "Moving the ERP"}).status_code == 302
    assert "Moving the ERP" in client.get(base).content.decode()
    assert client.post(base + "enable/").status_code == 302
    assert client.post(base + "enable/").status_code == 302  # refused: the message says why
    assert client.post(base + "delete/").status_code == 302  # not confirmed: kept
    with cast.a.context():
        endpoint.refresh_from_db()
        assert (endpoint.url, endpoint.events, endpoint.status) == (
            URL + "/v2",
            ["lead.accepted", "lead.offered"],
            "enabled",
        )
        assert (endpoint.secret, endpoint.previous_secret) == (new_secret, first_secret)
        actions = list(
            AuditEvent.objects.filter(
                object_id=str(endpoint.pk), object_type="prm.webhookendpoint"
            ).values_list("action", flat=True)
        )
        assert sorted(actions) == sorted(
            [
                "webhook_endpoint.create",
                "webhook_endpoint.update",
                "webhook_endpoint.rotate_secret",
                "webhook_endpoint.disable",
                "webhook_endpoint.enable",
            ]
        )
    assert client.post(base + "delete/", {"confirm": "on"}).status_code == 302
    with cast.a.context():
        assert not WebhookEndpoint.objects.exists()
        assert AuditEvent.objects.filter(
            action="webhook_endpoint.delete", object_id=str(endpoint.pk)
        ).exists()


def _log(cast, endpoint, deliveries: int, attempts: int = 3) -> WebhookDelivery:
    """``deliveries`` failed deliveries of ``endpoint`` with ``attempts`` attempts each; the last one."""
    from django.utils import timezone

    with cast.a.context():
        now = timezone.now()
        last = None
        start = WebhookEvent.objects.count()
        for n in range(start, start + deliveries):
            event = WebhookEvent.objects.create(
                event_type="deal.approved",
                key=str(n),
                message_id=f"msg_{n}",
                body=f'{{"id":"msg_{n}","type":"deal.approved","tenant":"acme","occurred_at":"x","data":{{"id":{n}}}}}',
                occurred_at=now,
            )
            last = WebhookDelivery.objects.create(
                event=event, endpoint=endpoint, status="failed", attempts=attempts, last_status_code=500
            )
            WebhookAttempt.objects.bulk_create(
                WebhookAttempt(
                    tenant=cast.a.tenant,
                    delivery=last,
                    number=i,
                    outcome="failed",
                    started_at=now,
                    status_code=500,
                )
                for i in range(1, attempts + 1)
            )
        return last


def test_the_log_pages_show_deliveries_and_attempts_in_constant_queries(cast, dns):
    endpoint, _ = register_endpoint(cast.a, URL)
    client = cast.a.client("admin")
    last = _log(cast, endpoint, 2, attempts=2)
    with CaptureQueriesContext(connection) as few_list:
        assert client.get(f"/webhooks/{endpoint.pk}/").status_code == 200
    with CaptureQueriesContext(connection) as few_detail:
        response = client.get(f"/webhooks/deliveries/{last.pk}/")
    html = response.content.decode()
    assert last.event.message_id in html and "HTTP 500" in html and 'data-testid="replay"' in html
    last = _log(cast, endpoint, 20, attempts=5)
    with CaptureQueriesContext(connection) as many_list:
        html = client.get(f"/webhooks/{endpoint.pk}/?status=failed").content.decode()
    assert html.count("/webhooks/deliveries/") == 22
    with CaptureQueriesContext(connection) as many_detail:
        client.get(f"/webhooks/deliveries/{last.pk}/")
    assert len(many_list) == len(few_list)
    assert len(many_detail) == len(few_detail)


def test_replay_from_the_delivery_page(cast, receiver, django_capture_on_commit_callbacks):
    endpoint, secret = register_endpoint(cast.a, receiver.url())
    last = _log(cast, endpoint, 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.a.client("admin").post(f"/webhooks/deliveries/{last.pk}/replay/")
    assert response.status_code == 302 and response["Location"] == f"/webhooks/deliveries/{last.pk}/"
    (request,) = receiver.requests
    assert request.headers["webhook-id"] == last.event.message_id
    request.verified(secret)
    with cast.a.context():
        last.refresh_from_db()
        assert (last.status, last.attempts) == ("succeeded", 4)
    html = cast.a.client("admin").get(f"/webhooks/deliveries/{last.pk}/").content.decode()
    assert "replay" in html and "HTTP 200" in html
    assert cast.a.client("manager").post(f"/webhooks/deliveries/{last.pk}/replay/").status_code == 403
    assert cast.b.client("admin").post(f"/webhooks/deliveries/{last.pk}/replay/").status_code == 404


def test_the_admin_menu_links_to_webhooks_for_vendor_admins_only(cast):
    assert 'href="/webhooks/"' in cast.a.client("admin").get("/").content.decode()
    assert 'href="/webhooks/"' not in cast.a.client("manager").get("/").content.decode()
