"""The POS and inventory rollups stay exactly in step with the lines: after a first load, a file
sent twice, a redelivered job, a period replacement, exception re-processing, inventory loads and
replacements, two partners loading at once; the check command finds a tampered row and --fix
rebuilds."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from tests.posdata.helpers import load, write

pytestmark = pytest.mark.django_db

HEADER = "Invoice,Line,Date,SKU,Qty,Price,Currency,Type\n"
FIRST = (
    HEADER
    + "A,1,2026-01-10,PMP-100,5,10,USD,sale\n"
    + "A,2,2026-01-10,PMP-100,-2,10,USD,return\n"
    + "B,1,2026-01-20,PMP-100,3,10,USD,sale\n"
    + "C,1,2026-02-05,VLV-010,4,20,EUR,sale\n"
)


@pytest.fixture(autouse=True)
def eur_rate(cast):
    from prm.finance.models import FxRate

    with cast.a.context():
        FxRate.objects.create(
            base_currency="EUR",
            quote_currency="USD",
            rate_date=datetime.date(2026, 1, 1),
            rate=Decimal("1.10"),
            source="ECB",
        )


def _differences(side):
    from posdata.pipeline.rollups import rollup_differences

    with side.context():
        return rollup_differences(side.tenant.pk)


def _monthly(side):
    from posdata.models import PosRollup

    with side.context():
        return {
            (r.partner_id, r.product_id, r.month, r.currency, r.transaction_type): (
                r.quantity,
                r.sold_units,
                r.returned_units,
                r.amount,
                r.lines,
            )
            for r in PosRollup.objects.all()
        }


def test_a_first_load_fills_both_rollups_with_the_sums_of_its_lines(cast, catalog, tmp_path):
    from posdata.models import PosDailyRollup

    upload, result = load(cast.a, "p1", write(tmp_path, FIRST))
    assert upload.status == "loaded", (upload.error, result)
    p1, pump, valve = cast.a.partners["p1"].pk, catalog["pump"].pk, catalog["valve"].pk
    jan, feb = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)
    assert _monthly(cast.a) == {
        (p1, pump, jan, "USD", "sale"): (8, 8, 0, Decimal("80.0000"), 2),
        (p1, pump, jan, "USD", "return"): (-2, 0, 2, Decimal("-20.0000"), 1),
        (p1, valve, feb, "EUR", "sale"): (4, 4, 0, Decimal("80.0000"), 1),
    }
    with cast.a.context():
        daily = set(PosDailyRollup.objects.values_list("day", "currency", "quantity", "amount", "lines"))
    assert daily == {
        (datetime.date(2026, 1, 10), "USD", 3, Decimal("30.0000"), 2),
        (datetime.date(2026, 1, 20), "USD", 3, Decimal("30.0000"), 1),
        (datetime.date(2026, 2, 5), "EUR", 4, Decimal("80.0000"), 1),
    }
    assert _differences(cast.a) == []
    assert _monthly(cast.b) == {}  # the other tenant's rollups are untouched


def test_the_same_file_twice_and_lines_sent_again_never_count_twice(cast, catalog, tmp_path):
    load(cast.a, "p1", write(tmp_path, FIRST, "a.csv"))
    before = _monthly(cast.a)
    _u, again = load(cast.a, "p1", write(tmp_path, FIRST, "a.csv"))
    assert again["status"] == "duplicate_file"
    # Another file with two lines already loaded and one new one.
    overlap = HEADER + "A,1,2026-01-10,PMP-100,5,10,USD,sale\nB,1,2026-01-20,PMP-100,3,10,USD,sale\n"
    _u, result = load(
        cast.a, "p1", write(tmp_path, overlap + "D,1,2026-01-21,PMP-100,1,10,USD,sale\n", "b.csv")
    )
    assert (result["rows_loaded"], result["rows_duplicate"]) == (1, 2)
    key = next(k for k in before if k[4] == "sale" and k[3] == "USD")
    assert _monthly(cast.a)[key][0] == before[key][0] + 1
    assert _differences(cast.a) == []


def test_a_redelivered_job_of_a_loaded_upload_adds_nothing(cast, catalog, tmp_path):
    from posdata.services import upload_process
    from prm.jobs.models import Job

    upload, _r = load(cast.a, "p1", write(tmp_path, FIRST))
    before = _monthly(cast.a)
    with cast.a.context():
        Job.objects.filter(pk=upload.job_id).update(status=Job.Status.RUNNING)  # worker died after commit
        upload_process(Job.objects.get(pk=upload.job_id))
    assert _monthly(cast.a) == before and _differences(cast.a) == []


def test_a_period_replacement_takes_the_old_lines_out_and_the_new_ones_in(cast, catalog, tmp_path):
    load(cast.a, "p1", write(tmp_path, FIRST, "orig.csv"))
    corrected = HEADER + "E,1,2026-01-15,VLV-010,7,20,USD,sale\n"
    load(
        cast.a,
        "p1",
        write(tmp_path, corrected, "fix.csv"),
        replace_start=datetime.date(2026, 1, 1),
        replace_end=datetime.date(2026, 1, 31),
    )
    p1, valve = cast.a.partners["p1"].pk, catalog["valve"].pk
    jan, feb = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)
    # The pump rows of January had no line left: they are gone, not kept at zero.
    assert _monthly(cast.a) == {
        (p1, valve, jan, "USD", "sale"): (7, 7, 0, Decimal("140.0000"), 1),
        (p1, valve, feb, "EUR", "sale"): (4, 4, 0, Decimal("80.0000"), 1),
    }
    assert _differences(cast.a) == []


def test_exception_reprocessing_adds_the_lines_it_loads(
    cast, catalog, tmp_path, django_capture_on_commit_callbacks
):
    from posdata.services import exception_map_and_reprocess

    content = (
        "Invoice,Date,Partner SKU,Qty,Price\nA,2026-01-01,NW-VALVE,2,10\nB,2026-01-02,NW-VALVE,1,10\n"
        "D,2026-01-02,NW-PUMP,1,10\n"
    )
    load(cast.a, "p1", write(tmp_path, content))
    assert sum(v[0] for v in _monthly(cast.a).values()) == 1
    with cast.a.context(), django_capture_on_commit_callbacks(execute=True):
        exception_map_and_reprocess(
            partner=cast.a.partners["p1"],
            product_key="NW-VALVE",
            product=catalog["valve"],
            acting_membership=cast.a.memberships["manager"],
        )
    assert sum(v[0] for v in _monthly(cast.a).values()) == 4
    assert _differences(cast.a) == []


INVENTORY = "Week Ending,Item,On Hand,Received,Sold\n"


def test_inventory_loads_and_replacements_keep_the_inventory_rollup_in_step(cast, catalog, tmp_path):
    from posdata.models import InventoryRollup

    rows = INVENTORY + "2026-01-07,PMP-100,50,10,5\n2026-01-28,PMP-100,40,0,10\n2026-02-04,PMP-100,30,5,15\n"
    load(cast.a, "p1", write(tmp_path, rows, "inv.csv"), kind="inventory")
    with cast.a.context():
        jan = InventoryRollup.objects.get(month=datetime.date(2026, 1, 1))
    assert (jan.received, jan.sold, jan.snapshots, jan.on_hand_end) == (10, 15, 2, 40)
    assert _differences(cast.a) == []
    fix = INVENTORY + "2026-01-14,PMP-100,45,3,8\n"
    load(
        cast.a,
        "p1",
        write(tmp_path, fix, "fix.csv"),
        kind="inventory",
        replace_start=datetime.date(2026, 1, 1),
        replace_end=datetime.date(2026, 1, 31),
    )
    with cast.a.context():
        jan = InventoryRollup.objects.get(month=datetime.date(2026, 1, 1))
        assert InventoryRollup.objects.count() == 2
    assert (jan.received, jan.sold, jan.snapshots, jan.on_hand_end) == (3, 8, 1, 45)
    assert _differences(cast.a) == []


def test_the_check_command_reports_a_tampered_row_and_fix_rebuilds_it(cast, catalog, tmp_path, capsys):
    from posdata.models import PosDailyRollup, PosRollup

    load(cast.a, "p1", write(tmp_path, FIRST))
    call_command("pos_rollups_check", "--tenant", "acme")
    assert "acme: rollups match the lines" in capsys.readouterr().out
    with cast.a.context():
        PosRollup.objects.filter(transaction_type="return").update(quantity=-3)
        PosDailyRollup.objects.filter(currency="EUR").delete()
    with pytest.raises(CommandError) as failed:
        call_command("pos_rollups_check", "--tenant", "acme")
    assert failed.value.returncode == 1
    out = capsys.readouterr().out
    assert "acme: 2 rollup rows differ from the lines" in out
    assert "posdata_posrollup" in out and "(-3,0,2,-20.0000,1)" in out and "(-2,0,2,-20.0000,1)" in out
    assert "posdata_posdailyrollup" in out and "stored nothing" in out
    call_command("pos_rollups_check", "--tenant", "acme", "--fix")
    assert "they match now" in capsys.readouterr().out
    assert _differences(cast.a) == []
    call_command("pos_rollups_check")  # every tenant, all in step: exit status 0


def test_rollups_are_tenant_tables_so_a_tenant_purge_deletes_them():
    from prm.ops.tenant_data import tenant_tables

    names = {t.name for t in tenant_tables()}
    assert {"posdata_posrollup", "posdata_posdailyrollup", "posdata_inventoryrollup"} <= names


@pytest.mark.django_db(transaction=True)
def test_two_partners_loading_at_once_neither_deadlock_nor_lose_an_update(cast, catalog, tmp_path):
    """Real transactions in two threads: the loads of P1 and P2 run concurrently (each holds its
    transaction open after its rollup upsert until both have written), then both commit."""
    from posdata.pipeline import rollups

    files = {
        key: write(
            tmp_path,
            HEADER
            + "".join(
                f"{key}-{n},1,2026-0{1 + n % 3}-1{n % 9},PMP-100,{n + 1},10,USD,sale\n" for n in range(40)
            ),
            f"{key}.csv",
        )
        for key in ("p1", "p2")
    }
    barrier = threading.Barrier(2, timeout=30)
    original = rollups.pos_rollups_add
    errors: list[BaseException] = []

    def waiting_add(tenant_id, source):
        count = original(tenant_id, source)
        barrier.wait()  # both transactions hold their rollup rows before either commits
        return count

    def run(key):
        try:
            load(cast.a, key, files[key])
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    import posdata.pipeline.load as load_module

    load_module.pos_rollups_add = waiting_add
    try:
        threads = [threading.Thread(target=run, args=(key,)) for key in files]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        load_module.pos_rollups_add = original
    assert errors == []
    monthly = _monthly(cast.a)
    for key in ("p1", "p2"):
        pid = cast.a.partners[key].pk
        assert sum(v[0] for k, v in monthly.items() if k[0] == pid) == sum(range(1, 41))
    assert _differences(cast.a) == []
    connection.close()


def test_the_sell_through_page_reads_whole_months_in_a_fixed_number_of_queries(cast, catalog, tmp_path):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    client = cast.a.client("manager")
    load(cast.a, "p1", write(tmp_path, FIRST, "a.csv"))
    url = "/pos/?date_from=2026-01&date_to=2026-02"
    with CaptureQueriesContext(conn) as few:
        page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="kpi-units">10<' in page.content.decode()  # 5 - 2 + 3 + 4: January and February
    more = HEADER + "".join(f"M{n},1,2026-0{1 + n % 2}-2{n % 8},VLV-010,1,20,USD,sale\n" for n in range(60))
    load(cast.a, "p2", write(tmp_path, more, "b.csv"))
    with CaptureQueriesContext(conn) as many:
        page = client.get(url)
    assert 'data-testid="kpi-units">70<' in page.content.decode()
    assert len(many) == len(few)
