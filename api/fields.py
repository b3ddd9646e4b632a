"""Serializer pieces every resource shares: amounts as strings in their currency's minor unit
(INTERFACES.md: "1234.50", JPY "1234"), amounts read from requests as exact decimals, and
partners named by code."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_attribute

from prm.lib.money import AMOUNT_DECIMALS, AMOUNT_DIGITS, format_amount_str


@extend_schema_field({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "example": "1234.50"})
class AmountField(serializers.Field):
    """An amount of the object's currency (``currency_field``), as a string with the currency's
    decimals; read only (``allow_null`` for an amount that may be missing, e.g. a closed value)."""

    def __init__(self, *, currency_field: str = "currency", **kwargs: Any) -> None:
        kwargs["read_only"] = True
        self.currency_field = currency_field
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> Any:
        return instance

    def to_representation(self, instance: Any) -> str | None:
        amount = get_attribute(instance, self.source_attrs)
        if amount is None:
            return None
        currency = get_attribute(instance, self.currency_field.split("."))
        return format_amount_str(Decimal(amount), currency)


class DecimalInput(serializers.DecimalField):
    """An amount or rate in a request: a string or number, never rounded here (the service
    checks the currency's minor unit and says so)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", AMOUNT_DIGITS)
        kwargs.setdefault("decimal_places", AMOUNT_DECIMALS)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, float):
            # Floats have already lost cents; read them by their shortest text (0.1 -> "0.1").
            data = repr(data)
        try:
            Decimal(str(data))
        except InvalidOperation:
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class PartnerCodeField(serializers.Field):
    """A partner named by its code; on input looked up among the partners the key may see (so
    another partner's or tenant's code reads as unknown)."""

    default_error_messages = {"unknown": _("No partner with code {value} here.")}

    def to_representation(self, partner: Any) -> str:
        return partner.code

    def to_internal_value(self, data: Any) -> Any:
        visible = self.context["partners"]
        partner = visible.filter(code=str(data).strip()).first()
        if partner is None:
            self.fail("unknown", value=data)
        return partner
