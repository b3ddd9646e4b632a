"""Forms of the finance pages. They parse input; the services write."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from babel.numbers import is_currency
from django import forms
from django.utils.translation import gettext_lazy as _

from prm.finance.models import Payable, PayoutBatch
from prm.finance.registry import payable_source_kinds
from prm.forms import AmountField
from prm.lib.money import RATE_DECIMALS, RATE_DIGITS


class DateInput(forms.DateInput):
    input_type = "date"


def _currency_code(value: str) -> str:
    code = (value or "").strip().upper()
    if not is_currency(code):
        raise forms.ValidationError(_("Use a three-letter ISO 4217 code, e.g. USD."))
    return code


class CurrencyField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"size": 4, "placeholder": "USD", "autocomplete": "off"})
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return _currency_code(value) if value else value


class FxRateForm(forms.Form):
    base_currency = CurrencyField(label=_("Base currency"))
    quote_currency = CurrencyField(label=_("Quote currency"))
    rate_date = forms.DateField(label=_("Rate date"), widget=DateInput())
    rate = forms.DecimalField(
        label=_("Rate"),
        min_value=Decimal("0"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        help_text=_("Units of the quote currency that one unit of the base currency buys."),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=64,
        help_text=_("Where the rate comes from. A correction is a new rate with its own source."),
    )


class ConvertForm(forms.Form):
    amount = AmountField(label=_("Amount"))
    from_currency = CurrencyField(label=_("From"))
    to_currency = CurrencyField(label=_("To"))
    day = forms.DateField(label=_("On"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("from_currency") and data.get("amount") is not None:
            # The amount is in the "from" currency: it takes that currency's decimals.
            field = cast(AmountField, self.fields["amount"])
            field.set_currency(data["from_currency"])
            try:
                field.validate(data["amount"])
            except forms.ValidationError as exc:
                self.add_error("amount", exc)
        return data


class PayableCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is it cancelled?"), widget=forms.Textarea(attrs={"rows": 2}))


PAYABLE_STATUS_CHOICES = [("", _("Any status")), ("unpaid", _("Not paid yet")), *Payable.Status.choices]


class BatchCreateForm(forms.Form):
    """Which open payables a new payout batch takes, and how it pays them."""

    currency = CurrencyField(
        label=_("Pay in"), help_text=_("Other currencies are converted at stored rates.")
    )
    source_types = forms.MultipleChoiceField(label=_("Sources"), required=False, choices=[])
    partners = forms.MultipleChoiceField(label=_("Partners"), required=False, choices=[])
    payable_currency = CurrencyField(label=_("Only payables in"), required=False)
    due_before = forms.DateField(label=_("Due before"), required=False, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, partners=(), **kwargs) -> None:

        super().__init__(*args, **kwargs)
        field = cast(forms.MultipleChoiceField, self.fields["source_types"])
        field.choices = [(s.kind, s.label) for s in payable_source_kinds()]
        field = cast(forms.MultipleChoiceField, self.fields["partners"])
        field.choices = [(str(p.pk), f"{p.code} {p.name}") for p in partners]


class FinanceSettingsForm(forms.Form):
    rate_date_policy = forms.ChoiceField(
        label=_("Exchange rates of payout batches as of"),
        choices=PayoutBatch.RateDate.choices,
        help_text=_(
            "Payables in another currency than the batch's are converted at the stored rate of this date. "
            "Batches already built keep the policy they recorded."
        ),
    )


class BatchCancelForm(forms.Form):
    reason = forms.CharField(label=_("Why is the batch cancelled?"), widget=forms.Textarea(attrs={"rows": 2}))


class MarkPaidForm(forms.Form):
    """One partner's payment: the bank's reference and the day it left."""

    partner = forms.IntegerField(widget=forms.HiddenInput())
    reference = forms.CharField(label=_("Bank reference"), max_length=64)
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())


class BankFileForm(forms.Form):
    file = forms.FileField(
        label=_("Bank confirmation (CSV)"),
        help_text=_("Columns: partner_code, reference, paid_on (YYYY-MM-DD), amount, currency."),
    )
