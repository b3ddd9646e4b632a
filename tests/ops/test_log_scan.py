"""A journey through sign-in, payout details and a payout file, logged at DEBUG as production
writes it: no password, token, key or bank detail appears anywhere in the output."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from prm.finance.batches import payout_batch_approve, payout_batch_create, payout_batch_export
from tests.conftest import TOTP_SECRET
from tests.factories import PASSWORD
from tests.ops.logcapture import captured_logs
from tests.prm.finance_helpers import fake_source, make_payable, second_finance  # noqa: F401

pytestmark = pytest.mark.django_db

IBAN = "DE44500105175407324931"
BIC = "INGDDEFFXXX"
TAX_ID = "DE987654321"
WRONG_PASSWORD = "not-my-password-77!"


def _mfa_session(client: Client) -> None:
    session = client.session
    session["account_authentication_methods"] = [{"method": "password"}, {"method": "mfa", "type": "totp"}]
    session.save()


def test_a_payout_journey_logs_no_secret_and_no_payout_detail(cast, fake_source):  # noqa: F811
    partner = cast.a.partners["p1"]
    with captured_logs() as logs:
        # A partner signs in (one failed try first) and enters the bank account.
        partner_client = Client(HTTP_HOST=cast.a.host)
        email = cast.a.users["p1_admin"].email
        partner_client.post("/accounts/login/", {"login": email, "password": WRONG_PASSWORD})
        signed_in = partner_client.post("/accounts/login/", {"login": email, "password": PASSWORD})
        assert signed_in.status_code == 302, signed_in.content[:500]
        saved = partner_client.post(
            f"/partners/{partner.pk}/payout/",
            {"account_holder": "Northwind Ltd", "account_number": IBAN, "bank_code": BIC, "tax_id": TAX_ID},
        )
        assert saved.status_code == 302
        # Finance verifies it, pays through a batch and downloads the file with full details.
        finance = cast.a.client("finance")
        assert finance.post(f"/partners/{partner.pk}/payout/verify/").status_code == 302
        make_payable(cast.a, source_id="L1", amount="250.00")
        with cast.a.context():
            batch = payout_batch_create(acting_membership=cast.a.memberships["finance"], currency="USD")
            batch = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
            batch = payout_batch_export(batch=batch, acting_membership=cast.a.memberships["finance"])
        _mfa_session(finance)
        download = finance.get(f"/finance/batches/{batch.pk}/download/?bank=full")
        assert download.status_code == 200
        assert IBAN in b"".join(download.streaming_content).decode()
        # Someone probes with a bad query string and a bogus token.
        Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION="Bearer " + "x" * 40).get(
            f"/ops/metrics/?iban={IBAN}"
        )

    text = logs.text
    assert text.count("\n") >= 5, text  # the journey did log (requests, audit, jobs)
    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "IBAN": IBAN,
        "IBAN tail": IBAN[-8:],
        "BIC": BIC,
        "tax id": TAX_ID,
        "TOTP secret": TOTP_SECRET,
        "Django secret key": settings.SECRET_KEY,
        "session cookie": partner_client.cookies["sessionid"].value,
        "field encryption key": settings.PRM_FIELD_ENCRYPTION_KEYS[0].decode()
        if isinstance(settings.PRM_FIELD_ENCRYPTION_KEYS[0], bytes)
        else str(settings.PRM_FIELD_ENCRYPTION_KEYS[0]),
    }
    leaked = {name: value for name, value in secrets.items() if value and value in text}
    assert leaked == {}, f"found in the log: {sorted(leaked)}"
    lines = logs.lines()
    for line in lines:
        assert {"request_id", "tenant", "user", "job_id"} <= set(line), line
    requests = [line for line in lines if line["event"] == "request"]
    assert any(
        r["route"] == "partners/<int:pk>/payout/" and r["user"] and r["tenant"] == "acme" for r in requests
    )
