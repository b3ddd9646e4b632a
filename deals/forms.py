"""Forms of the deals pages. They parse input; the services do the writing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import cast

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deals.models import (
    CoSellEntry,
    CoSellRequest,
    DealRegistration,
    DealSettings,
    DirectOpportunity,
    Lead,
    RoutingRule,
)
from deals.selectors import product_lines, reviewers_for
from deals.services.drafts import DRAFT_FIELDS
from deals.services.leads import LEAD_FIELDS
from deals.services.opportunities import SETTINGS_FIELDS
from partners.models import Partner
from prm.accounts.models import Membership
from prm.forms import AmountField
from prm.lib.countries import country_codes


class DateInput(forms.DateInput):
    input_type = "date"


def _line_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(p, p) for p in product_lines()]


class RegistrationForm(forms.ModelForm):
    """The short registration form: every field optional while drafting; submit checks completeness."""

    distributor = forms.ModelChoiceField(
        label=_("Distributor"),
        queryset=Partner._base_manager.none(),
        required=False,
        help_text=_("Two-tier deal: the distributor you buy through sees this registration."),
    )

    class Meta:
        model = DealRegistration
        fields = list(DRAFT_FIELDS)
        widgets = {
            "expected_close_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "country": forms.TextInput(attrs={"maxlength": 2, "placeholder": "US", "autocomplete": "off"}),
            "customer_name": forms.TextInput(attrs={"autocomplete": "off"}),
        }
        help_texts = {
            "customer_domain": _("e.g. acme.com"),
            "competitors": _("Other vendors in the deal, if known"),
            "distributor": _("Two-tier deal: the distributor you buy through sees this registration."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distributor"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            type=Partner.Type.DISTRIBUTOR, status=Partner.Status.ACTIVE
        ).order_by("name")
        self.fields["distributor"].required = False

    def clean_country(self) -> str:
        value = (self.cleaned_data.get("country") or "").strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise forms.ValidationError(_("Use a two-letter ISO country code, e.g. DE."))
        return value

    def clean_currency(self) -> str:
        value = (self.cleaned_data.get("currency") or "").strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(_("Use a three-letter ISO 4217 code, e.g. USD."))
        return value


class LineForm(forms.Form):
    product_line = forms.ChoiceField(label=_("Product line"), required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False, initial=1)
    value = AmountField(label=_("Value"), min_value=Decimal("0"), required=False)

    def __init__(self, *args, currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].choices = _line_choices()  # type: ignore[attr-defined]
        # The registration's currency decides the decimals (the service checks again on save).
        cast(AmountField, self.fields["value"]).set_currency(currency)

    def line(self) -> dict | None:
        data = getattr(self, "cleaned_data", {}) or {}
        if not data.get("product_line"):
            return None
        return {
            "product_line": data["product_line"],
            "quantity": data.get("quantity") or 1,
            "value": data.get("value") or Decimal("0"),
        }


LineFormSet = forms.formset_factory(LineForm, extra=0, max_num=50)


class ApproveForm(forms.Form):
    protection_days = forms.IntegerField(label=_("Protection (days)"), min_value=1, max_value=3650)
    discount_pct = forms.DecimalField(
        label=_("Registration discount %"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
    )
    note = forms.CharField(
        label=_("Note to the partner"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(forms.Form):
    code = forms.ChoiceField(label=_("Reason"), choices=DealRegistration.RejectionCode.choices)
    reason = forms.CharField(label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 2}))


class InfoRequestForm(forms.Form):
    message = forms.CharField(label=_("What is missing?"), widget=forms.Textarea(attrs={"rows": 2}))


class WonForm(forms.Form):
    closed_value = AmountField(label=_("Closed value"), min_value=Decimal("0"))
    closed_on = forms.DateField(label=_("Close date"), widget=DateInput())

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        cast(AmountField, self.fields["closed_value"]).set_currency(currency)

    def clean_closed_value(self) -> Decimal:
        value = self.cleaned_data["closed_value"]
        if value is None or value <= 0:
            raise forms.ValidationError(_("Enter the closed value."))
        return value


class LostForm(forms.Form):
    reason = forms.CharField(label=_("Why was it lost?"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionRequestForm(forms.Form):
    reason = forms.CharField(label=_("Why do you need more time?"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    note = forms.CharField(label=_("Note"), required=False)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, image, office document)"))


class DirectOpportunityForm(forms.ModelForm):
    product_lines = forms.MultipleChoiceField(
        label=_("Product lines"), widget=forms.SelectMultiple(attrs={"size": 4})
    )

    class Meta:
        model = DirectOpportunity
        fields = [
            "reference",
            "customer_name",
            "customer_domain",
            "country",
            "product_lines",
            "value",
            "currency",
            "expected_close_date",
            "sales_owner",
        ]
        widgets = {"expected_close_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_lines"].choices = _line_choices()[1:]


class LeadForm(forms.ModelForm):
    product_interest = forms.ChoiceField(label=_("Product line"))

    class Meta:
        model = Lead
        fields = list(LEAD_FIELDS)
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_interest"].choices = _line_choices()


class LeadAcceptForm(forms.Form):
    owner: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Owner at your company"), queryset=None)

    def __init__(self, *args, colleagues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = colleagues


class LeadDeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why do you decline?"), widget=forms.Textarea(attrs={"rows": 2}))


class CommaListField(forms.CharField):
    def to_python(self, value) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [item.strip() for item in text.split(",") if item.strip()]

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value


class RoutingRuleForm(forms.ModelForm):
    countries = CommaListField(
        label=_("Countries"), required=False, help_text=_("ISO codes, comma-separated; empty: any")
    )
    regions = CommaListField(label=_("Regions"), required=False, help_text=_("Comma-separated; empty: any"))
    product_lines = CommaListField(
        label=_("Product lines"), required=False, help_text=_("Comma-separated; empty: any")
    )
    max_open_leads = forms.IntegerField(
        label=_("Capacity (max open leads)"), required=False, validators=[MinValueValidator(1)]
    )

    class Meta:
        model = RoutingRule
        fields = [
            "position",
            "name",
            "is_active",
            "countries",
            "regions",
            "product_lines",
            "match_territory",
            "require_expertise",
            "min_tier",
            "max_open_leads",
            "distribution",
        ]


class DealSettingsForm(forms.ModelForm):
    registration_guidelines = forms.CharField(
        label=_("Registration guidelines"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Shown to partners above the registration form. Simple HTML: paragraphs, bold, italics, "
            "lists, headings and links; anything else is removed."
        ),
    )
    min_deal_value = AmountField(
        label=_("Minimum deal value"),
        required=False,
        min_value=Decimal("0"),
        help_text=_(
            "In the base currency; empty: no minimum. Other currencies are converted at the day's rate."
        ),
    )
    eligible_product_lines = forms.MultipleChoiceField(
        label=_("Eligible product lines"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every product line may be registered."),
    )
    eligible_countries = CommaListField(
        label=_("Eligible customer countries"),
        required=False,
        help_text=_("ISO codes, comma-separated, e.g. US, CA; empty: every country."),
    )

    def __init__(self, *args, currency: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        lines = set(product_lines()) | set(self.instance.eligible_product_lines or [])
        cast(forms.MultipleChoiceField, self.fields["eligible_product_lines"]).choices = [
            (x, x) for x in sorted(lines)
        ]
        cast(AmountField, self.fields["min_deal_value"]).set_currency(currency)

    def clean_eligible_countries(self) -> list[str]:
        codes = [code.upper() for code in self.cleaned_data["eligible_countries"]]
        known = country_codes()
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise forms.ValidationError(
                _("Not an ISO country code: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        return list(dict.fromkeys(codes))

    class Meta:
        model = DealSettings
        fields = list(SETTINGS_FIELDS)


class ReportFilterForm(forms.Form):
    """The deal reports' period and partner (the last 12 months by default)."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    partner = forms.TypedChoiceField(label=_("Partner"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", _("All partners"))] + [  # type: ignore[attr-defined]
            (p.pk, f"{p.code} {p.name}") for p in partners
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    def period(self) -> tuple[datetime.date, datetime.date]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("date_to") or timezone.localdate()
        start = data.get("date_from") or (end.replace(day=1) - datetime.timedelta(days=334)).replace(day=1)
        return start, end

    def partner_id(self) -> int | None:
        return self.cleaned_data.get("partner") if self.is_bound and self.is_valid() else None


class CoSellRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Help needed"), choices=CoSellRequest.Kind.choices)
    message = forms.CharField(
        label=_("What do you need?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )


class CoSellEntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Add"), choices=CoSellEntry.Kind.choices)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DateInput())


class CoSellAssignForm(forms.Form):
    """Hand a co-sell request to a colleague: the choices are the vendor staff who may work the
    registration's partner's deals (vendor admins, its channel managers), as the service checks."""

    assignee = forms.ModelChoiceField(label=_("Colleague"), queryset=Membership._base_manager.none())

    def __init__(self, *args, partner_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (  # type: ignore[attr-defined]
            Membership.objects.select_related("user")
            .filter(is_active=True, user__in=[u.pk for u in reviewers_for(partner_id)])
            .order_by("user__email")
        )
