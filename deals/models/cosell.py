"""Co-selling: a partner asks the vendor for help on a registration (technical pre-sales,
pricing, an executive sponsor); the territory's owner (or a colleague) is assigned and both sides
work one shared timeline of notes, next steps and tasks with due dates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deals.models.registrations import DealRegistration
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class CoSellRequest(TenantModel):
    """A partner's request for vendor help on one registration. Visible to exactly the parties on
    the deal: the partner's people, the assigned vendor person and the territory's owners, and
    vendor staff who may review the partner's deals (never other partners; the distributor of a
    two-tier deal only when ``shared_with_distributor``)."""

    class Kind(models.TextChoices):
        PRESALES = "presales", _("Technical pre-sales")
        PRICING = "pricing", _("Pricing")
        EXECUTIVE = "executive", _("Executive sponsor")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACTIVE = "active", _("In progress")
        CLOSED = "closed", _("Closed")

    TRANSITIONS = {
        Status.REQUESTED: {Status.ACTIVE, Status.CLOSED},
        Status.ACTIVE: {Status.CLOSED},
        Status.CLOSED: set(),
    }
    OPEN = (Status.REQUESTED, Status.ACTIVE)

    registration = TenantForeignKey(
        DealRegistration, on_delete=models.CASCADE, related_name="cosell_requests"
    )
    kind = models.CharField(_("help needed"), max_length=16, choices=Kind.choices)
    message = models.TextField(_("what the partner needs"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shared_with_distributor = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "registration", "status"])]

    def __str__(self) -> str:
        return f"CS-{self.pk} {self.get_kind_display()}"

    @property
    def audit_partner_id(self) -> int:
        return self.registration.partner_id


class CoSellEntry(TenantModel):
    """One item of a co-sell timeline: a note, a next step or a task (due date, done or not)."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        NEXT_STEP = "next_step", _("Next step")
        TASK = "task", _("Task")

    request = TenantForeignKey(CoSellRequest, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # When the beat job reminded about a task that is due (idempotent: once).
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "kind", "due_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:40]}"

    @property
    def audit_partner_id(self) -> int:
        return self.request.registration.partner_id
