from django.db import migrations

# allauth stored TOTP secrets and recovery-code seeds in the clear; they are now encrypted with
# the field-encryption keys (prm.accounts.adapter.MFAAdapter). Encrypt the rows already there.
SECRET_KEYS = {"totp": "secret", "recovery_codes": "seed"}


def _convert(apps, convert, wanted_token: bool) -> None:
    from prm.lib.crypto import is_token

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=SECRET_KEYS).iterator():
        key = SECRET_KEYS[authenticator.type]
        value = authenticator.data.get(key)
        if not value or is_token(value) == wanted_token:
            continue
        authenticator.data[key] = convert(value)
        authenticator.save(update_fields=["data"])


def encrypt_secrets(apps, schema_editor) -> None:
    from prm.lib.crypto import encrypt_text

    _convert(apps, encrypt_text, wanted_token=True)


def decrypt_secrets(apps, schema_editor) -> None:
    from prm.lib.crypto import decrypt_text

    _convert(apps, decrypt_text, wanted_token=False)


class Migration(migrations.Migration):
    dependencies = [("prm", "0005_invitation_token_unique_per_tenant"), ("mfa", "0003_authenticator_type_uniq")]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets)]
