"""The SSRF guard: webhooks go only to https URLs whose host resolves to public addresses, checked
when an endpoint is saved and again before every attempt (DNS rebinding); the attempt connects to
the address checked and follows no redirect."""

from __future__ import annotations

import pytest

from prm.webhooks import transport
from prm.webhooks.delivery import delivery_attempt
from prm.webhooks.guard import UnsafeUrl, check_url
from prm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from prm.webhooks.services import endpoint_create
from tests.deals.helpers import register
from tests.webhooks.helpers import PUBLIC_V4, PUBLIC_V6

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://10.1.2.3/hook", "private"),
        ("https://172.16.0.1/hook", "private"),
        ("https://192.168.1.10/hook", "private"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.9.9.9:8443/hook", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://[fd00:ec2::254]/hook", "private"),  # IPv6 unique local (AWS's metadata service)
        ("https://[fc00::1]/hook", "private"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),  # IPv4-mapped IPv6
        ("https://[::ffff:169.254.169.254]/hook", "link-local"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://[2002:a9fe:a9fe::1]/hook", "link-local"),  # 6to4 of 169.254.169.254
        ("https://[64:ff9b::a00:1]/hook", "private"),  # NAT64 of 10.0.0.1
        ("https://224.0.0.251/hook", "multicast"),
        ("https://[ff02::1]/hook", "multicast"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://100.64.0.1/hook", "not a public"),  # carrier-grade NAT
        ("https://240.0.0.1/hook", "reserved"),
        ("https://192.0.2.10/hook", "private"),  # documentation range
    ],
)
def test_private_loopback_link_local_and_other_non_public_addresses_are_refused(url, why, dns):
    with pytest.raises(UnsafeUrl) as refused:
        check_url(url)
    assert why in str(refused.value)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/hook", "HTTPS only"),
        ("ftp://hooks.example.com/hook", "HTTPS only"),
        ("https://user:secret@hooks.example.com/hook", "user name or password"),
        ("https:///hook", "no host"),
        ("https://unknown.example.com/hook", "does not resolve"),
        ("https://hooks.example.com:99999/hook", "cannot be read"),
        ("https://hooks.example.com/" + "x" * 2000, "at most 2000"),
        ("https://hooks.example.com/a b", "spaces or control characters"),
        ("https://hooks.example.com/a\r\nX-Injected: 1", "spaces or control characters"),
    ],
)
def test_malformed_plain_http_or_credential_urls_are_refused_with_a_reason(url, why, dns):
    with pytest.raises(UnsafeUrl) as refused:
        check_url(url)
    assert why in str(refused.value)


def test_a_public_name_is_accepted_with_every_address_it_resolves_to(dns):
    target = check_url("https://Hooks.Example.com/in/prm?source=acme#ignored")
    assert target.scheme == "https" and target.host == "hooks.example.com" and target.port == 443
    assert target.path == "/in/prm?source=acme"
    assert target.addresses == (PUBLIC_V4, PUBLIC_V6)


def test_a_name_resolving_to_a_private_address_is_refused_even_beside_public_ones(dns):
    table, _calls = dns
    table["internal.example.com"] = ["10.0.0.7"]
    table["split.example.com"] = [PUBLIC_V4, "192.168.0.3"]
    table["metadata.example.com"] = ["169.254.169.254"]
    table["v6local.example.com"] = ["fd12:3456::1"]
    for host, why in [
        ("internal.example.com", "resolves to 10.0.0.7, a private address"),
        ("split.example.com", "resolves to 192.168.0.3, a private address"),
        ("metadata.example.com", "link-local"),
        ("v6local.example.com", "private"),
    ]:
        with pytest.raises(UnsafeUrl) as refused:
            check_url(f"https://{host}/hook")
        assert why in str(refused.value), host


def test_loopback_and_http_are_allowed_only_with_the_development_setting(dns, settings):
    table, _calls = dns
    table["localhost"] = ["127.0.0.1"]
    settings.PRM_WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(UnsafeUrl):
        check_url("http://127.0.0.1:8080/hook")
    settings.PRM_WEBHOOKS_ALLOW_LOOPBACK = True
    assert check_url("http://127.0.0.1:8080/hook").addresses == ("127.0.0.1",)
    assert check_url("http://localhost:8080/hook").addresses == ("127.0.0.1",)
    # Still nothing private, and plain http only to loopback.
    with pytest.raises(UnsafeUrl):
        check_url("https://10.0.0.1/hook")
    with pytest.raises(UnsafeUrl, match="HTTPS only"):
        check_url("http://hooks.example.com/hook")


def test_registering_an_endpoint_to_a_private_address_is_refused_and_saves_nothing(cast, dns):
    table, _calls = dns
    table["intranet.example.com"] = ["10.20.30.40"]
    with cast.a.context():
        for url in ("https://169.254.169.254/latest/meta-data/", "https://intranet.example.com/hook"):
            with pytest.raises(UnsafeUrl):
                endpoint_create(
                    acting_membership=cast.a.memberships["admin"], url=url, events=["deal.approved"]
                )
        assert not WebhookEndpoint.objects.exists()


def test_a_name_that_resolves_privately_at_send_time_is_not_called(
    cast, dns, monkeypatch, django_capture_on_commit_callbacks
):
    """DNS rebinding: public when registered, private when sending: refused before connecting."""
    table, _calls = dns
    with cast.a.context():
        endpoint_create(
            acting_membership=cast.a.memberships["admin"],
            url="https://hooks.example.com/hook",
            events=["deal.submitted"],
        )
    table["hooks.example.com"] = ["127.0.0.1"]
    connections: list = []
    monkeypatch.setattr(transport, "post", lambda *args, **kwargs: connections.append(args))
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        register(cast)
    assert connections == []
    with cast.a.context():
        attempt = WebhookAttempt.objects.get()
        assert attempt.outcome == WebhookAttempt.Outcome.FAILED and attempt.status_code is None
        assert "resolves to 127.0.0.1, a loopback address" in attempt.error
        assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PENDING  # retried later


def test_an_attempt_resolves_once_and_connects_to_the_checked_address_with_the_name_as_host(
    cast, receiver, dns, django_capture_on_commit_callbacks
):
    table, calls = dns
    table["hooks.example.test"] = ["127.0.0.1"]
    url = receiver.url(host="hooks.example.test")
    with cast.a.context():
        endpoint_create(acting_membership=cast.a.memberships["admin"], url=url, events=["deal.submitted"])
    calls.clear()
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        register(cast)
    (request,) = receiver.requests
    assert request.headers["host"] == f"hooks.example.test:{receiver.port}"
    assert calls == ["hooks.example.test"]  # one look-up; the connection used its answer


def test_redirects_are_not_followed(cast, receiver, django_capture_on_commit_callbacks):
    receiver.answer(_redirect_to("http://169.254.169.254/latest/meta-data/"))
    with cast.a.context():
        endpoint_create(
            acting_membership=cast.a.memberships["admin"], url=receiver.url(), events=["deal.submitted"]
        )
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        register(cast)
    assert len(receiver.requests) == 1
    with cast.a.context():
        attempt = WebhookAttempt.objects.get()
        assert (attempt.outcome, attempt.status_code) == (WebhookAttempt.Outcome.FAILED, 302)


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    cast, receiver, settings, django_capture_on_commit_callbacks
):
    from tests.webhooks.helpers import Reply

    settings.PRM_WEBHOOKS_TIMEOUT = 0.3
    receiver.answer(Reply(delay=1.5))
    with cast.a.context():
        endpoint_create(
            acting_membership=cast.a.memberships["admin"], url=receiver.url(), events=["deal.submitted"]
        )
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        register(cast)
    with cast.a.context():
        attempt = WebhookAttempt.objects.get()
        assert attempt.outcome == WebhookAttempt.Outcome.FAILED and attempt.status_code is None
        assert "No answer within 0.3 s" in attempt.error


def _redirect_to(location: str):
    from tests.webhooks.helpers import Reply

    return Reply(status=302, headers=(("Location", location),))


def test_an_attempt_after_the_lease_of_another_worker_only(
    cast, receiver, django_capture_on_commit_callbacks
):
    """A second copy of the task (a redelivered message) finds the delivery finished: it sends nothing."""
    with cast.a.context():
        endpoint_create(
            acting_membership=cast.a.memberships["admin"], url=receiver.url(), events=["deal.submitted"]
        )
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        register(cast)
    with cast.a.context():
        delivery = WebhookDelivery.objects.get()
        assert delivery_attempt(delivery.pk) == "skipped"
    assert len(receiver.requests) == 1
