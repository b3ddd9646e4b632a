"""python -m bench.loadtest (`make loadtest`): a scratch database with the demo data, gunicorn with
production settings on 127.0.0.1, LOADTEST_USERS signed-in members for LOADTEST_SECONDS; prints
requests per second, p50 and p95 per page and writes bench/loadtest-results.json. Exit 1 on any
5xx, unexpected status, failed sign-in or page showing another tenant's or partner's data."""

from __future__ import annotations

import base64
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.__main__ import _admin_execute, _with_db
from bench.core import ROOT
from bench.loadtest import ACCESS_LOG_FORMAT, RunResult, format_table, run, server_times

RESULTS = Path(__file__).resolve().parent.parent / "loadtest-results.json"


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(base_url: str, server: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before it was ready")
        try:
            if requests.get(base_url + "/-/ready", timeout=30).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn was not ready within 300 s")


def main() -> int:
    source_url = os.environ.get("DATABASE_URL")
    if not source_url or not os.environ.get("REDIS_URL"):
        print("DATABASE_URL / REDIS_URL are not set: run `make loadtest`.", file=sys.stderr)
        return 2
    users = _int_env("LOADTEST_USERS", 50)
    seconds = _int_env("LOADTEST_SECONDS", 60)
    max_requests = _int_env("LOADTEST_MAX_REQUESTS", 200_000)
    workers = _int_env("LOADTEST_WORKERS", 2 * (os.cpu_count() or 1) + 1)
    if not (1 <= users <= 250 and 1 <= seconds <= 600):
        print("LOADTEST_USERS must be 1..250 and LOADTEST_SECONDS 1..600.", file=sys.stderr)
        return 2
    owner_url = os.environ.get("DATABASE_OWNER_URL") or source_url
    scratch = f"prm_loadtest_{os.getpid()}"
    scratch_url, scratch_owner_url = _with_db(source_url, scratch), _with_db(owner_url, scratch)
    # Secrets of this run only: production settings refuse the development ones.
    secret_env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "PRM_FIELD_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "PRM_CACHE_PREFIX": f"loadtest-{os.getpid()}",
    }
    _admin_execute(owner_url, f'CREATE DATABASE "{scratch}"')
    print(f"[loadtest] scratch database {scratch}: {users} users, {seconds} s, {workers} workers", flush=True)
    server: subprocess.Popen | None = None
    result: RunResult | None = None
    with tempfile.TemporaryDirectory(prefix="prm-loadtest-") as folder:
        try:
            # The demo seed refuses production settings: seed with development ones (the same
            # encryption key, so that gunicorn can read the TOTP secrets).
            seed_env = {
                **os.environ,
                **secret_env,
                "DATABASE_URL": scratch_url,
                "DATABASE_OWNER_URL": scratch_owner_url,
                "PRM_ENV": "development",
                "PRM_MEDIA_ROOT": str(Path(folder) / "media"),
            }
            started = time.monotonic()
            manage = [sys.executable, "manage.py"]
            subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=seed_env, check=True)
            subprocess.run([*manage, "seed_demo", "--quiet"], cwd=ROOT, env=seed_env, check=True)
            print(f"[loadtest] migrated and seeded in {time.monotonic() - started:.0f}s", flush=True)
            os.environ.update({k: v for k, v in seed_env.items() if k != "PATH"})
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
            from bench.loadtest.plan import prepare_accounts  # needs the scratch database's settings

            accounts = prepare_accounts(users)
            from django.db import connections  # set up only now

            connections.close_all()
            port = _free_port()
            base_url = f"http://127.0.0.1:{port}"
            # Production settings, the runtime role only (no DATABASE_OWNER_URL), TLS ending at a
            # proxy on the loopback network (X-Forwarded-Proto: https from 127.0.0.0/8).
            serve_env = {
                key: value
                for key, value in os.environ.items()
                if key not in {"DATABASE_OWNER_URL", "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}
            }
            serve_env.update(
                {
                    **secret_env,
                    "PRM_ENV": "production",
                    "DATABASE_URL": scratch_url,
                    "PRM_TRUSTED_PROXIES": "127.0.0.0/8",
                    "GUNICORN_BIND": f"127.0.0.1:{port}",
                    "GUNICORN_WORKERS": str(workers),
                    "LOG_LEVEL": "WARNING",
                }
            )
            subprocess.run(
                [*manage, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=serve_env, check=True
            )
            log_path = Path(folder) / "gunicorn.log"
            with log_path.open("wb") as log:
                server = subprocess.Popen(
                    [
                        *(sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"),
                        *("--access-logformat", ACCESS_LOG_FORMAT, "prm.wsgi"),
                    ],
                    cwd=ROOT,
                    env=serve_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                _wait_ready(base_url, server)
                print(
                    f"[loadtest] gunicorn ready on {base_url}; signing in {len(accounts)} users", flush=True
                )
                result = run(base_url, accounts, seconds=seconds, max_requests=max_requests)
        finally:
            if server is not None and server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
            if server is not None:
                log_lines = (Path(folder) / "gunicorn.log").read_text(errors="replace").splitlines()
                if result is not None:
                    result.server_ms = server_times(log_lines, accounts)
                if result is None or not result.ok:
                    errors = [line for line in log_lines if not line.startswith("loadtest ")]
                    print(
                        "[loadtest] gunicorn log (last lines):\n" + "\n".join(errors[-40:]), file=sys.stderr
                    )
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # Django may not be set up if migrate failed
                pass
            _admin_execute(owner_url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            print(f"[loadtest] dropped {scratch}", flush=True)
    assert result is not None
    return report(result, users=users, seconds=seconds, workers=workers)


def report(result: RunResult, *, users: int, seconds: int, workers: int, path: Path = RESULTS) -> int:
    print()
    print(format_table(result))
    print(
        f"\n{result.users} users ({result.signed_in} signed in), {result.seconds:.1f} s "
        f"(stopped by {result.stopped_by}), gunicorn {workers} workers, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} (1 min, everything on the machine)"
    )
    path.write_text(
        json.dumps(
            {
                "users": users,
                "seconds": seconds,
                "measured_seconds": result.seconds,
                "workers": workers,
                "cpus": os.cpu_count(),
                "load_average_1m": round(os.getloadavg()[0], 2),
                "machine": platform.platform(),
                "stopped_by": result.stopped_by,
                "pages": result.table(),
                "failures": [f.__dict__ for f in result.failures[:200]],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"[loadtest] wrote {path}")
    if result.ok:
        print("[loadtest] OK: no server error, no unexpected status, no other tenant's or partner's data")
        return 0
    print(f"[loadtest] FAILED: {len(result.failures)} failures", file=sys.stderr)
    if result.signed_in < result.users:
        print(f"  only {result.signed_in} of {result.users} users signed in", file=sys.stderr)
    for failure in result.failures[:30]:
        print(
            f"  {failure.status or '---'} {failure.url} ({failure.email}): {failure.reason}", file=sys.stderr
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
