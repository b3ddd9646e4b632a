"""python -m bench: scratch database, suites, table, bench/results.json."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.core import ROOT, Context, Result

RESULTS = Path(__file__).resolve().parent / "results.json"


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _admin_execute(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def main() -> int:
    source_url = os.environ.get("DATABASE_URL")
    if not source_url:
        print(
            "DATABASE_URL is not set: run `make bench` (python -m prm.stack -- python -m bench).",
            file=sys.stderr,
        )
        return 2
    scale = float(os.environ.get("BENCH_SCALE", "1") or 1)
    # The owner role creates, migrates and drops the scratch database; the bench runs as the app's.
    owner_url = os.environ.get("DATABASE_OWNER_URL") or source_url
    scratch = f"prm_bench_{os.getpid()}"
    scratch_url = _with_db(source_url, scratch)
    scratch_owner_url = _with_db(owner_url, scratch)
    _admin_execute(owner_url, f'CREATE DATABASE "{scratch}"')
    print(f"[bench] scratch database {scratch}, BENCH_SCALE={scale}", flush=True)
    results: list[Result] = []
    try:
        env = {
            **os.environ,
            "DATABASE_URL": scratch_url,
            "DATABASE_OWNER_URL": scratch_owner_url,
            "PRM_ENV": os.environ.get("PRM_ENV", "test"),
        }
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        print(f"[bench] migrated in {time.monotonic() - started:.1f}s", flush=True)
        os.environ.update(
            {"DATABASE_URL": scratch_url, "DATABASE_OWNER_URL": scratch_owner_url, "PRM_ENV": env["PRM_ENV"]}
        )
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        with tempfile.TemporaryDirectory(prefix="prm-bench-") as folder:
            ctx = Context(
                scale=scale,
                database_url=scratch_url,
                owner_database_url=scratch_owner_url,
                workdir=Path(folder),
            )
            for suite in importlib.import_module("bench").SUITES:
                results.extend(importlib.import_module(suite).run(ctx))
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up if migrate failed
            pass
        _admin_execute(owner_url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        print(f"[bench] dropped {scratch}", flush=True)
    _print(results)
    entries = [{k: v for k, v in asdict(r).items() if k != "notes"} for r in results]
    if os.environ.get("BENCH_ONLY") and RESULTS.exists():
        fresh = {e["name"] for e in entries}
        entries = [e for e in json.loads(RESULTS.read_text()) if e["name"] not in fresh] + entries
    RESULTS.write_text(json.dumps(entries, indent=2) + "\n")
    print(f"[bench] wrote {RESULTS.relative_to(ROOT)}")
    return 0


def _print(results: list[Result]) -> None:
    header = f"{'name':<30} {'rows':>10} {'ours':>10} {'baseline':>10} {'unit':>5} {'ratio':>8}"
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        print(f"{r.name:<30} {r.rows:>10} {r.ours:>10.2f} {r.baseline:>10.2f} {r.unit:>5} {r.ratio:>8.3f}")
        if r.notes:
            print(f"  {r.notes}")


if __name__ == "__main__":
    sys.exit(main())
