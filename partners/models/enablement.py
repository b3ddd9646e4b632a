"""Enablement: the resource library, training courses with quizzes, and certifications."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from partners.models.core import Partner, Program
from prm.tenancy.fields import TenantForeignKey
from prm.tenancy.models import TenantModel


class Resource(TenantModel):
    """A document or playbook in the library, visible to a program (or all) from a tier upward."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Document")
        PLAYBOOK = "playbook", _("Playbook")

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DOCUMENT)
    category = models.CharField(max_length=100)
    program = TenantForeignKey(
        Program,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every program."),
    )
    min_tier_rank = models.PositiveSmallIntegerField(
        default=0, help_text=_("Lowest tier rank that may download (0: every tier).")
    )
    is_published = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category", "title"]

    def __str__(self) -> str:
        return self.title


class ResourceVersion(TenantModel):
    """One uploaded file of a resource; the newest version is the one partners download."""

    resource = TenantForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    path = models.CharField(max_length=500)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    notes = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "resource", "number"], name="resource_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource} v{self.number}"


class ResourceDownload(TenantModel):
    """One download of a resource version (the download count is the number of rows)."""

    version = TenantForeignKey(ResourceVersion, on_delete=models.CASCADE, related_name="downloads")
    resource = TenantForeignKey(Resource, on_delete=models.CASCADE, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    partner = TenantForeignKey(Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "resource"])]


class Course(TenantModel):
    """A training course: lessons, then a quiz; passing it certifies the person."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    program = TenantForeignKey(Program, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    certification_name = models.CharField(max_length=200)
    pass_mark = models.PositiveSmallIntegerField(default=80, help_text=_("Percent of correct answers"))
    validity_months = models.PositiveSmallIntegerField(default=24)
    # Failed attempts in a row before a cool-down; after it a fresh round of attempts starts
    # (answers cannot be found by trying every combination).
    quiz_max_attempts = models.PositiveSmallIntegerField(
        _("quiz attempts before a cool-down"), default=3, validators=[MinValueValidator(1)]
    )
    quiz_cooldown_hours = models.PositiveSmallIntegerField(
        _("cool-down (hours)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 90)]
    )
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Lesson(TenantModel):
    course = TenantForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text=_("Text; blank lines separate paragraphs."))
    attachment_path = models.CharField(max_length=500, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["course", "order", "id"]

    def __str__(self) -> str:
        return self.title


class QuizQuestion(TenantModel):
    course = TenantForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=500)

    class Meta:
        ordering = ["course", "order", "id"]

    def __str__(self) -> str:
        return self.text


class QuizChoice(TenantModel):
    question = TenantForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=300)
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["question", "id"]

    def __str__(self) -> str:
        return self.text


class QuizAttempt(TenantModel):
    course = TenantForeignKey(Course, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    partner = TenantForeignKey(Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    answers = models.JSONField(default=dict)
    score = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class Certification(TenantModel):
    """A person's certification: earned by passing a course quiz, or an external certificate
    verified by a channel manager. Counts while valid and not expired."""

    class Source(models.TextChoices):
        COURSE = "course", _("Course")
        EXTERNAL = "external", _("External certificate")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting verification")
        VALID = "valid", _("Valid")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    partner = TenantForeignKey(Partner, on_delete=models.CASCADE, related_name="certifications")
    course = TenantForeignKey(Course, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    issued_on = models.DateField()
    expires_on = models.DateField()
    file_path = models.CharField(max_length=500, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    expiry_reminded_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["tenant", "partner", "status", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"
