"""Chaos: for every kind of background work, a real worker is SIGKILLed in the middle (after part
of the work is written, or with its transaction open), the broker redelivers the task to another
worker, and the end state equals that of an undisturbed run of the same input, row for row, with
nothing duplicated (tests/ops/chaos.py has the method; the ``pool`` and ``chaos`` fixtures are in
tests/ops/conftest.py).

Webhook deliveries are tested the same way in tests/ops/test_chaos_webhooks.py (a local receiver,
a worker killed before, after and while recording a POST)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from claims.models import AgreementLine, Claim, ClaimLine
from claims.services.claims import claim_submit
from posdata.models import InventorySnapshot, PosLine, RejectedRow, SkuXref, Upload
from posdata.services import exceptions_reprocess_start, pos_file_load, upload_confirm, upload_receive
from prm.audit.models import AuditEvent
from prm.db.roles import STAGING_SCHEMA
from prm.jobs.models import Job
from prm.jobs.staging import sweep_staging_tables
from tests.claims.helpers import agreement
from tests.factories import ProductFactory
from tests.ops.chaos import Started

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.chaos]


def _job(started: Started) -> Job:
    assert started.job is not None
    return Job.objects.get(pk=started.job.pk)


def _staged_rows(job: Job) -> int:
    """Rows in the job's scratch tables (their names carry the tenant and the job)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname LIKE %s",
            [STAGING_SCHEMA, f"t{job.tenant_id}\\_j{job.pk}\\_%\\_stage"],
        )
        total = 0
        for (table,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM {STAGING_SCHEMA}."{table}"')
            total += cursor.fetchone()[0]
        return total


def _without_ids(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("run", "job")}


# --- POS data ------------------------------------------------------------------------------------

POS_HEADERS = ("Invoice", "Date", "Item", "Qty", "Price", "Customer")
POS_MAPPING = dict(
    zip(
        ("invoice_number", "invoice_date", "sku", "quantity", "unit_price", "end_customer"),
        POS_HEADERS,
        strict=True,
    )
)


def _pos_file(tmp_path: Path, rows: int = 400) -> Path:
    path = tmp_path / "sales.csv"
    with path.open("w") as out:
        out.write(",".join(POS_HEADERS) + "\n")
        for i in range(rows):
            sku = "NOPE-1" if i % 97 == 0 else "PMP-100"  # unknown products are rejected
            quantity = 0 if i % 89 == 0 else 1 + i % 7  # zero quantities too
            day = datetime.date(2026, 10, 1) + datetime.timedelta(days=i % 28)
            out.write(f"INV-{i // 4},{day.isoformat()},{sku},{quantity},{12 + i % 5}.50,Customer {i % 300}\n")
    return path


def _load_started(cast, path: Path, kind: str, mapping: dict[str, str]) -> Started:
    with path.open("rb") as handle:
        upload = upload_receive(
            partner=cast.a.partners["p1"],
            kind=kind,
            file=handle,
            original_name=path.name,
            acting_user=cast.a.users["p1_admin"],
            mapping=mapping,
            read_now=True,
        )
    return Started.of_job(upload_confirm(upload=upload, mapping=upload.mapping))  # sent on commit


def _upload_state(started: Started, lines) -> dict:
    upload = Upload.objects.get(job=started.job)
    counts = ("status", "rows_read", "rows_loaded", "rows_rejected", "rows_duplicate", "error")
    return {
        "upload": [getattr(upload, name) for name in counts],
        "lines": list(lines(upload)),
        "rejected": sorted(RejectedRow.objects.filter(upload=upload).values_list("line", "code", "errors")),
        "summary": _job(started).result,
    }


def _pos_lines(upload: Upload):
    return (
        PosLine.objects.filter(upload=upload)
        .order_by("invoice_number", "invoice_line")
        .values_list(
            "invoice_number",
            "invoice_line",
            "invoice_date",
            "product_id",
            "quantity",
            "unit_price",
            "amount",
            "currency",
            "end_customer",
            "transaction_type",
            "source_line",
        )
    )


def test_a_pos_load_killed_after_staging_is_redelivered_and_loads_every_line_once(cast, chaos, tmp_path):
    path = _pos_file(tmp_path)

    def start() -> Started:
        return _load_started(cast, path, "pos", POS_MAPPING)

    def state(started: Started) -> dict:
        return _upload_state(started, _pos_lines)

    def staged_not_loaded(started: Started) -> None:
        upload = Upload.objects.get(job=started.job)
        assert upload.status == Upload.Status.PROCESSING
        assert _staged_rows(_job(started)) > 0  # the file was written to the scratch table...
        assert not PosLine.objects.filter(upload=upload).exists()  # ...and nothing loaded yet

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        outcome = chaos.killed_and_redelivered(
            start, state, pause="posdata.pipeline:stage_file", while_paused=staged_not_loaded
        )
        job = _job(outcome.started)
        assert job.status == Job.Status.SUCCEEDED, job.error
        assert job.attempts == 2  # the killed run and the redelivered one
        assert outcome.state == reference
        assert reference["upload"][0] == Upload.Status.LOADED
        assert reference["summary"]["rows_loaded"] > 0 and reference["summary"]["rows_rejected"] > 0
        # The killed run's scratch tables are orphans now: the sweep drops them.
        sweep_staging_tables()
        assert _staged_rows(job) == 0


INVENTORY_MAPPING = {
    "snapshot_date": "Week Ending",
    "sku": "Item",
    "on_hand": "On Hand",
    "on_order": "On Order",
}


def test_an_inventory_load_killed_inside_its_final_transaction_loads_every_snapshot_once(
    cast, chaos, tmp_path
):
    with cast.a.context():
        ProductFactory(sku="VLV-010", units_per_case=6)
    path = tmp_path / "stock.csv"
    rows = ["Week Ending,Item,On Hand,On Order"]
    for week in range(30):
        day = (datetime.date(2026, 9, 27) + datetime.timedelta(days=7 * week)).isoformat()
        rows += [f"{day},PMP-100,{20 + week},5", f"{day},VLV-010,{week % 4},0", f"{day},NOPE-9,1,0"]
    path.write_text("\n".join(rows) + "\n")

    def start() -> Started:
        return _load_started(cast, path, "inventory", INVENTORY_MAPPING)

    def snapshots(upload: Upload):
        return (
            InventorySnapshot.objects.filter(upload=upload)
            .order_by("snapshot_date", "product__sku")
            .values_list("snapshot_date", "product__sku", "on_hand", "on_order", "in_transit", "source_line")
        )

    def state(started: Started) -> dict:
        return _upload_state(started, snapshots)

    def nothing_loaded_yet(started: Started) -> None:
        upload = Upload.objects.get(job=started.job)
        assert upload.status == Upload.Status.PROCESSING
        assert not InventorySnapshot.objects.filter(upload=upload).exists()
        assert not RejectedRow.objects.filter(upload=upload).exists()  # written, not committed

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        outcome = chaos.killed_and_redelivered(
            start, state, pause="posdata.pipeline:insert_rejected", while_paused=nothing_loaded_yet
        )
        assert _job(outcome.started).attempts == 2
        assert outcome.state == reference
        assert len(reference["lines"]) == 60 and len(reference["rejected"]) == 30


def test_exception_reprocessing_killed_after_one_upload_finishes_the_others_and_counts_once(
    cast, chaos, tmp_path
):
    """The job re-runs the queued lines upload by upload, committing each: the redelivered run
    carries on after the uploads the killed one finished, and its summary counts every line once."""
    with cast.a.context():
        valve = ProductFactory(sku="VLV-010", units_per_case=6)
    for n in range(3):
        path = tmp_path / f"sales-{n}.csv"
        lines = [
            f"{kind}-{n}-{i},2026-10-0{1 + i % 5},{sku},{1 + i % 3},10.00,Customer"
            for i in range(12)
            for kind, sku in (("V", "NW-VALVE"), ("O", "NW-OTHER"), ("P", "PMP-100"))
        ]
        path.write_text(",".join(POS_HEADERS) + "\n" + "\n".join(lines) + "\n")
        with cast.a.context():
            pos_file_load(partner=cast.a.partners["p1"], path=path, mapping=POS_MAPPING)
    with cast.a.context():
        SkuXref.objects.create(partner=cast.a.partners["p1"], partner_sku="NW-VALVE", product=valve)

    def start() -> Started:
        return Started.of_job(
            exceptions_reprocess_start(
                partner=cast.a.partners["p1"], acting_membership=cast.a.memberships["manager"]
            )
        )

    def state(started: Started) -> dict:
        return {
            "lines": list(
                PosLine.objects.filter(product=valve)
                .order_by("invoice_number")
                .values_list("invoice_number", "quantity", "amount", "upload__original_name", "source_line")
            ),
            "queue": sorted(
                RejectedRow.objects.filter(unknown_product=True).values_list(
                    "upload__original_name", "line", "product_key", "resolution"
                )
            ),
            "summary": _job(started).result,
        }

    def first_upload_done(started: Started) -> None:
        resolved = RejectedRow.objects.filter(resolution=RejectedRow.Resolution.LOADED)
        assert resolved.values("upload").distinct().count() == 1  # one upload committed, not all
        assert RejectedRow.objects.filter(product_key="NW-VALVE", resolution="").exists()

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        outcome = chaos.killed_and_redelivered(
            start,
            state,
            pause="posdata.pipeline:stage_rows",
            after_calls=2,  # the first upload committed, the second one's lines staged
            while_paused=first_upload_done,
        )
        assert _job(outcome.started).attempts == 2
        assert outcome.state == reference
        assert reference["summary"]["rows_loaded"] == 36 and reference["summary"]["rows_rejected"] == 36


# --- Claims --------------------------------------------------------------------------------------

CLAIM_LINES = 300


def _claim_file(tmp_path: Path) -> Path:
    path = tmp_path / "claim.csv"
    with path.open("w") as out:
        out.write(
            "agreement_number,invoice_number,invoice_line,ship_date,sku,quantity,unit_of_measure,"
            "end_customer,claimed_unit_debit,resale_price\n"
        )
        for i in range(CLAIM_LINES):
            quantity = "abc" if i % 101 == 0 else "1"  # invalid data on some lines
            debit = "25.00" if i % 13 == 0 else "20.00"  # above the allowed debit: adjusted
            out.write(f"SPA-1,INV-{i},1,2026-06-01,PMP-100,{quantity},EA,Globex Water Utility,{debit},\n")
    return path


def test_a_claim_validation_killed_after_staging_consumes_the_agreement_quantity_once(cast, chaos, tmp_path):
    path = _claim_file(tmp_path)
    authorised = CLAIM_LINES // 2  # the later lines find the quantity used up
    with cast.a.context():
        agreement(cast, "SPA-1", partner="p1", lines=[("PMP-100", "100.00", "80.00", authorised)])

    def start() -> Started:
        with path.open("rb") as handle:
            claim = claim_submit(
                partner=cast.a.partners["p1"],
                number="DM-1",
                claim_date=datetime.date(2026, 6, 30),
                file=handle,
                original_name=path.name,
                acting_membership=cast.a.memberships["p1_user"],
            )
        return Started.of_job(claim.job)

    def state(started: Started) -> dict:
        claim = Claim.objects.get(job=started.job)
        return {
            "claim": (claim.status, claim.claimed_total, claim.approved_total),
            "verdicts": list(
                ClaimLine.objects.filter(claim=claim)
                .order_by("line")
                .values_list("line", "status", "codes", "accepted_quantity", "amount", "claimed_amount")
            ),
            "consumed": list(AgreementLine.objects.values_list("consumed_quantity", flat=True)),
        }

    def staged_not_validated(started: Started) -> None:
        claim = Claim.objects.get(job=started.job)
        assert claim.status == Claim.Status.VALIDATING
        assert _staged_rows(_job(started)) > 0
        assert not ClaimLine.objects.filter(claim=claim).exists()

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        outcome = chaos.killed_and_redelivered(
            start, state, pause="claims.services.claims:_stage", while_paused=staged_not_validated
        )
        assert _job(outcome.started).attempts == 2
        assert outcome.state == reference
        assert reference["claim"][0] == Claim.Status.IN_REVIEW
        assert {status for _line, status, *_rest in reference["verdicts"]} >= {
            "accepted",
            "adjusted",
            "rejected",
        }
        assert reference["consumed"] == [authorised]


# --- Rebates -------------------------------------------------------------------------------------


def test_a_rebate_calculation_killed_inside_its_transaction_stores_each_accrual_once(cast, chaos):
    from rebates.models import Accrual, CalculationRun
    from rebates.services.runs import run_start
    from tests.rebates.helpers import definition, load, pos

    with cast.a.context():
        for n, key in enumerate(("p1", "p2"), start=1):
            pos(cast.a.partners[key], [(f"2026-0{m}-15", 10 * m, 20000 * m * n) for m in (1, 2, 3)])
        program = load(definition())

    def start() -> Started:
        return Started.of_job(run_start(program=program).job)

    def state(started: Started) -> dict:
        run = CalculationRun.objects.get(job=started.job)
        return {
            "run": (run.status, run.partners, run.source_lines, run.total_earned, run.total_due, run.error),
            "accruals": list(
                Accrual.objects.filter(run=run)
                .order_by("partner__code")
                .values_list("partner__code", "source_count", "measure", "counted", "rate", "earned", "due")
            ),
            "summary": _without_ids(_job(started).result),
            "audited": AuditEvent.objects.filter(action="rebate_run.finish").count(),
        }

    def nothing_committed(started: Started) -> None:
        run = CalculationRun.objects.get(job=started.job)
        assert run.status == CalculationRun.Status.QUEUED
        assert not Accrual.objects.filter(run=run).exists()  # written, not committed

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        outcome = chaos.killed_and_redelivered(
            start, state, pause="rebates.services.runs:execute_run", while_paused=nothing_committed
        )
        assert _job(outcome.started).attempts == 2
        assert outcome.state == reference
        assert reference["run"][0] == CalculationRun.Status.SUCCEEDED and len(reference["accruals"]) == 2
        assert reference["audited"] == 1


# --- Funds ---------------------------------------------------------------------------------------


def _ledger() -> list[tuple]:
    from funds.models import LedgerEntry

    return sorted(
        LedgerEntry.objects.values_list(
            "partner__code",
            "kind",
            "amount",
            "currency",
            "source",
            "expires_on",
            "effective_on",
            "key",
            "detail",
        ),
        key=repr,
    )


def _notifications() -> list[tuple]:
    from prm.notifications.models import Notification

    return sorted(Notification.objects.values_list("recipient__email", "verb", "message"))


def _mdf_tiers(cast) -> None:
    """P1 in Gold, P2 in Silver, both tiers with MDF (funds' own helper also signs agreements)."""
    from partners.models import Partner, Tier
    from tests.partners.helpers import program_with_partners

    program = program_with_partners(cast)
    Tier.objects.filter(program=program, name__in=("Gold", "Silver")).update(mdf_eligible=True)
    for key, name in (("p1", "Gold"), ("p2", "Silver")):
        tier = Tier.objects.get(program=program, name=name)
        Partner.objects.filter(pk=cast.a.partners[key].pk).update(current_tier=tier, tier=name)


def test_a_coop_accrual_killed_inside_its_transaction_books_each_accrual_once(cast, chaos, tmp_path):
    from funds.models import Fund, LedgerEntry
    from prm.jobs.services import job_create, job_enqueue
    from tests.funds.helpers import days, fund, period

    with cast.a.context():
        _mdf_tiers(cast)
        coop = fund(cast, "COOP", kind=Fund.Kind.COOP, accrual_pct=Decimal("2"))
        quarter = period(cast, coop, start=days(-40), end=days(10))
    for n, key in enumerate(("p1", "p2"), start=1):
        sales = tmp_path / f"{key}.csv"
        sales.write_text(
            ",".join(POS_HEADERS)
            + "\n"
            + "".join(
                f"C-{n}-{i},{days(-i - 1).isoformat()},PMP-100,{n * i},100.00,Customer\n" for i in range(9)
            )
        )
        with cast.a.context():
            pos_file_load(partner=cast.a.partners[key], path=sales, mapping=POS_MAPPING)

    def start() -> Started:
        job = job_create(
            kind="funds:accrue", acting_user=cast.a.users["admin"], params={"period_id": quarter.pk}
        )
        job_enqueue(job, "funds.accrue_coop")
        return Started.of_job(job)

    def state(started: Started) -> dict:
        return {"ledger": _ledger(), "notified": _notifications(), "summary": _job(started).result}

    def nothing_committed(started: Started) -> None:
        assert not LedgerEntry.objects.filter(kind="accrued").exists()

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        outcome = chaos.killed_and_redelivered(
            start,
            state,
            pause="funds.services.allocations:_insert_accruals",
            while_paused=nothing_committed,
        )
        assert _job(outcome.started).attempts == 2
        assert outcome.state == reference
        assert [entry[:3] for entry in reference["ledger"]] == [
            ("D100", "accrued", Decimal("72.00")),  # 2% of 36 units at 100.00
            ("D200", "accrued", Decimal("144.00")),
        ]


def test_the_nightly_fund_expiry_killed_between_its_steps_expires_and_warns_once(cast, chaos):
    import time_machine
    from django.utils import timezone

    from funds.models import ExpiryWarning, LedgerEntry
    from tests.funds.helpers import allocate, fund, period

    today = timezone.localdate()
    earlier = datetime.datetime.combine(
        today - datetime.timedelta(days=20), datetime.time(12), tzinfo=datetime.UTC
    )
    with time_machine.travel(earlier, tick=False), cast.a.context():
        _mdf_tiers(cast)
        mdf = fund(cast)
        quarter = period(
            cast, mdf, start=today - datetime.timedelta(days=25), end=today + datetime.timedelta(days=60)
        )
        for partner, amount, days in (
            ("p1", "1000.00", -5),
            ("p2", "600.00", -2),
            ("p1", "3000.00", 10),
            ("p2", "900.00", 20),
        ):
            allocate(cast, quarter, amount, partner=partner, expires_on=today + datetime.timedelta(days=days))

    def start() -> Started:
        return Started(task="funds.nightly")

    def state(started: Started) -> dict:
        return {
            "ledger": _ledger(),
            "warnings": sorted(
                ExpiryWarning.objects.values_list("account__partner__code", "expires_on", "amount")
            ),
            "notified": _notifications(),
            "audited": AuditEvent.objects.filter(action="fund.expire").count(),
        }

    def expired_not_warned(started: Started) -> None:
        assert LedgerEntry.objects.filter(kind="expired").count() == 2  # committed...
        assert not ExpiryWarning.objects.exists()  # ...and the warnings not sent yet

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        outcome = chaos.killed_and_redelivered(
            start, state, pause="funds.tasks:expiries_post", while_paused=expired_not_warned
        )
        assert outcome.state == reference
        assert [(p, kind, amount) for p, kind, amount, *_ in reference["ledger"] if kind == "expired"] == [
            ("D100", "expired", Decimal("1000.00")),
            ("D200", "expired", Decimal("600.00")),
        ]
        assert len(reference["warnings"]) == 2 and reference["audited"] == 1


# --- Partners ------------------------------------------------------------------------------------


def test_scorecards_killed_after_the_first_chunk_score_every_partner_and_propose_once(cast, chaos):
    from partners.models import Partner, Scorecard, Tier, TierProposal
    from partners.services.programs import partner_enrol
    from partners.services.scorecards import scorecard_recalculate_start
    from tests.factories import PartnerFactory
    from tests.partners.helpers import program_with_partners

    with cast.a.context():
        program = program_with_partners(cast)
        for n in range(3):
            partner_enrol(
                partner=PartnerFactory(code=f"R{n}", name=f"Reseller {n}"), program=program, actor=None
            )
        gold = Tier.objects.get(program=program, name="Gold")
        Partner.objects.exclude(pk=cast.a.partners["p1"].pk).update(current_tier=gold, tier=gold.name)

    def start() -> Started:
        return Started.of_job(scorecard_recalculate_start(acting_membership=cast.a.memberships["manager"]))

    def state(started: Started) -> dict:
        return {
            "scorecards": sorted(
                Scorecard.objects.values_list(
                    "partner__code", "as_of", "values", "tier__name", "qualified_tier__name"
                ),
                key=repr,
            ),
            "proposals": sorted(
                TierProposal.objects.values_list(
                    "partner__code", "from_tier__name", "to_tier__name", "direction", "status", "reason"
                )
            ),
            "audited": AuditEvent.objects.filter(action="tier_proposal.create").count(),
            "summary": _job(started).result,
        }

    def first_chunk_done(started: Started) -> None:
        assert Scorecard.objects.count() == 2  # one chunk of two partners committed

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        outcome = chaos.killed_and_redelivered(
            start,
            state,
            pause="partners.tasks:job_progress",
            overrides={"partners.services.scorecards:CHUNK": 2},
            while_paused=first_chunk_done,
        )
        assert _job(outcome.started).attempts == 2
        assert outcome.state == reference
        assert len(reference["scorecards"]) == 5
        assert reference["summary"]["demotions"] == 4 and reference["audited"] == 4


# --- Exports and statements ----------------------------------------------------------------------


def _exported_batch(cast):
    from prm.finance.batches import payout_batch_approve, payout_batch_create, payout_batch_export
    from prm.finance.services import payable_create
    from tests.prm.finance_helpers import payout_details, second_finance

    for n, key in enumerate(("p1", "p2"), start=1):
        payout_details(cast.a, key)
        with cast.a.context():
            for line in range(3):
                payable_create(
                    source_type="rebate",
                    source_id=f"RB-{key}-{line}",
                    partner=cast.a.partners[key],
                    amount=Decimal(f"{n * 100 + line}.25"),
                    currency="USD",
                    due_date=datetime.date(2026, 12, 31),
                )
    with cast.a.context():
        batch = payout_batch_create(acting_membership=cast.a.memberships["finance"], currency="USD")
        batch = payout_batch_approve(batch=batch, acting_membership=second_finance(cast.a))
        return payout_batch_export(batch=batch, acting_membership=cast.a.memberships["finance"])


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_payout_workbook_killed_before_it_is_recorded_leaves_one_file(cast, chaos):
    import shutil

    from openpyxl import load_workbook

    from prm.files import tenant_folder
    from prm.jobs.services import job_create, job_enqueue

    batch = _exported_batch(cast)
    with cast.a.context():
        folder = tenant_folder() / "exports"

    def start() -> Started:
        job = job_create(
            kind="export:payout_batch",
            acting_user=cast.a.users["finance"],
            params={"batch": batch.pk, "full": False},
        )
        job_enqueue(job, "prm.finance.payout_export_xlsx")
        return Started.of_job(job)

    def state(started: Started) -> dict:
        result = _job(started).result
        sheet = load_workbook(Path(chaos.pool.media) / result["file"], read_only=True).worksheets[0]
        return {
            "rows": [list(row) for row in sheet.iter_rows(values_only=True)],
            "summary": {k: v for k, v in result.items() if k in ("rows", "filename")},
            "files": len(_files(folder)),
        }

    def written_not_recorded(started: Started) -> None:
        assert _files(folder) and _job(started).status == Job.Status.RUNNING

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        shutil.rmtree(folder)
        outcome = chaos.killed_and_redelivered(
            start, state, pause="prm.finance.payout_export:write_xlsx", while_paused=written_not_recorded
        )
        assert _job(outcome.started).attempts == 2
        assert outcome.state == reference
        assert len(reference["rows"]) == 7 and reference["files"] == 1  # a header and six lines


def test_a_tenant_export_killed_mid_archive_writes_one_whole_archive(cast, chaos):
    import json
    import shutil
    import zipfile

    from prm.audit.models import AuditEvent as Event
    from prm.files import store_bytes, tenant_folder
    from prm.ops.tenant_data import archive_path, partial_path, tenant_export_start

    with cast.a.context():
        store_bytes(b"%PDF-1.4 proof", area="proofs", suffix=".pdf")
        folder = tenant_folder() / "exports"
    moving = {Job._meta.db_table, Event._meta.db_table}  # the export's own job and audit event

    def start() -> Started:
        return Started.of_job(
            tenant_export_start(acting_user=cast.a.users["admin"], membership=cast.a.memberships["admin"])
        )

    def state(started: Started) -> dict:
        manifest = json.loads(zipfile.ZipFile(archive_path(started.job)).read("manifest.json"))
        return {
            "tables": {
                name: (entry["rows"], entry["sha256"])
                for name, entry in manifest["tables"].items()
                if name not in moving
            },
            "users": manifest["users"]["sha256"],
            "files": manifest["files"],
            "folder": len(_files(folder)),
        }

    def half_written(started: Started) -> None:
        assert partial_path(started.job).exists() and not archive_path(started.job).exists()

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        shutil.rmtree(folder)
        outcome = chaos.killed_and_redelivered(
            start, state, pause="prm.ops.tenant_data:_copy_into", after_calls=5, while_paused=half_written
        )
        assert _job(outcome.started).attempts == 2
        assert outcome.state == reference
        assert reference["folder"] == 1 and reference["tables"]["partners_partner"][0] == 2


def test_remittance_statements_killed_after_the_first_pdf_render_each_once(cast, chaos):
    import shutil

    from prm.files import tenant_folder
    from prm.finance.batches import PaymentConfirmation, payout_batch_mark_paid
    from prm.finance.models import PayoutPayment

    batch = _exported_batch(cast)
    with cast.a.context():
        folder = tenant_folder() / "remittances"

    def start() -> Started:
        confirmations = [
            PaymentConfirmation(cast.a.partners[key].pk, f"TRX-{key}", datetime.date(2026, 12, 5))
            for key in ("p1", "p2")
        ]
        payout_batch_mark_paid(
            batch=batch, acting_membership=cast.a.memberships["finance"], confirmations=confirmations
        )
        ids = sorted(batch.payments.values_list("pk", flat=True))
        return Started(task="prm.finance.remittance_statements", kwargs={"payment_ids": ids}, enqueued=True)

    def state(started: Started) -> dict:
        return {
            "statements": sorted(
                PayoutPayment.objects.filter(batch=batch).values_list("partner__code", "statement_path")
            ),
            "notified": [n for n in _notifications() if n[1] == "remittance.ready"],
            "files": _files(folder),
        }

    def first_rendered(started: Started) -> None:
        assert len(_files(folder)) == 1
        assert not PayoutPayment.objects.filter(batch=batch).exclude(statement_path="").exists()

    with cast.a.context():
        reference = chaos.undisturbed(start, state)
        shutil.rmtree(folder)  # the statements the undisturbed run wrote
        outcome = chaos.killed_and_redelivered(
            start, state, pause="prm.finance.remittance:store_bytes", while_paused=first_rendered
        )
        assert outcome.state == reference
        assert len(reference["files"]) == 2 and len(reference["notified"]) == 2
        assert all(path for _code, path in reference["statements"])
