"""django-import-export resources: the partners import kind, and exports of partners, contacts
(partner people) and certifications (written through prm.exports, the one export writer)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from import_export import fields, resources

from partners.models import Certification, Partner, PartnerUserObjectPermission, Tier
from prm.accounts.models import Membership
from prm.exports import export_response
from prm.lib.import_widgets import raise_merged_errors


class PartnerResource(resources.ModelResource):
    """Partner rows by natural key ``code``: created or updated. ``tier`` is a tier name; when it
    names a tier of the partner's program (or of the default program) the partner moves into it."""

    class Meta:
        model = Partner
        import_id_fields = ["code"]
        fields = ["code", "name", "type", "country", "region", "tier", "email"]
        export_order = ["code", "name", "type", "country", "region", "tier", "status", "email"]
        clean_model_instances = True
        skip_unchanged = False

    def get_queryset(self):
        return Partner.objects.all()

    def before_import_row(self, row, **kwargs):
        for key in ("code", "name", "region", "tier", "email"):
            if row.get(key) is not None:
                row[key] = str(row[key]).strip()
        row["type"] = str(row.get("type") or "").strip().lower()
        row["country"] = str(row.get("country") or "").strip().upper()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.country and (len(instance.country) != 2 or not instance.country.isalpha()):
            errors.setdefault("country", []).append("Use a two-letter ISO country code, e.g. DE.")
        raise_merged_errors(errors, instance)

    def before_save_instance(self, instance, row, **kwargs):
        name = (instance.tier or "").strip()
        if not name:
            instance.current_tier = None
            return
        tiers = Tier.objects.filter(name__iexact=name)
        if instance.program_id:
            tiers = tiers.filter(program_id=instance.program_id)
        else:
            tiers = tiers.order_by("-program__is_default", "program_id")
        tier = tiers.first()
        if tier is not None:
            instance.current_tier = tier
            instance.program_id = tier.program_id
            instance.tier = tier.name


class PartnerExportResource(resources.ModelResource):
    """The partner directory's export: profile, program, tier, agreement and account managers."""

    program = fields.Field(column_name="program")
    agreement_signed = fields.Field(column_name="agreement_signed")
    account_managers = fields.Field(column_name="account_managers")

    class Meta:
        model = Partner
        fields = [
            "code",
            "name",
            "type",
            "country",
            "region",
            "program",
            "tier",
            "status",
            "email",
            "website",
            "agreement_signed",
            "account_managers",
        ]
        export_order = fields

    def __init__(self, managers: dict[int, list[str]] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.managers = managers or {}

    def dehydrate_program(self, partner: Partner) -> str:
        return partner.program.name if partner.program is not None else ""

    def dehydrate_agreement_signed(self, partner: Partner) -> str:
        return "yes" if getattr(partner, "has_signed", False) else "no"

    def dehydrate_account_managers(self, partner: Partner) -> str:
        return " ".join(self.managers.get(partner.pk, []))


class ContactResource(resources.ModelResource):
    """People of partners (memberships with a partner role)."""

    partner_code = fields.Field(attribute="partner__code", column_name="partner_code")
    partner_name = fields.Field(attribute="partner__name", column_name="partner_name")
    email = fields.Field(attribute="user__email", column_name="email")
    full_name = fields.Field(attribute="user__full_name", column_name="full_name")

    class Meta:
        model = Membership
        fields = ["partner_code", "partner_name", "full_name", "email", "role", "is_active", "created_at"]
        export_order = fields


class CertificationResource(resources.ModelResource):
    partner_code = fields.Field(attribute="partner__code", column_name="partner_code")
    email = fields.Field(attribute="user__email", column_name="email")
    person = fields.Field(attribute="user__full_name", column_name="person")

    class Meta:
        model = Certification
        fields = ["partner_code", "person", "email", "name", "source", "status", "issued_on", "expires_on"]
        export_order = fields


def managers_by_partner(partner_ids) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    rows = PartnerUserObjectPermission.objects.filter(
        content_object_id__in=list(partner_ids), permission__codename="manage_partner"
    ).values_list("content_object_id", "user__email")
    for pid, email in rows:
        result.setdefault(pid, []).append(email)
    return result


def export_rows(kind: str, fmt: str, queryset: QuerySet) -> HttpResponseBase:
    """Export ``queryset`` with the kind's import-export resource as CSV or XLSX."""
    if kind == "partners":
        items = list(queryset.select_related("program"))
        resource: resources.ModelResource = PartnerExportResource(
            managers=managers_by_partner(p.pk for p in items)
        )
        dataset = resource.export(queryset=items)
    elif kind == "contacts":
        dataset = ContactResource().export(queryset=queryset.select_related("partner", "user"))
    else:
        dataset = CertificationResource().export(queryset=queryset.select_related("partner", "user"))
    return export_response(f"{kind}.{fmt}", list(dataset.headers), (list(row) for row in dataset))
