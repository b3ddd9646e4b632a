"""The back-office form that creates an API key."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from api.models import ApiKey
from api.scopes import ALL_SCOPES
from prm.roles import STAFF_ROLES, Role


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("The system that uses the key, e.g. “CRM sync”.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ApiKey.Kind.choices, widget=forms.RadioSelect)
    role = forms.ChoiceField(
        label=_("Acts as (vendor-wide keys)"),
        required=False,
        choices=[("", "—")] + [(r.value, r.label) for r in Role if r in STAFF_ROLES],
        help_text=_("What the key may do is what this role may do, within the scopes below."),
    )
    partner: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Partner (partner-bound keys)"),
        queryset=None,
        required=False,
        help_text=_("The key acts as this partner's admin and sees only its records."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=[(s, s) for s in ALL_SCOPES], widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, partners, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
