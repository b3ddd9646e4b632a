"""The territory form: rules as comma- or line-separated lists, owners and member partners."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, Territory
from prm.accounts.models import Membership
from prm.roles import Role


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", value or "") if part.strip()]


class TerritoryForm(forms.ModelForm):
    countries_text = forms.CharField(
        label=_("Countries"), required=False, help_text=_("Two-letter codes, comma-separated: DE, AT, CH")
    )
    regions_text = forms.CharField(label=_("Regions"), required=False, help_text=_("Comma-separated"))
    postal_text = forms.CharField(
        label=_("Postal-code prefixes"), required=False, help_text=_("Comma-separated: 80, 81, 82")
    )
    industries_text = forms.CharField(label=_("Industries"), required=False, help_text=_("Comma-separated"))
    accounts_text = forms.CharField(
        label=_("Named accounts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One end customer per line: its legal name or web domain. Named accounts win over every other rule."
        ),
    )
    owners = forms.ModelMultipleChoiceField(
        label=_("Owners (review and co-sell)"), queryset=Membership._base_manager.none(), required=False
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Member partners (lead routing)"), queryset=Partner._base_manager.none(), required=False
    )

    class Meta:
        model = Territory
        fields = ["name", "precedence"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owners"].queryset = (  # type: ignore[attr-defined]
            Membership.objects.select_related("user")
            .filter(is_active=True, role__in=[Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER])
            .order_by("user__email")
        )
        self.fields["partners"].queryset = Partner.objects.order_by("code")  # type: ignore[attr-defined]
        t = self.instance
        if t.pk:
            self.initial.update(
                {
                    "countries_text": ", ".join(t.countries),
                    "regions_text": ", ".join(t.regions),
                    "postal_text": ", ".join(t.postal_prefixes),
                    "industries_text": ", ".join(t.industries),
                    "accounts_text": "\n".join(t.named_accounts),
                    "owners": list(t.owners.values_list("membership_id", flat=True)),
                    "partners": list(t.members.values_list("partner_id", flat=True)),
                }
            )

    def apply(self) -> Territory:
        """The instance with the rule lists from the text fields (not saved)."""
        t = self.instance
        t.name = self.cleaned_data["name"]
        t.precedence = self.cleaned_data["precedence"]
        t.countries = _split(self.cleaned_data["countries_text"])
        t.regions = _split(self.cleaned_data["regions_text"])
        t.postal_prefixes = _split(self.cleaned_data["postal_text"])
        t.industries = _split(self.cleaned_data["industries_text"])
        t.named_accounts = [
            line.strip() for line in (self.cleaned_data["accounts_text"] or "").splitlines() if line.strip()
        ]
        return t
