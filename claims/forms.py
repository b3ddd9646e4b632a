from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from claims.fields import CLAIM_FIELDS
from claims.models import ClaimLine, ClaimSettings
from prm.catalog.models import Product

DATE = forms.DateInput(attrs={"type": "date"})


class AgreementForm(forms.Form):
    number = forms.CharField(label=_("Agreement number"), max_length=64)
    partner: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Distributor"), queryset=None)
    end_customer = forms.CharField(label=_("End customer"), max_length=200)
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    end_date = forms.DateField(label=_("End date"), widget=DATE)
    # The approved deal registration the form was pre-filled from (checked again on save).
    registration = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args, partners_qs, amend: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners_qs.filter(type="distributor")  # type: ignore[attr-defined]
        if amend:
            del self.fields["number"]
            del self.fields["partner"]
            del self.fields["registration"]

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


class AgreementLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    book_cost = forms.DecimalField(label=_("Book cost"), min_value=Decimal("0"), required=False)
    approved_cost = forms.DecimalField(label=_("Approved cost"), min_value=Decimal("0"), required=False)
    authorized_quantity = forms.IntegerField(label=_("Authorised quantity"), min_value=1, required=False)
    max_resale_price = forms.DecimalField(
        label=_("Maximum resale price"), min_value=Decimal("0"), required=False
    )

    def clean(self):
        data = super().clean()
        if not data.get("sku"):
            return data
        product = Product.objects.filter(sku__iexact=data["sku"].strip()).first()
        if product is None:
            self.add_error("sku", _("%(sku)s is not a product of the catalog.") % {"sku": data["sku"]})
        data["product"] = product
        for name in ("book_cost", "approved_cost", "authorized_quantity"):
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, _("A value is required."))
        return data


AgreementLineFormSet = forms.formset_factory(AgreementLineForm, extra=3)


class ClaimSettingsForm(forms.ModelForm):
    class Meta:
        model = ClaimSettings
        fields = ["claim_window_days", "payment_term_days"]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class ClaimFileForm(forms.Form):
    number = forms.CharField(label=_("Debit memo number"), max_length=64)
    claim_date = forms.DateField(label=_("Claim date"), widget=DATE)
    file = forms.FileField(
        label=_("Claim file (CSV or XLSX)"),
        help_text=_(
            "Columns: agreement_number, invoice_number, invoice_line, ship_date, sku, quantity, "
            "unit_of_measure, end_customer, claimed_unit_debit, resale_price (common header names work too)."
        ),
    )


class ClaimHeaderForm(forms.Form):
    number = forms.CharField(label=_("Debit memo number"), max_length=64)
    claim_date = forms.DateField(label=_("Claim date"), widget=DATE)


class ClaimLineForm(forms.Form):
    """One line entered in the portal: text as the partner types it (validated like a file)."""

    resubmission_of = forms.IntegerField(required=False, widget=forms.HiddenInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in CLAIM_FIELDS:
            widget = DATE if name == "ship_date" else forms.TextInput(attrs={"class": "form-control-sm"})
            self.fields[name] = forms.CharField(label=label, required=False, max_length=200, widget=widget)

    def line(self) -> dict[str, str | int | None]:
        data = {name: self.cleaned_data.get(name) or "" for name, _label in CLAIM_FIELDS}
        return {**data, "resubmission_of": self.cleaned_data.get("resubmission_of")}


ClaimLineFormSet = forms.formset_factory(ClaimLineForm, extra=5)


def line_initial(line: ClaimLine) -> dict[str, object]:
    """A rejected line as the starting point of its resubmission."""
    return {
        "agreement_number": line.agreement_number,
        "invoice_number": line.invoice_number,
        "invoice_line": "" if line.invoice_line is None else str(line.invoice_line),
        "ship_date": line.ship_date.isoformat() if line.ship_date else "",
        "sku": line.sku,
        "quantity": "" if line.quantity is None else format(line.quantity.normalize(), "f"),
        "unit_of_measure": line.unit_of_measure,
        "end_customer": line.end_customer,
        "claimed_unit_debit": ""
        if line.claimed_unit_debit is None
        else format(line.claimed_unit_debit.normalize(), "f"),
        "resale_price": "" if line.resale_price is None else format(line.resale_price.normalize(), "f"),
        "resubmission_of": line.pk,
    }


class OverrideForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"), choices=[("accept", _("Accept")), ("reject", _("Reject"))]
    )
    accepted_quantity = forms.IntegerField(
        label=_("Accepted quantity (eaches)"),
        min_value=1,
        required=False,
        help_text=_("Empty: the whole line."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class LineFilterForm(forms.Form):
    code = forms.CharField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", _("All")), *ClaimLine.Status.choices])
