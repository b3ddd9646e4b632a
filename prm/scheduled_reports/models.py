"""Scheduled reports: a report page saved with its filters and e-mailed weekly or monthly to
members of the tenant, each receiving what the page would show them at send time; and one row
per (schedule, period, recipient) recording what was sent or why nothing was."""

from __future__ import annotations

from django.db import models
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from prm.accounts.models import Membership
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class ScheduledReport(TenantModel):
    """A report page (``report_key``, see ``prm.reports.register_report``) with the filters its
    owner saved, sent on a weekly or monthly rhythm as CSV, XLSX or PDF to chosen members."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")
        PDF = "pdf", _("PDF")

    owner = TenantForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    report_key = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)  # 0 = Monday
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    format = models.CharField(_("format"), max_length=4, choices=Format.choices, default=Format.XLSX)
    is_active = models.BooleanField(default=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "is_active", "next_run_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(frequency="weekly", weekday__gte=0, weekday__lte=6)
                    | models.Q(frequency="monthly", day_of_month__gte=1, day_of_month__lte=28)
                ),
                name="scheduled_report_rhythm",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rhythm(self) -> str:
        if self.frequency == self.Frequency.WEEKLY and self.weekday is not None:
            return _("weekly on %(day)s") % {"day": WEEKDAYS[self.weekday]}
        return _("monthly on day %(day)s") % {"day": self.day_of_month}


class ScheduledReportRecipient(TenantModel):
    """A member of the tenant chosen to receive a schedule (never a free e-mail address)."""

    schedule = TenantForeignKey(ScheduledReport, on_delete=models.CASCADE, related_name="recipient_rows")
    membership = TenantForeignKey(Membership, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "schedule", "membership"], name="scheduled_report_recipient_once"
            )
        ]


class ScheduledReportRun(TenantModel):
    """One recipient's copy of one period's report: inserted before sending (the key makes a
    rerun of the same period send nothing twice), then marked sent, or skipped with the reason
    (the recipient lost access, left, or the filters no longer parse)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")
        FAILED = "failed", _("Failed")

    schedule = TenantForeignKey(ScheduledReport, on_delete=models.CASCADE, related_name="runs")
    period = models.CharField(max_length=40)
    recipient = TenantForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=500, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "schedule", "period", "recipient"], name="scheduled_report_run_once"
            )
        ]
