"""A POS accrual names its source lines by scope and the run's watermark (the highest POS line id
it could count), not line by line: its drill-down lists exactly the lines the run counted. Late
data never shows in an earlier run's drill-down, a load in flight while a run starts is either
wholly counted or wholly left out, and deleted lines (a replaced period) raise the warning."""

from __future__ import annotations

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from posdata import pipeline
from prm.tenancy.context import tenant_context
from rebates.services.programs import current_definition
from rebates.statements import source_check, source_lines
from tests.posdata.helpers import load as load_file
from tests.posdata.helpers import write
from tests.rebates.helpers import accrual_of, calculate, definition, load, pos

FLAT = {"method": "flat", "tiers": [{"from": "0", "rate": "0.1"}]}
HEADER = "invoice_number,invoice_line,invoice_date,sku,quantity,unit_price,currency\n"


@pytest.mark.django_db
def test_late_data_after_a_run_is_not_in_that_runs_drill_down(cast):
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        early = pos(p1, [("2026-01-15", 1, "1000")], prefix="EARLY-")
        program = load(definition(**FLAT))
        first = accrual_of(calculate(program), p1)
        assert first.run.pos_lines_to == early[0].pk
        pos(p1, [("2026-01-20", 1, "500")], prefix="LATE-")
        second = accrual_of(calculate(program), p1)
        d = current_definition(program)
        assert [row[0] for row in source_lines(first, d)] == [early[0].pk]
        assert source_check(first, d) == (1, Decimal("1000"))
        assert source_check(second, d) == (2, Decimal("1500"))
    client = cast.a.client("p1_admin")
    page = client.get(f"/rebates/statements/{first.pk}/lines/").content.decode()
    assert "EARLY-1" in page and "LATE-1" not in page and 'data-testid="lines-changed"' not in page
    csv = b"".join(client.get(f"/rebates/statements/{first.pk}/csv/").streaming_content).decode()
    assert "EARLY-1" in csv and "LATE-1" not in csv
    assert "LATE-1" in client.get(f"/rebates/statements/{second.pk}/lines/").content.decode()


@pytest.mark.django_db
def test_lines_deleted_by_a_replaced_period_raise_the_warning(cast, tmp_path):
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        pos(p1, [("2026-01-15", 1, "1000")])
        program = load(definition(**FLAT))
        first = accrual_of(calculate(program), p1)
    replacement = write(tmp_path, HEADER + "NEW-1,1,2026-01-16,PMP-100,1,900.00,USD\n")
    january = {"replace_start": datetime.date(2026, 1, 1), "replace_end": datetime.date(2026, 1, 31)}
    _upload, summary = load_file(cast.a, "p1", replacement, **january)
    assert summary["status"] == "loaded" and summary["rows_loaded"] == 1
    page = cast.a.client("p1_admin").get(f"/rebates/statements/{first.pk}/lines/").content.decode()
    assert 'data-testid="lines-changed"' in page and "NEW-1" not in page  # loaded after the run


def _advisory_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_load_in_flight_when_a_run_starts_is_counted_whole_and_its_lines_listed(
    cast, tmp_path, monkeypatch
):
    """P1's load has inserted its lines but not committed when P2's load (later ids) commits and
    a run starts: the run waits for P1's load and counts it, and each drill-down lists exactly the
    lines counted. (With a load timestamp or a bare highest id the run would miss P1's new lines
    and its drill-down show them once they commit.)"""
    tenant, p1, p2 = cast.a.tenant, cast.a.partners["p1"], cast.a.partners["p2"]
    with tenant_context(tenant):
        pos(p1, [("2026-01-15", 1, "1000")])
        program = load(definition(**FLAT))
    in_flight = write(tmp_path, HEADER + "INFLIGHT-1,1,2026-02-10,PMP-100,2,250.00,USD\n", "p1.csv")
    committed = write(tmp_path, HEADER + "LATER-1,1,2026-02-11,PMP-100,1,300.00,USD\n", "p2.csv")
    inserted, release = threading.Event(), threading.Event()
    real_move = pipeline.move_good_rows

    def move_then_wait(run):
        moved = real_move(run)
        if run.partner_id == p1.pk:
            inserted.set()  # P1's lines are in, its load's transaction still open
            release.wait(timeout=60)
        return moved

    monkeypatch.setattr(pipeline, "move_good_rows", move_then_wait)
    errors: list[BaseException] = []
    runs: list[int] = []

    def loader() -> None:
        try:
            load_file(cast.a, "p1", in_flight)
        except BaseException as exc:
            errors.append(exc)
            inserted.set()
        finally:
            connection.close()

    def calculator() -> None:
        try:
            with tenant_context(tenant):
                runs.append(calculate(program).pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=loader), threading.Thread(target=calculator)]
    threads[0].start()
    assert inserted.wait(timeout=60)
    assert load_file(cast.a, "p2", committed)[1]["rows_loaded"] == 1  # not held up by P1's load
    threads[1].start()
    for _ in range(600):  # until the run waits for P1's load (or, without the lock, has finished)
        if not threads[1].is_alive() or _advisory_waiters():
            break
        time.sleep(0.05)
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with tenant_context(tenant):
        run = program.runs.get(pk=runs[0])
        d = current_definition(program)
        for partner in (p1, p2):
            accrual = accrual_of(run, partner)
            assert source_check(accrual, d) == (accrual.source_count, accrual.measure)
            assert len(source_lines(accrual, d)) == accrual.source_count
        assert (accrual_of(run, p1).source_count, accrual_of(run, p1).measure) == (2, Decimal("1500"))


@pytest.mark.django_db
def test_a_program_scoped_to_products_keeps_the_watermark_and_its_statement_renders(cast):
    """Both the watermark and the product scope narrow the drill-down: a program limited to a
    category lists only that category's lines up to the run's watermark, and its statement page
    (with the monthly progress chart, which reads the same SQL) renders for the partner."""
    with cast.a.context():
        p1 = cast.a.partners["p1"]
        counted = pos(p1, [("2026-01-15", 2, "1000")], prefix="PUMP-")
        data = definition(**FLAT)
        data["products"] = {"skus": [], "categories": ["pumps"]}
        program = load(data)
        run = calculate(program)
        first = accrual_of(run, p1)
        pos(p1, [("2026-01-20", 1, "500")], prefix="LATE-")
        d = current_definition(program)
        assert [row[0] for row in source_lines(first, d)] == [counted[0].pk]
        assert source_check(first, d) == (1, Decimal("1000"))
    client = cast.a.client("p1_admin")
    statement = client.get(f"/rebates/statements/{first.pk}/")
    assert statement.status_code == 200
    assert "2026-01" in statement.content.decode()  # the progress chart's month
    lines = client.get(f"/rebates/statements/{first.pk}/lines/").content.decode()
    assert "PUMP-1" in lines and "LATE-1" not in lines
