"""`make env`: write .env with fresh secrets for `docker compose` (never overwrites one).

Standard library only, so it runs before anything is installed. Every value is generated here,
on the operator's machine: the repository ships none.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path


def fresh_values() -> dict[str, str]:
    return {
        # Signs sessions, password-reset and e-mail confirmation links.
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        # Fernet key (32 random bytes, url-safe base64) for payout details and TOTP secrets.
        "PRM_FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        # Hex passwords need no escaping inside the database URLs compose builds from them.
        "POSTGRES_PASSWORD": secrets.token_hex(24),
        "PRM_DB_OWNER_PASSWORD": secrets.token_hex(24),
        "PRM_DB_APP_PASSWORD": secrets.token_hex(24),
    }


def write_env(path: Path) -> bool:
    """Create ``path`` with fresh values (mode 0600); False when it exists already."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    lines = ["# Written by `make env`: secrets of this installation. Keep it out of version control."]
    lines += [f"{name}={value}" for name, value in fresh_values().items()]
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return True


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else ".env")
    if not write_env(path):
        print(f"{path} exists: keeping it (delete it first to generate new secrets).", file=sys.stderr)
        return 0
    print(f"wrote {path} with fresh secrets (mode 0600)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
