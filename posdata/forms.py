from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from posdata.fields import FIELDS
from posdata.models import Kind
from posdata.selectors import OVERSTOCK_WEEKS
from prm.roles import Perm, membership_has


class UploadForm(forms.Form):
    partner: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Partner"), queryset=None)
    kind = forms.ChoiceField(label=_("Data"), choices=Kind.choices, initial=Kind.POS)
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    replace_start = forms.DateField(
        label=_("Replace period from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Optional: delete the partner's loaded data of this period and load this corrected file instead."
        ),
    )
    replace_end = forms.DateField(
        label=_("Replace period to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, membership, partners_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners_qs  # type: ignore[attr-defined]
        if membership.is_partner:
            self.fields["partner"].initial = membership.partner_id
            self.fields["partner"].widget = forms.HiddenInput()
        if not membership_has(membership, Perm.POS_REPLACE):
            del self.fields["replace_start"]
            del self.fields["replace_end"]

    def clean(self):
        data = super().clean()
        start, end = data.get("replace_start"), data.get("replace_end")
        if (start is None) != (end is None):
            raise forms.ValidationError(_("Give both ends of the replaced period, or neither."))
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class MappingForm(forms.Form):
    """One choice per canonical field: which file column feeds it (or none)."""

    def __init__(self, *args, upload, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —"))] + [(h, h) for h in upload.headers]
        for f in FIELDS[Kind(upload.kind)]:
            self.fields[f.name] = forms.ChoiceField(
                label=f.label, choices=choices, required=False, initial=upload.mapping.get(f.name, "")
            )

    def mapping(self) -> dict[str, str]:
        return {name: header for name, header in self.cleaned_data.items() if header}


class MonthField(forms.DateField):
    """A month (``YYYY-MM``, the browser's month picker; a full date names its month): the first
    day of the month. The Sell-through page reads the monthly rollups, so its period is whole months."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


def month_end(day: datetime.date) -> datetime.date:
    """The last day of ``day``'s month."""
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


class SalesFilterForm(forms.Form):
    date_from = MonthField(label=_("From month"), required=False)
    date_to = MonthField(label=_("To month"), required=False)
    partner = forms.TypedChoiceField(label=_("Partner"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("Category"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, choices, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", _("All partners"))] + [  # type: ignore[attr-defined]
            (pk, f"{code} {name}") for pk, code, name in choices["partners"]
        ]
        self.fields["category"].choices = [("", _("All categories"))] + [
            (c, c) for c in choices["categories"]
        ]  # type: ignore[attr-defined]
        self.fields["region"].choices = [("", _("All regions"))] + [(r, r) for r in choices["regions"]]  # type: ignore[attr-defined]
        if membership.is_partner:
            del self.fields["partner"]
            del self.fields["region"]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data

    def period(self) -> tuple[datetime.date, datetime.date]:
        """Whole months: from the first day of the first month to the last day of the last one
        (by default the current month and the eleven before it)."""
        today = datetime.date.today()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = month_end(data.get("date_to") or today)
        start = data.get("date_from") or (end.replace(day=1) - datetime.timedelta(days=334)).replace(day=1)
        return start, end


class InventoryFilterForm(forms.Form):
    partner = forms.TypedChoiceField(label=_("Partner"), required=False, coerce=int, empty_value=None)
    low = forms.DecimalField(
        label=_("Stock-out risk below (weeks)"),
        required=False,
        min_value=0,
        help_text=_("Empty: each partner's own stock-out alert threshold."),
    )
    high = forms.DecimalField(
        label=_("Overstock above (weeks)"), required=False, min_value=0, initial=OVERSTOCK_WEEKS
    )

    def __init__(self, *args, partners, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", _("All partners"))] + [  # type: ignore[attr-defined]
            (pk, f"{code} {name}") for pk, code, name in partners
        ]
        if membership.is_partner:
            del self.fields["partner"]

    def values(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "partner_id": data.get("partner"),
            "low": data.get("low"),
            "high": data.get("high") if data.get("high") is not None else OVERSTOCK_WEEKS,
        }


class StockoutThresholdForm(forms.Form):
    """The weeks of supply under which a partner's products alert after a load."""

    weeks = forms.DecimalField(
        label=_("Stock-out alert below (weeks of supply)"), min_value=0, max_digits=5, decimal_places=1
    )

    def __init__(self, *args, partner_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner_id = partner_id


class ExceptionMapForm(forms.Form):
    partner = forms.IntegerField(widget=forms.HiddenInput())
    product_key = forms.CharField(widget=forms.HiddenInput(), max_length=64)
    product: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Vendor product"), queryset=None)

    def __init__(self, *args, products_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products_qs  # type: ignore[attr-defined]


class XrefForm(forms.Form):
    partner: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Partner"), queryset=None)
    partner_sku = forms.CharField(label=_("Partner SKU"), max_length=64)
    product: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Vendor product"), queryset=None)

    def __init__(self, *args, partners_qs, products_qs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners_qs  # type: ignore[attr-defined]
        self.fields["product"].queryset = products_qs  # type: ignore[attr-defined]
