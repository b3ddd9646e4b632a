from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.validators import validate_email
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from prm.accounts.models import User
from prm.lib.money import (
    AMOUNT_DIGITS,
    MAX_MINOR_UNITS,
    MinorUnitsError,
    check_minor_units,
    currency_choices,
    minor_units,
)
from prm.roles import PARTNER_ROLES, Role


class AmountField(forms.DecimalField):
    """An amount a person types. Once the form knows the currency (``currency=`` or
    ``set_currency``), more decimals than the currency has (JPY none, KWD three) are refused with
    a message, never rounded away; the number input steps by the currency's minor unit."""

    def __init__(self, *, currency: str = "", **kwargs) -> None:
        self.currency = currency.upper()
        kwargs.setdefault("max_digits", AMOUNT_DIGITS)
        kwargs.setdefault("decimal_places", MAX_MINOR_UNITS)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.NumberInput):
            attrs["step"] = str(Decimal(1).scaleb(-minor_units(self.currency))) if self.currency else "any"
        return attrs

    def set_currency(self, currency: str) -> None:
        self.currency = (currency or "").upper()
        self.widget.attrs.update(self.widget_attrs(self.widget))

    def validate(self, value) -> None:
        super().validate(value)
        if value is not None and self.currency:
            try:
                check_minor_units(value, self.currency)
            except MinorUnitsError as exc:
                raise forms.ValidationError(str(exc), code="minor_units") from exc


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"))
    partner: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Partner"), queryset=None, required=False
    )

    def __init__(self, *args, membership, partners_qs, **kwargs):
        super().__init__(*args, **kwargs)
        if membership.is_partner:
            self.fields["role"].choices = [(r.value, r.label) for r in Role if r in PARTNER_ROLES]  # type: ignore[attr-defined]
            del self.fields["partner"]
        else:
            self.fields["role"].choices = Role.choices  # type: ignore[attr-defined]
            self.fields["partner"].queryset = partners_qs  # type: ignore[attr-defined]
            self.fields["partner"].help_text = _("Required for partner roles.")


class InvitationSignupForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password (again)"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The passwords do not match."))
        elif data.get("password1"):
            try:
                password_validation.validate_password(data["password1"], User(email=self.email))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False)
    partner: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Partner"), required=False, queryset=None, to_field_name="code", empty_label=_("All partners")
    )
    object_type = forms.CharField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    actor = forms.CharField(label=_("Actor e-mail"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, partners, **kwargs):
        """``partners``: the partners the member may see (the filter's choices, by code)."""
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners.order_by("code")  # type: ignore[attr-defined]
        self.fields["partner"].label_from_instance = lambda p: f"{p.code} {p.name}"  # type: ignore[attr-defined]

    def clean_object_id(self) -> str:
        return self.cleaned_data["object_id"].strip()


class ReferenceImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=[])
    file = forms.FileField(label=_("CSV or XLSX file"))

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]


def time_zone_choices() -> list[tuple[str, Any]]:

    zones = sorted(
        z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    )
    return [("", _("The portal's default")), ("UTC", "UTC"), *((z, z.replace("_", " ")) for z in zones)]


class PreferencesForm(forms.Form):
    """A person's language and time zone; blank keeps the portal's defaults."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("The portal's default")), *settings.LANGUAGES]  # type: ignore[attr-defined]
        self.fields["time_zone"].choices = time_zone_choices()  # type: ignore[attr-defined]


class ColourInput(forms.TextInput):
    input_type = "color"


class TenantSettingsForm(forms.Form):
    """A vendor admin's own tenant: name, branding, language and time zone defaults, base
    currency, notification e-mails (``prm.tenancy.services.tenant_settings_update``)."""

    name = forms.CharField(label=_("Company name"), max_length=200)
    display_name = forms.CharField(
        label=_("Name shown in the portal"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to show the company name."),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, at most 2 MB. SVG is not accepted."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    primary_colour = forms.RegexField(
        label=_("Brand colour (top bar, sign-in page)"),
        regex=r"^#[0-9a-fA-F]{6}$",
        error_messages={"invalid": _("Use a hex colour such as #0d6efd.")},
        widget=ColourInput,
    )
    accent_colour = forms.RegexField(
        label=_("Accent colour (main buttons)"),
        regex=r"^#[0-9a-fA-F]{6}$",
        error_messages={"invalid": _("Use a hex colour such as #0d6efd.")},
        widget=ColourInput,
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        help_text=_("For everyone who has not chosen a language of their own, the sign-in page included."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), help_text=_("For everyone who has not chosen a time zone of their own.")
    )
    base_currency = forms.ChoiceField(
        label=_("Base currency"),
        help_text=_(
            "Totals across currencies are converted into it. Amounts kept in the base currency "
            "(fund approval levels, tier thresholds) are not converted when it changes: review them."
        ),
    )
    notification_reply_to = forms.CharField(
        label=_("Notification e-mails"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Replies to the portal's e-mails go to these addresses (one per line or comma-separated)."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_language"].choices = settings.LANGUAGES  # type: ignore[attr-defined]
        self.fields["time_zone"].choices = time_zone_choices()[1:]  # type: ignore[attr-defined]
        self.fields["base_currency"].choices = currency_choices(get_language() or "en")  # type: ignore[attr-defined]

    def clean_primary_colour(self) -> str:
        return self.cleaned_data["primary_colour"].lower()

    def clean_accent_colour(self) -> str:
        return self.cleaned_data["accent_colour"].lower()

    def clean_notification_reply_to(self) -> list[str]:
        addresses = [
            a.strip() for a in re.split(r"[,;\s]+", self.cleaned_data["notification_reply_to"]) if a.strip()
        ]
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    _("%(address)s is not an e-mail address.") % {"address": address}
                ) from exc
        return list(dict.fromkeys(addresses))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("logo") and data.get("remove_logo"):
            self.add_error("remove_logo", _("Upload a new logo or remove the logo, not both."))
        return data
