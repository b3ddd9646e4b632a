"""A real PgBouncer in transaction-pooling mode in front of the test database.

Debian's ``pgbouncer`` (``make test-deps`` installs it). Tests that need it skip when it is
missing, or fail when ``PRM_REQUIRE_PGBOUNCER=1`` (CI) says it must be there.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connections


@dataclass
class Bouncer:
    host: str
    port: int


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else ""
    )
    if not found:
        if os.environ.get("PRM_REQUIRE_PGBOUNCER") == "1":
            pytest.fail("pgbouncer is required (PRM_REQUIRE_PGBOUNCER=1) but not installed: make test-deps")
        pytest.skip("Debian's pgbouncer is not installed (make test-deps)")
    return found


def _server_address() -> tuple[str, int]:
    """Where the test database's PostgreSQL listens (a socket directory or a host), and its port."""
    settings_dict = connections["default"].settings_dict
    host = settings_dict.get("HOST") or ""
    if not host:
        query = parse_qs(urlsplit(os.environ["DATABASE_URL"]).query)
        host = query.get("host", ["/var/run/postgresql"])[0]
    return host, int(settings_dict.get("PORT") or 5432)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run_as(host: str) -> str | None:
    """pgbouncer refuses to run as root: run it as the user that may reach the server's socket."""
    if os.geteuid() != 0:
        return None
    owner = os.stat(host).st_uid if host.startswith("/") else 65534
    return pwd.getpwuid(owner).pw_name


@contextmanager
def running_pgbouncer(users: list[str]) -> Iterator[Bouncer]:
    binary = pgbouncer_binary()
    # Its own folder directly under /tmp: pgbouncer may run as another user (see _run_as).
    workdir = Path(tempfile.mkdtemp(prefix="prm-pgbouncer-"))
    host, port = _server_address()
    listen = _free_port()
    (workdir / "users.txt").write_text("".join(f'"{u}" ""\n' for u in users))
    (workdir / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {workdir / "users.txt"}
pool_mode = transaction
; one server connection: every client's transactions take turns on it
default_pool_size = 1
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 50
server_reset_query =
logfile = {workdir / "pgbouncer.log"}
pidfile = {workdir / "pgbouncer.pid"}
"""
    )
    user = _run_as(host)
    if user:
        shutil.chown(workdir, user)
        for child in workdir.iterdir():
            shutil.chown(child, user)
    command = [binary, *(["-u", user] if user else []), str(workdir / "pgbouncer.ini")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", listen), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = workdir / "pgbouncer.log"
                    output = process.stdout.read().decode() if process.stdout else ""
                    detail = log.read_text() if log.exists() else output
                    pytest.fail(f"pgbouncer did not start: {detail[-2000:]}")
                time.sleep(0.05)
        yield Bouncer(host="127.0.0.1", port=listen)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def through(bouncer: Bouncer) -> Iterator[None]:
    """Make this thread's default connection go through the pooler (threads have their own)."""
    connection = connections["default"]
    connection.close()
    original = connection.settings_dict
    connection.settings_dict = {**original, "HOST": bouncer.host, "PORT": str(bouncer.port), "PASSWORD": ""}
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict = original
