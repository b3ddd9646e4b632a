"""Secrets at rest: only real Fernet keys, rotation with a key list, TOTP secrets encrypted."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from partners.models import PayoutDetails
from prm.lib.crypto import decrypt_text, encrypt_text, is_token

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _raw(column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM partners_payoutdetails WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _totp_secret_column(user) -> str:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]


def test_new_values_use_the_first_key_and_every_listed_key_still_decrypts(settings):
    settings.PRM_FIELD_ENCRYPTION_KEYS = (OLD,)
    token = encrypt_text("DE89 3704 0044 0532 0130 00")
    settings.PRM_FIELD_ENCRYPTION_KEYS = (NEW, OLD)
    assert decrypt_text(token) == "DE89 3704 0044 0532 0130 00"
    fresh = encrypt_text("x")
    settings.PRM_FIELD_ENCRYPTION_KEYS = (NEW,)
    assert decrypt_text(fresh) == "x"
    with pytest.raises(ValueError, match="could not be decrypted"):
        decrypt_text(token)


def test_rotation_re_encrypts_payout_details_and_mfa_secrets_with_the_newest_key(cast, settings):
    from tests.conftest import TOTP_SECRET

    configured = tuple(settings.PRM_FIELD_ENCRYPTION_KEYS)  # the cast's TOTP secrets use these
    settings.PRM_FIELD_ENCRYPTION_KEYS = (OLD,)
    with cast.a.context():
        details = PayoutDetails.objects.create(
            partner=cast.a.partners["p1"],
            account_holder="Northwind Distribution GmbH",
            account_number="DE89370400440532013000",
            tax_id="DE123456789",
            updated_by=cast.a.users["admin"],
        )
        before = _raw("account_number", details.pk)
    from prm.accounts.adapter import MFAAdapter
    from tests.conftest import enrol_totp

    user = cast.a.users["p1_user"]
    enrol_totp(user)
    secret_before = _totp_secret_column(user)

    settings.PRM_FIELD_ENCRYPTION_KEYS = (NEW, OLD, *configured)
    call_command("rotate_field_encryption", "--json", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.PRM_FIELD_ENCRYPTION_KEYS = (NEW,)  # the old key is gone: everything still reads
    with cast.a.context():
        assert _raw("account_number", details.pk) != before
        assert PayoutDetails.objects.get(pk=details.pk).account_number == "DE89370400440532013000"
    assert _totp_secret_column(user) != secret_before
    assert MFAAdapter().decrypt(_totp_secret_column(user)) == TOTP_SECRET


def test_totp_secrets_are_stored_encrypted_not_in_the_clear(cast):
    from tests.conftest import TOTP_SECRET

    stored = _totp_secret_column(cast.a.users["admin"])
    assert stored != TOTP_SECRET and TOTP_SECRET not in stored
    assert is_token(stored)
    assert decrypt_text(stored) == TOTP_SECRET


def test_signing_in_with_an_encrypted_totp_secret_still_works(cast):
    from tests.browser import totp_now
    from tests.conftest import TOTP_SECRET
    from tests.factories import PASSWORD

    client = cast.a.client()
    response = client.post("/accounts/login/", {"login": cast.a.users["admin"].email, "password": PASSWORD})
    assert response.status_code == 302
    response = client.post(response["Location"], {"code": totp_now(TOTP_SECRET)})
    assert response.status_code == 302
    assert client.get("/").wsgi_request.user == cast.a.users["admin"]
