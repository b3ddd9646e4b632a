"""django-import-export resources: the partners import kind, and exports of partners, contacts
(partner people) and certifications (written through prm.exports, the one export writer)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from import_export import fields, resources

from partners.models import Certification, Partner, PartnerUserObjectPermission, Tier
from partners.selectors import partners_for_membership
from partners.services.lifecycle import partner_change_tier
from prm.accounts.models import Membership
from prm.audit.services import audit, snapshot
from prm.exports import export_response
from prm.imports import ImportContext
from prm.lib.import_widgets import raise_merged_errors
from prm.roles import Perm, membership_has


def partner_codes_in_scope(context: ImportContext | None) -> set[str] | None:
    """The partner codes the importing member may touch, or None for every partner (the command
    line, and vendor staff who are not restricted to assigned partners)."""
    if context is None or context.acting_membership is None:
        return None
    membership = context.acting_membership
    if not (membership.is_partner or membership.assigned_partners_only):
        return None
    if "partner_codes" not in context.cache:
        context.cache["partner_codes"] = set(
            partners_for_membership(membership).values_list("code", flat=True)
        )
    return context.cache["partner_codes"]


def refuse_out_of_scope(code: str, column: str, context: ImportContext | None) -> None:
    """A row naming a partner outside the member's scope is refused (the same words whether the
    partner exists or not: the import reveals nothing about other partners)."""
    codes = partner_codes_in_scope(context)
    if codes is not None and code not in codes:
        raise ValidationError(
            {column: [_("%(code)s is not one of the partners you manage.") % {"code": code or "—"}]}
        )


IMPORT_AUDIT_FIELDS = ["name", "type", "country", "region", "email"]


class PartnerResource(resources.ModelResource):
    """Partner rows by natural key ``code``: created or updated, within the importing member's
    scope. ``tier`` names a tier of the partner's program (or of the default program): a new
    partner starts in it; an existing partner moves only through ``partner_change_tier`` (vendor
    admins and the command line), and an empty cell leaves its tier as it is. Every created or
    changed partner is audited."""

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
        refuse_out_of_scope(str(row.get("code") or ""), "code", kwargs.get("import_context"))

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._import_before = None if new else snapshot(instance, [*IMPORT_AUDIT_FIELDS, "tier"])
        instance._import_tier = None

    def import_instance(self, instance, row, **kwargs):
        before = instance._import_before
        super().import_instance(instance, row, **kwargs)
        if before is None:
            return
        # An existing partner's tier never changes here: the tier service moves it after saving.
        wanted = (instance.tier or "").strip()
        instance.tier = before["tier"]
        if wanted and wanted.lower() != (before["tier"] or "").lower():
            instance._import_tier = self._tier_change(instance, wanted, kwargs.get("import_context"))

    def _tier_change(self, instance, name: str, context: ImportContext | None) -> Tier:
        membership = context.acting_membership if context is not None else None
        if membership is not None and not membership_has(membership, Perm.PARTNER_LIFECYCLE):
            raise ValidationError(
                {
                    "tier": [
                        _(
                            "Only vendor admins change a partner's tier (or approve the scorecard's "
                            "proposal); keep %(tier)s here."
                        )
                        % {"tier": instance.tier or "—"}
                    ]
                }
            )
        tier = self._find_tier(instance, name)
        if tier is None:
            raise ValidationError({"tier": [_("Unknown tier %(tier)s.") % {"tier": name}]})
        return tier

    @staticmethod
    def _find_tier(instance, name: str) -> Tier | None:
        tiers = Tier.objects.filter(name__iexact=name)
        if instance.program_id:
            return tiers.filter(program_id=instance.program_id).first()
        return tiers.order_by("-program__is_default", "program_id").first()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.country and (len(instance.country) != 2 or not instance.country.isalpha()):
            errors.setdefault("country", []).append("Use a two-letter ISO country code, e.g. DE.")
        raise_merged_errors(errors, instance)

    def before_save_instance(self, instance, row, **kwargs):
        if instance._import_before is not None:
            return
        # A new partner starts in the named tier (its program's, or the default program's).
        name = (instance.tier or "").strip()
        if not name:
            instance.current_tier = None
            return
        tier = self._find_tier(instance, name)
        if tier is not None:
            instance.current_tier = tier
            instance.program_id = tier.program_id
            instance.tier = tier.name

    def after_save_instance(self, instance, row, **kwargs):
        context: ImportContext = kwargs.get("import_context") or ImportContext()
        before = instance._import_before
        if before is None:
            audit(
                actor=context.actor,
                action="partner.import_create",
                obj=instance,
                after={**snapshot(instance, [*IMPORT_AUDIT_FIELDS, "tier"]), "via": context.via},
            )
        else:
            after = snapshot(instance, IMPORT_AUDIT_FIELDS)
            changed = [f for f in IMPORT_AUDIT_FIELDS if after[f] != before[f]]
            if changed:
                audit(
                    actor=context.actor,
                    action="partner.import_update",
                    obj=instance,
                    before={f: before[f] for f in changed},
                    after={**{f: after[f] for f in changed}, "via": context.via},
                )
        if instance._import_tier is not None:
            partner_change_tier(
                partner=instance,
                tier=instance._import_tier,
                acting_membership=context.acting_membership,
                reason=_("Imported file (%(via)s)") % {"via": context.via},
            )


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


def partner_export_table(queryset: QuerySet[Partner]) -> tuple[list[str], list[list]]:
    """The directory export's header and rows for ``queryset`` (the page's download and its
    scheduled e-mail)."""
    items = list(queryset.select_related("program"))
    resource = PartnerExportResource(managers=managers_by_partner(p.pk for p in items))
    dataset = resource.export(queryset=items)
    return list(dataset.headers), [list(row) for row in dataset]


def export_rows(kind: str, fmt: str, queryset: QuerySet) -> HttpResponseBase:
    """Export ``queryset`` with the kind's import-export resource as CSV or XLSX."""
    if kind == "partners":
        headers, rows = partner_export_table(queryset)
        return export_response(f"{kind}.{fmt}", headers, rows)
    if kind == "contacts":
        dataset = ContactResource().export(queryset=queryset.select_related("partner", "user"))
    else:
        dataset = CertificationResource().export(queryset=queryset.select_related("partner", "user"))
    return export_response(f"{kind}.{fmt}", list(dataset.headers), (list(row) for row in dataset))
