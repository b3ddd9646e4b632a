from __future__ import annotations

from prm.jobs.models import Job
from prm.notifications.models import Notification
from tests.sweep import Entry


def _job(cast):
    job = Job.objects.create(
        kind="import:partners", partner=cast.a.partners["p1"], created_by=cast.a.users["p1_admin"]
    )
    return {"pk": job.pk}


def _notification(cast):
    note = Notification.objects.create(
        recipient=cast.a.users["p1_user"], verb="test", message="Hello", url="/"
    )
    return {"pk": note.pk}


def _invitation(cast):
    from prm.accounts.models import Invitation

    inv = Invitation.objects.create(
        email="new@p1.test",
        role="partner_user",
        partner=cast.a.partners["p1"],
        invited_by=cast.a.users["p1_admin"],
    )
    return {"pk": inv.pk}


def _invitation_token(cast):
    from prm.accounts.models import Invitation

    inv = Invitation.objects.create(
        email="tok@acme.test", role="channel_manager", invited_by=cast.a.users["admin"]
    )
    return {"token": inv.token}


def _p1_member(cast):
    return {"pk": cast.a.memberships["p1_user"].pk}


def _payable(cast):
    import datetime
    from decimal import Decimal

    from prm.finance.models import Payable

    # Directly in the table: the sweep needs a row of partner P1, not a registered source app.
    payable = Payable.objects.create(
        source_type="sweep_source",
        source_id="1",
        partner=cast.a.partners["p1"],
        amount=Decimal("10.00"),
        currency="USD",
        due_date=datetime.date(2026, 12, 31),
    )
    return {"pk": payable.pk}


def _batch(cast):
    """A draft batch paying partner P1 (rows made directly: the sweep needs rows, not a source app)."""
    import datetime
    from decimal import Decimal

    from prm.finance.models import Payable, PayoutBatch, PayoutBatchLine, PayoutPayment

    payable = Payable.objects.create(
        source_type="sweep_source",
        source_id="batch-1",
        partner=cast.a.partners["p1"],
        amount=Decimal("10.00"),
        currency="USD",
        due_date=datetime.date(2026, 12, 31),
        status="in_batch",
    )
    batch = PayoutBatch.objects.create(currency="USD", created_by=cast.a.users["finance"])
    payment = PayoutPayment.objects.create(
        batch=batch, partner=cast.a.partners["p1"], amount=Decimal("10.00"), currency="USD", line_count=1
    )
    PayoutBatchLine.objects.create(
        batch=batch,
        payment=payment,
        payable=payable,
        partner=payable.partner,
        amount=payable.amount,
        currency="USD",
        payment_amount=payable.amount,
        payment_currency="USD",
    )
    return {"pk": batch.pk, "payment_pk": payment.pk}


def _batch_only(cast):
    return {"pk": _batch(cast)["pk"]}


def _batch_export_job(cast):
    pk = _batch(cast)["pk"]
    job = Job.objects.create(
        kind="export:payout_batch",
        created_by=cast.a.users["finance"],
        params={"batch": pk, "full": False},
        status="succeeded",
        result={"file": "tenants/none.xlsx", "filename": "x.xlsx"},
    )
    return {"pk": pk, "job_pk": job.pk}


def _remittance(cast):
    from prm.files import store_bytes
    from prm.finance.models import PayoutPayment

    batch = _batch(cast)
    path, digest = store_bytes(b"%PDF-1.4 statement", area="remittances", suffix=".pdf")
    PayoutPayment.objects.filter(pk=batch["payment_pk"]).update(
        status="paid", payment_reference="BANK-1", statement_path=path, statement_sha256=digest
    )
    return {"pk": batch["payment_pk"]}


def _product(cast):
    return {"pk": cast.a.partners["product"].pk}


ENTRIES = {
    "home": Entry(),
    "switch_tenant": Entry(),
    "set_language": Entry(methods=("POST",), public=True),
    "preferences": Entry(methods=("GET", "POST")),
    "tenant_settings": Entry(methods=("GET", "POST")),
    "invitation_accept": Entry(kwargs=_invitation_token, methods=("GET", "POST"), public=True),
    "people": Entry(),
    "invite": Entry(methods=("GET", "POST")),
    "invitation_revoke": Entry(kwargs=_invitation, methods=("POST",), partner_owned=True),
    "member_deactivate": Entry(kwargs=_p1_member, methods=("POST",), partner_owned=True),
    "member_reactivate": Entry(kwargs=_p1_member, methods=("POST",), partner_owned=True),
    "member_role": Entry(kwargs=_p1_member, methods=("POST",), partner_owned=True),
    "notifications": Entry(),
    "notifications_badge": Entry(),
    "notifications_read_all": Entry(methods=("POST",)),
    "notification_open": Entry(kwargs=_notification, methods=("POST",), partner_owned=True),
    "jobs": Entry(),
    "job_detail": Entry(kwargs=_job, partner_owned=True),
    "job_progress": Entry(kwargs=_job, partner_owned=True),
    "audit": Entry(),
    "products": Entry(),
    "product_detail": Entry(kwargs=_product),
    "imports": Entry(methods=("GET", "POST")),
    "finance:rates": Entry(methods=("GET", "POST")),
    "finance:convert": Entry(),
    "finance:settings": Entry(methods=("GET", "POST")),
    "finance:payables": Entry(),
    "finance:payable_detail": Entry(kwargs=_payable, partner_owned=True),
    "finance:payable_cancel": Entry(kwargs=_payable, methods=("POST",), partner_owned=True),
    "finance:batches": Entry(),
    "finance:batch_create": Entry(methods=("GET", "POST")),
    "finance:batch_detail": Entry(kwargs=_batch_only),
    "finance:batch_payment": Entry(kwargs=_batch),
    "finance:batch_approve": Entry(kwargs=_batch_only, methods=("POST",)),
    "finance:batch_export": Entry(kwargs=_batch_only, methods=("POST",)),
    "finance:batch_mark_paid": Entry(kwargs=_batch_only, methods=("POST",)),
    "finance:batch_bank_file": Entry(kwargs=_batch_only, methods=("POST",)),
    "finance:batch_cancel": Entry(kwargs=_batch_only, methods=("POST",)),
    "finance:batch_download": Entry(kwargs=_batch_only),
    "finance:batch_export_file": Entry(kwargs=_batch_export_job),
    "finance:remittances": Entry(),
    "finance:reports": Entry(),
    "finance:reconciliation": Entry(),
    "finance:remittance_download": Entry(kwargs=_remittance, partner_owned=True),
    "brand_css": Entry(public=True),
    "brand_logo": Entry(public=True),
    # Platform (bare base domain)
    "platform:home": Entry(platform=True),
}
