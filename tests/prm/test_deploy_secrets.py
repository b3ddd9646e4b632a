"""The documented production set-up ships no secret: compose reads every one from .env, which
`make env` writes with fresh values that production settings accept."""

from __future__ import annotations

import re
import subprocess
import sys

from django.conf import settings

from prm.lib.crypto import KNOWN_KEYS, parse_keys
from prm.settings import KNOWN_SECRET_KEYS, _production_secret_key_problem

ROOT = settings.BASE_DIR
SECRETS = (
    "DJANGO_SECRET_KEY",
    "PRM_FIELD_ENCRYPTION_KEY",
    "POSTGRES_PASSWORD",
    "PRM_DB_OWNER_PASSWORD",
    "PRM_DB_APP_PASSWORD",
)


def _env_file(path) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#")
    )


def test_make_env_writes_fresh_secrets_that_production_accepts_and_never_overwrites(tmp_path):
    target = tmp_path / ".env"
    first = subprocess.run([sys.executable, "deploy/write_env.py", str(target)], cwd=ROOT, check=True)
    assert first.returncode == 0
    values = _env_file(target)
    assert set(values) == set(SECRETS)
    assert _production_secret_key_problem(values["DJANGO_SECRET_KEY"]) is None
    assert parse_keys(values["PRM_FIELD_ENCRYPTION_KEY"], production=True)
    assert len({values[name] for name in SECRETS}) == len(SECRETS)
    assert target.stat().st_mode & 0o077 == 0

    subprocess.run([sys.executable, "deploy/write_env.py", str(target)], cwd=ROOT, check=True)
    assert _env_file(target) == values
    other = tmp_path / "other.env"
    subprocess.run([sys.executable, "deploy/write_env.py", str(other)], cwd=ROOT, check=True)
    assert _env_file(other)["DJANGO_SECRET_KEY"] != values["DJANGO_SECRET_KEY"]


def test_compose_takes_every_secret_from_the_environment_and_ships_none():
    compose = (ROOT / "docker-compose.yml").read_text()
    for name in SECRETS:
        assert re.search(rf"\$\{{{name}:\?", compose), f"{name} must be required from .env"
        assert not re.search(rf"\$\{{{name}:-", compose), f"{name} must have no default"
    for published in (*KNOWN_KEYS, *KNOWN_SECRET_KEYS, "prm_app:prm_app@", "POSTGRES_PASSWORD: postgres"):
        assert published not in compose
    assert "PASSWORD 'prm_app'" not in (ROOT / "deploy" / "postgres-init.sql").read_text()


def test_only_the_migration_step_gets_the_owner_role():
    compose = (ROOT / "docker-compose.yml").read_text()
    services = re.split(r"\n  (?=[a-z]+:\n)", compose.split("\nservices:\n", 1)[1])
    owners = [block.split(":", 1)[0] for block in services if "DATABASE_OWNER_URL" in block]
    assert owners == ["migrate"]
    assert "DATABASE_OWNER_URL" not in compose.split("\nservices:\n", 1)[0]
