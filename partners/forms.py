"""Forms of the partners app (input parsing only; the services decide)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import (
    LOWER_IS_BETTER,
    MONEY_KPIS,
    PLAN_KPI_LABELS,
    PLAN_KPIS,
    QUARTERS,
    Kpi,
    Partner,
    PlanInitiative,
    Program,
    Resource,
    RevenueBand,
    Tier,
)
from prm.catalog.models import Product
from prm.forms import AmountField


def expertise_choices() -> list[tuple[str, str]]:
    categories = (
        Product.objects.filter(is_active=True)
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )
    return [(c, c.replace("_", " ").capitalize()) for c in categories]


class ApplicationForm(forms.Form):
    company = forms.CharField(label=_("Company"), max_length=200)
    website = forms.URLField(label=_("Website"), assume_scheme="https")
    country = forms.CharField(label=_("Country (ISO code, e.g. DE)"), min_length=2, max_length=2)
    region = forms.CharField(label=_("Region"), max_length=64, required=False)
    type = forms.ChoiceField(label=_("Partner type"), choices=Partner.Type.choices)
    expertise = forms.MultipleChoiceField(
        label=_("Expertise (product categories)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    revenue_band = forms.ChoiceField(label=_("Annual revenue"), choices=RevenueBand.choices)
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    message = forms.CharField(
        label=_("Anything else we should know?"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    # Honeypot: hidden from people by CSS; bots fill every field.
    fax_number = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expertise"].choices = expertise_choices()  # type: ignore[attr-defined]

    def clean_country(self) -> str:
        value = self.cleaned_data["country"].strip().upper()
        if not value.isalpha():
            raise forms.ValidationError(_("Use a two-letter ISO country code, e.g. DE."))
        return value

    def clean_contact_email(self) -> str:
        return self.cleaned_data["contact_email"].strip().lower()

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("fax_number"))


class ApproveForm(forms.Form):
    program: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Program"), queryset=None, required=False
    )
    code = forms.CharField(label=_("Partner code (empty: generated)"), max_length=32, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.all()  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class TierChangeForm(forms.Form):
    tier: forms.ModelChoiceField = forms.ModelChoiceField(label=_("New tier"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=1000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = Tier.objects.select_related("program").order_by(  # type: ignore[attr-defined]
            "program__name", "rank"
        )
        self.fields["tier"].label_from_instance = lambda t: f"{t.program.name}: {t.name}"  # type: ignore[attr-defined]


class InfoRequestForm(forms.Form):
    message = forms.CharField(
        label=_("What do you need to know?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class ProfileForm(forms.ModelForm):
    expertise = forms.MultipleChoiceField(
        label=_("Expertise"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Partner
        fields = ["name", "website", "phone", "address", "city", "postal_code", "region", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    # Territory and expertise decide which leads a partner receives: the vendor manages them.
    VENDOR_MANAGED = ("region", "expertise")

    def __init__(self, *args, vendor_managed_editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expertise"].choices = expertise_choices()  # type: ignore[attr-defined]
        self.fields["expertise"].initial = self.instance.expertise
        if not vendor_managed_editable:
            for name in self.VENDOR_MANAGED:
                del self.fields[name]


class ChangeRequestForm(forms.Form):
    message = forms.CharField(
        label=_("What should change (region, expertise)?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class PayoutForm(forms.Form):
    account_holder = forms.CharField(label=_("Account holder"), max_length=200)
    account_number = forms.CharField(
        label=_("IBAN or account number"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    bank_code = forms.CharField(label=_("BIC / SWIFT or routing number"), max_length=34, required=False)
    tax_id = forms.CharField(
        label=_("Tax id"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class SignForm(forms.Form):
    signer_name = forms.CharField(label=_("Type your full name"), max_length=200)
    consent = forms.BooleanField(
        label=_("I have read this agreement, I agree to it, and I am authorised to sign it for my company."),
    )
    document_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)


class TierForm(forms.Form):
    registration_discount_pct = forms.DecimalField(
        label=_("Deal registration discount %"), min_value=0, max_value=100, decimal_places=2
    )
    mdf_eligible = forms.BooleanField(label=_("MDF eligible"), required=False)
    rebate_eligible = forms.BooleanField(label=_("Rebate eligible"), required=False)
    lead_priority = forms.IntegerField(label=_("Lead priority"), min_value=0, max_value=100)

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        for kpi in Kpi:
            help_text = _("at most") if kpi in LOWER_IS_BETTER else _("at least; empty: no rule")
            label = _("Rule: %(kpi)s") % {"kpi": kpi.label}
            if kpi == Kpi.REVENUE_12M:
                # Revenue is measured in the tenant's currency: its rule takes that currency's decimals.
                self.fields[f"rule_{kpi.value}"] = AmountField(
                    label=f"{label} ({currency})",
                    required=False,
                    min_value=0,
                    currency=currency,
                    help_text=help_text,
                )
            else:
                self.fields[f"rule_{kpi.value}"] = forms.DecimalField(
                    label=label, required=False, min_value=0, decimal_places=2, help_text=help_text
                )


class ProgramForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_default = forms.BooleanField(label=_("Applicants join this program"), required=False)


class AgreementTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Merge fields: {{ partner_name }}, {{ partner_code }}, {{ partner_address }}, {{ partner_country }}, {{ tier }}, {{ program }}, {{ vendor }}, {{ effective_date }}, {{ today }}"
        ),
    )
    requires_resign = forms.BooleanField(
        label=_("Partners must sign this version again"), required=False, initial=True
    )


class ResourceForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Resource.Kind.choices)
    category = forms.CharField(label=_("Category"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    program: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Program (empty: all)"), queryset=None, required=False
    )
    min_tier_rank = forms.IntegerField(label=_("Lowest tier rank (0: every tier)"), min_value=0, initial=0)
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.all()  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New version"))
    notes = forms.CharField(label=_("What changed"), max_length=300, required=False)


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    certification_name = forms.CharField(label=_("Certification awarded"), max_length=200)
    pass_mark = forms.IntegerField(label=_("Pass mark %"), min_value=1, max_value=100, initial=80)
    validity_months = forms.IntegerField(
        label=_("Valid for (months)"), min_value=1, max_value=120, initial=24
    )
    quiz_max_attempts = forms.IntegerField(
        label=_("Quiz attempts before a cool-down"), min_value=1, max_value=20, initial=3
    )
    quiz_cooldown_hours = forms.IntegerField(
        label=_("Cool-down (hours)"), min_value=1, max_value=24 * 90, initial=24
    )
    program: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Program (empty: all)"), queryset=None, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.all()  # type: ignore[attr-defined]


class LessonForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    file = forms.FileField(label=_("Attachment"), required=False)


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=500)
    choices = forms.CharField(
        label=_("Answers, one per line; mark the correct one with a leading *"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def parsed_choices(self) -> list[tuple[str, bool]]:
        lines = [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]
        return [(line.lstrip("*").strip(), line.startswith("*")) for line in lines]


class CertificateUploadForm(forms.Form):
    name = forms.CharField(label=_("Certification"), max_length=200)
    issued_on = forms.DateField(label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label=_("Certificate (PDF or image)"))


class AssignManagerForm(forms.Form):
    manager: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Channel manager"), queryset=None)

    def __init__(self, *args, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers  # type: ignore[attr-defined]
        self.fields["manager"].label_from_instance = lambda m: (
            f"{m.user.full_name or m.user.email} ({m.get_role_display()})"
        )  # type: ignore[attr-defined]


# --- Joint business plans -------------------------------------------------------------------------


class PlanCreateForm(forms.Form):
    """A new plan: the partner (vendor staff choose among the partners in reach), the year."""

    partner: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Partner"), queryset=None)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    summary = forms.CharField(
        label=_("Objectives"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000
    )

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partners is None:
            del self.fields["partner"]
        else:
            self.fields["partner"].queryset = partners  # type: ignore[attr-defined]


def goal_field_name(quarter: int, kpi: str) -> str:
    return f"q{quarter}_{kpi}"


class PlanEditForm(forms.Form):
    """The objectives and one target field per quarter and measure (empty: no goal). Revenue is
    an amount in the plan's currency, the other measures whole numbers; a message names the
    quarter and the measure of a bad cell."""

    summary = forms.CharField(
        label=_("Objectives"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid: list[tuple[str, list[forms.BoundField]]] = []
        for kpi in PLAN_KPIS:
            label = PLAN_KPI_LABELS[kpi]
            for quarter in QUARTERS:
                name = goal_field_name(quarter, kpi)
                field_label = _("Q%(quarter)d, %(measure)s") % {"quarter": quarter, "measure": label}
                if kpi in MONEY_KPIS:
                    field: forms.Field = AmountField(
                        label=field_label, currency=currency, required=False, min_value=0
                    )
                else:
                    field = forms.IntegerField(label=field_label, required=False, min_value=0)
                field.widget.attrs["aria-label"] = str(field_label)
                self.fields[name] = field
            row = [self[goal_field_name(quarter, kpi)] for quarter in QUARTERS]
            self.grid.append((f"{label} ({currency})" if kpi in MONEY_KPIS else str(label), row))

    def targets(self) -> dict[tuple[int, str], Decimal | None]:
        result: dict[tuple[int, str], Decimal | None] = {}
        for kpi in PLAN_KPIS:
            for quarter in QUARTERS:
                value = self.cleaned_data.get(goal_field_name(quarter, kpi))
                result[(quarter, kpi)] = None if value is None else Decimal(value)
        return result

    def error_text(self) -> str:
        """Every bad cell named by its label ("Q2, Deals won: Enter a whole number.")."""
        parts: list[str] = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            parts.extend(f"{label}: {e}" if label else str(e) for e in errors)
        return " ".join(parts)


class PlanInitiativeForm(forms.Form):
    title = forms.CharField(label=_("Initiative"), max_length=200)
    owner: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Owner"), queryset=None)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = _owner_label  # type: ignore[attr-defined]


def _owner_label(membership) -> str:
    side = membership.partner.name if membership.partner_id else _("Vendor")
    return f"{membership.user.full_name or membership.user.email} ({side})"


class PlanInitiativeStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PlanInitiative.Status.choices)


class PlanCommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
