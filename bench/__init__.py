"""The benchmark harness (`make bench` -> `python -m bench`).

Each suite module in ``SUITES`` has ``run(ctx) -> list[Result]``; the harness creates a scratch
database (dropped at the end), runs every suite there on data it generates, prints a table and
writes ``bench/results.json``. ``BENCH_SCALE`` (float, default 1) scales the row counts.
"""

SUITES = ["bench.pos", "bench.claims", "bench.finance", "bench.funds", "bench.rebates"]
