"""Forms of the back office: a program's terms with its tiers as an editable table (they build
the same definition the JSON load reads), the JSON load, the what-if tiers, a rejection reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rebates.definition import PARTNER_TYPES, ROUNDING, Definition
from rebates.models import Basis, Method

DATE = forms.DateInput(attrs={"type": "date"})
MAX_DEFINITION_BYTES = 256 * 1024


def _list(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()]


def _text(values: list[str]) -> str:
    return ", ".join(values)


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


class ProgramForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    start = forms.DateField(label=_("Period start"), widget=DATE)
    end = forms.DateField(label=_("Period end"), widget=DATE)
    basis = forms.ChoiceField(label=_("Basis"), choices=Basis.choices)
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices)
    skus = forms.CharField(label=_("SKUs (comma-separated; empty: all)"), required=False)
    categories = forms.CharField(label=_("Categories (comma-separated; empty: all)"), required=False)
    partner_codes = forms.CharField(label=_("Named partners (codes)"), required=False)
    tiers_eligible = forms.CharField(label=_("Partner tiers"), required=False)
    types = forms.MultipleChoiceField(
        label=_("Partner types"),
        choices=[(t, t) for t in PARTNER_TYPES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    regions = forms.CharField(label=_("Regions"), required=False)
    baseline_start = forms.DateField(label=_("Baseline start (growth)"), required=False, widget=DATE)
    baseline_end = forms.DateField(label=_("Baseline end (growth)"), required=False, widget=DATE)
    new_partner_rate = forms.DecimalField(label=_("Rate for partners without a baseline"), required=False)
    minimum = forms.DecimalField(label=_("Minimum payout"), min_value=Decimal("0"), initial=Decimal("0"))
    cap_measure = forms.DecimalField(label=_("Cap on the measure"), min_value=Decimal("0"), required=False)
    cap_payout = forms.DecimalField(label=_("Cap on the payout"), min_value=Decimal("0"), required=False)
    rounding = forms.ChoiceField(label=_("Rounding"), choices=[(r, r) for r in ROUNDING], initial="half_up")
    payee = forms.ChoiceField(
        label=_("SPIF payee"),
        choices=[("partner", _("The partner")), ("rep", _("The deal's rep (where the partner opted in)"))],
        initial="partner",
    )
    deal_min_value = forms.DecimalField(
        label=_("Won deals from this value"), min_value=Decimal("0"), required=False
    )
    note = forms.CharField(label=_("Note on this version"), max_length=200, required=False)

    def __init__(self, *args: Any, edit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if edit:
            self.fields["code"].disabled = True

    @staticmethod
    def initial_from(d: Definition) -> dict[str, Any]:
        return {
            "code": d.code,
            "name": d.name,
            "currency": d.currency,
            "start": d.start,
            "end": d.end,
            "basis": d.basis,
            "method": d.method,
            "skus": _text(d.skus),
            "categories": _text(d.categories),
            "partner_codes": _text(d.partner_codes),
            "tiers_eligible": _text(d.tiers_eligible),
            "types": d.types,
            "regions": _text(d.regions),
            "baseline_start": d.baseline[0] if d.baseline else None,
            "baseline_end": d.baseline[1] if d.baseline else None,
            "new_partner_rate": d.new_partner_rate,
            "minimum": d.minimum,
            "cap_measure": d.cap_measure,
            "cap_payout": d.cap_payout,
            "rounding": d.rounding,
            "payee": d.payee,
            "deal_min_value": d.deal_min_value,
        }

    def definition_data(self, tiers: list[dict[str, Any]]) -> dict[str, Any]:
        c = self.cleaned_data
        data: dict[str, Any] = {
            "code": c["code"],
            "name": c["name"],
            "currency": (c["currency"] or "").upper(),
            "period": {"start": c["start"].isoformat(), "end": c["end"].isoformat()},
            "basis": c["basis"],
            "method": c["method"],
            "products": {"skus": _list(c["skus"]), "categories": _list(c["categories"])},
            "eligibility": {
                "partner_codes": _list(c["partner_codes"]),
                "tiers": _list(c["tiers_eligible"]),
                "types": list(c["types"]),
                "regions": _list(c["regions"]),
            },
            "tiers": tiers,
            "baseline_period": (
                {"start": c["baseline_start"].isoformat(), "end": c["baseline_end"].isoformat()}
                if c.get("baseline_start") and c.get("baseline_end")
                else None
            ),
            "minimum": _num(c["minimum"]) or "0",
            "cap": {"measure": _num(c.get("cap_measure")), "payout": _num(c.get("cap_payout"))},
            "rounding": c["rounding"],
            "payee": c["payee"],
        }
        if c.get("deal_min_value") is not None:
            data["deals"] = {"min_value": _num(c["deal_min_value"])}
        if c.get("new_partner_rate") is not None:
            data["new_partner_rate"] = _num(c["new_partner_rate"])
        return data


class TierForm(forms.Form):
    start = forms.DecimalField(label=_("From"), min_value=Decimal("0"), required=False)
    rate = forms.DecimalField(label=_("Rate"), min_value=Decimal("0"), required=False, decimal_places=12)


TierFormSet = forms.formset_factory(TierForm, extra=2, max_num=20, validate_max=True)


def tier_rows(formset) -> list[dict[str, str]]:
    """The filled rows of the tier table, in order, as definition tiers."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", {}) or {}
        if data.get("start") is None and data.get("rate") is None:
            continue
        rows.append({"from": _num(data.get("start")) or "0", "rate": _num(data.get("rate")) or "0"})
    return rows


def tier_initial(d: Definition) -> list[dict[str, Any]]:
    return [{"start": t.start, "rate": t.rate} for t in d.tiers]


class LoadForm(forms.Form):
    file = forms.FileField(label=_("Program definition (JSON)"), required=False)
    text = forms.CharField(
        label=_("…or paste the JSON"), required=False, widget=forms.Textarea(attrs={"rows": 12})
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_DEFINITION_BYTES:
                raise forms.ValidationError(_("A program definition is at most 256 KB."))
            data["content"] = upload.read()
        elif data.get("text", "").strip():
            data["content"] = data["text"]
        else:
            raise forms.ValidationError(_("Choose a JSON file or paste the definition."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
