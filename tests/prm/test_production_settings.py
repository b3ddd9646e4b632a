"""Production settings pass `check --deploy` with zero warnings; bad configuration fails at start
with a clear message; the demo seed refuses to run in production."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import CommandError, call_command

MANAGE = str(settings.BASE_DIR / "manage.py")


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PRM_", "DJANGO_", "PYTEST"))}
    base.update(env)
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )


def production_env(**extra: str) -> dict[str, str]:
    return {
        "PRM_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "PRM_FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": ".example.com",
        "PRM_BASE_DOMAIN": "example.com",
        **extra,
    }


@pytest.mark.parametrize("keys", [1, 2])
def test_check_deploy_passes_with_zero_warnings_in_production(keys):
    key_list = ",".join(Fernet.generate_key().decode() for _ in range(keys))
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", **production_env(PRM_FIELD_ENCRYPTION_KEY=key_list)
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PRM_ENV": "nonsense"}, "PRM_ENV must be development, test or production"),
        ({"PRM_ENV": "test", "DATABASE_URL": "sqlite:///x.db"}, "DATABASE_URL must be a postgresql:// URL"),
        ({"PRM_ENV": "production", "DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY must be set"),
        (
            {
                "PRM_ENV": "production",
                "DJANGO_SECRET_KEY": "change-me-to-a-long-random-secret-key-of-fifty-characters-or-more",
            },
            "DJANGO_SECRET_KEY is a published key",
        ),
        (
            {
                "PRM_ENV": "production",
                "DJANGO_SECRET_KEY": "dev-only-insecure-key-7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a",
            },
            "DJANGO_SECRET_KEY is a published key",
        ),
        (
            {"PRM_ENV": "production", "DJANGO_SECRET_KEY": "build-only"},
            "DJANGO_SECRET_KEY is a published key",
        ),
        ({"PRM_ENV": "production", "DJANGO_SECRET_KEY": "s3cr3t-but-short"}, "DJANGO_SECRET_KEY is too weak"),
        ({"PRM_ENV": "production", "DJANGO_SECRET_KEY": "ab" * 40}, "DJANGO_SECRET_KEY is too weak"),
        ({"PRM_ENV": "production", "PRM_FIELD_ENCRYPTION_KEY": ""}, "PRM_FIELD_ENCRYPTION_KEY must be set"),
        (
            {
                "PRM_ENV": "production",
                "PRM_FIELD_ENCRYPTION_KEY": "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmchIQ==",
            },
            "PRM_FIELD_ENCRYPTION_KEY: key 1 is not a Fernet key",
        ),
        (
            {
                "PRM_ENV": "production",
                "PRM_FIELD_ENCRYPTION_KEY": "gjZhs0bHfnVG0AwrUBeShnJ1lf_w6veLsmc8E8r2DlY=",
            },
            "PRM_FIELD_ENCRYPTION_KEY: key 1 is the published development key",
        ),
        (
            {
                "PRM_ENV": "production",
                "PRM_FIELD_ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},correct horse",
            },
            "PRM_FIELD_ENCRYPTION_KEY: key 2 is not a Fernet key",
        ),
        ({"PRM_ENV": "test", "PRM_FIELD_ENCRYPTION_KEY": "any passphrase"}, "key 1 is not a Fernet key"),
    ],
)
def test_bad_configuration_fails_at_start_with_a_clear_message(env, message):
    full = production_env(**env) if env.get("PRM_ENV") == "production" else env
    result = manage("check", **full)
    assert result.returncode != 0
    assert message in result.stderr


PRINT_SECURITY = (
    "from django.conf import settings as s; "
    "print(repr(s.CSRF_TRUSTED_ORIGINS), repr(s.SECURE_PROXY_SSL_HEADER), s.MIDDLEWARE[0])"
)


def test_production_trusts_no_other_origin_and_no_forwarded_proto_by_default():
    result = manage("shell", "--no-imports", "-c", PRINT_SECURITY, **production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["[]", "None", "prm.proxy.TrustedProxyMiddleware"]


def test_production_believes_forwarded_proto_once_a_proxy_is_named():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        PRINT_SECURITY,
        **production_env(PRM_TRUSTED_PROXIES="10.0.0.2,fd00::/8"),
    )
    assert result.returncode == 0, result.stderr
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in result.stdout
    bad = manage("check", **production_env(PRM_TRUSTED_PROXIES="proxy.internal"))
    assert bad.returncode != 0
    assert "PRM_TRUSTED_PROXIES: 'proxy.internal' is not an IP address" in bad.stderr


def test_missing_database_url_fails_with_a_hint():
    base_env = {"PRM_ENV": "test"}
    result = subprocess.run(
        [sys.executable, MANAGE, "check"],
        env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PRM_ENV"}} | base_env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr


@pytest.mark.django_db
def test_seed_demo_refuses_in_production(settings):
    from prm.tenancy.models import Tenant

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refuses to run with production settings"):
        call_command("seed_demo", "--quiet")
    assert not Tenant.objects.exists()


def test_seed_demo_refuses_in_production_from_the_shell():
    # A database name that does not exist: if the refusal ever broke, nothing real is seeded.
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/prm_must_not_be_touched"
    result = manage("seed_demo", **production_env(DATABASE_URL=url))
    assert result.returncode != 0
    assert "seed_demo refuses to run with production settings" in result.stderr
