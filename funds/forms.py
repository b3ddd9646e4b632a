"""Forms of the fund pages (parsing only; the services decide)."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from funds.models import ActivityType, Fund, ProofKind
from partners.models import Tier
from prm.lib.money import MAX_MINOR_UNITS


def _money(label, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=18, decimal_places=MAX_MINOR_UNITS, min_value=Decimal("0"), required=required
    )


class DateInput(forms.DateInput):
    input_type = "date"


class FundForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Fund.Kind.choices)
    currency = forms.RegexField(label=_("Currency"), regex=r"^[A-Za-z]{3}$", max_length=3)
    participation_pct = forms.DecimalField(
        label=_("Participation %"), max_digits=6, decimal_places=3, initial=Decimal("50")
    )
    accrual_pct = forms.DecimalField(
        label=_("Co-op accrual % of net sales"),
        max_digits=6,
        decimal_places=3,
        required=False,
        initial=Decimal("0"),
    )
    lead_days = forms.IntegerField(
        label=_("Submit at least (days before the activity)"), min_value=0, initial=10
    )
    claim_deadline_days = forms.IntegerField(
        label=_("Claim deadline (days after the activity)"), min_value=0, initial=60
    )
    activity_types = forms.MultipleChoiceField(
        label=_("Activity types (none: all)"),
        choices=ActivityType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tiers: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        label=_("Eligible tiers (benefits include MDF)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["tiers"]).queryset = Tier.objects.filter(
            mdf_eligible=True
        ).select_related("program")
        if edit:
            for name in ("code", "kind", "currency"):
                self.fields[name].required = False
                self.fields[name].disabled = True


class PeriodForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40, help_text=_("e.g. 2026-Q3"))
    start = forms.DateField(label=_("Start"), widget=DateInput)
    end = forms.DateField(label=_("End"), widget=DateInput)
    budget = _money(_("Budget"))
    expires_on = forms.DateField(
        label=_("Allocations expire on (empty: the end)"), widget=DateInput, required=False
    )


class AllocationForm(forms.Form):
    partner: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Partner"), queryset=None)
    amount = _money(_("Amount"))
    expires_on = forms.DateField(
        label=_("Expires on (empty: the period's expiry)"), widget=DateInput, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, partners_qs, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["partner"]).queryset = partners_qs


class BulkAllocationForm(forms.Form):
    expires_on = forms.DateField(
        label=_("Expires on (empty: the period's expiry)"), widget=DateInput, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = list(tiers)
        for tier in self.tiers:
            self.fields[f"tier_{tier.pk}"] = _money(tier.name, required=False)

    def amounts(self) -> dict[int, Decimal]:
        return {t.pk: self.cleaned_data.get(f"tier_{t.pk}") or Decimal("0") for t in self.tiers}


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
    amount = _money(_("Amount (empty: all that is left)"), required=False)


class BudgetForm(forms.Form):
    budget = _money(_("Budget"))


class SettingsForm(forms.Form):
    level1_limit = _money(_("Channel manager approves up to"))
    level2_limit = _money(_("Marketing manager approves up to"))


class RequestForm(forms.Form):
    fund: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Fund"), queryset=None)
    activity_type = forms.ChoiceField(label=_("Activity type"), choices=ActivityType.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    start_date = forms.DateField(label=_("Activity starts"), widget=DateInput)
    end_date = forms.DateField(label=_("Activity ends"), widget=DateInput)
    audience = forms.CharField(label=_("Audience"), max_length=200, required=False)
    estimated_cost = _money(_("Estimated cost"))
    requested_amount = _money(_("Requested amount"))
    expected_leads = forms.IntegerField(label=_("Expected leads"), min_value=0, initial=0)

    def __init__(self, *args, funds_qs, edit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["fund"]).queryset = funds_qs
        if edit:
            self.fields["fund"].required = False
            self.fields["fund"].disabled = True


class DecisionForm(forms.Form):
    ACTIONS = (
        ("approve", _("Approve")),
        ("reject", _("Reject")),
        ("changes", _("Request changes")),
    )
    action = forms.ChoiceField(choices=ACTIONS)
    amount = _money(_("Approve a lower amount"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


class ClaimForm(forms.Form):
    actual_cost = _money(_("Actual cost"))
    leads = forms.IntegerField(label=_("Leads"), min_value=0, initial=0)
    attendees = forms.IntegerField(label=_("Attendees"), min_value=0, initial=0)
    impressions = forms.IntegerField(label=_("Impressions"), min_value=0, initial=0)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ProofForm(forms.Form):
    requirement = forms.ChoiceField(label=_("This file is"), choices=ProofKind.choices)
    file = forms.FileField(label=_("File"))
    captured_on = forms.DateField(label=_("Date shown (screenshots)"), widget=DateInput, required=False)


class ReviewForm(forms.Form):
    ACTIONS = (
        ("approve", _("Approve")),
        ("partial", _("Approve partially")),
        ("reject", _("Reject")),
        ("return", _("Return for more proof")),
    )
    action = forms.ChoiceField(choices=ACTIONS)
    amount = _money(_("Amount (partial approval)"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


class DelegationForm(forms.Form):
    delegate: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Delegate to"), queryset=None)
    starts_on = forms.DateField(label=_("From"), widget=DateInput)
    ends_on = forms.DateField(label=_("Until"), widget=DateInput)

    def __init__(self, *args, staff_qs, **kwargs):
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["delegate"])
        field.queryset = staff_qs
        field.label_from_instance = lambda m: f"{m.user} ({m.get_role_display()})"  # type: ignore[method-assign]


class LinkForm(forms.Form):
    registration = forms.IntegerField(label=_("Deal registration number"), required=False, min_value=1)
    lead = forms.IntegerField(label=_("Lead number"), required=False, min_value=1)
