"""``import_data --kind agreements`` (and the portal imports page): one row per agreement line,
natural key agreement_number + sku. The rows of one agreement are checked together and applied
through the agreement services (a changed agreement becomes a new version, ``cancelled``
cancels it), so the command and the back office run one code path. A file with any invalid row
imports nothing (prm.imports rolls back)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import resources
from import_export.results import RowResult

from claims.models import AgreementLine, PricingAgreement
from claims.services.agreements import AgreementTerms, LineTerms, agreement_upsert
from partners.models import Partner
from partners.selectors import partners_for_membership
from prm.catalog.models import Product
from prm.imports import ImportContext
from prm.lib.money import MinorUnitsError, check_minor_units
from prm.tenancy.context import require_tenant
from prm.workflow import DomainError

AGREEMENT_COLUMNS = (
    "agreement_number",
    "partner_code",
    "end_customer",
    "start_date",
    "end_date",
    "status",
    "sku",
    "book_cost",
    "approved_cost",
    "authorized_quantity",
    "max_resale_price",
)
AGREEMENT_REQUIRED = AGREEMENT_COLUMNS[:-1]
HEADER_COLUMNS = ("partner_code", "end_customer", "start_date", "end_date", "status")
STATUSES = {s.value for s in PricingAgreement.Status}


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()[:10]
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(_("%(v)r is not a date (use YYYY-MM-DD).") % {"v": text}) from exc


def _decimal(value: Any, currency: str, *, optional: bool = False) -> Decimal | None:
    text = str(value if value is not None else "").strip()
    if not text:
        if optional:
            return None
        raise ValueError(_("A value is required."))
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(_("%(v)r is not a number.") % {"v": text}) from exc
    if not number.is_finite() or number < 0:
        raise ValueError(_("%(v)r must be a number of zero or more.") % {"v": text})
    check_minor_units(number, currency)
    return number


def _quantity(value: Any) -> int:
    text = str(value if value is not None else "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(_("%(v)r is not a whole number.") % {"v": text}) from exc
    if (
        not number.is_finite()
        or number != number.to_integral_value()
        or number <= 0
        or number > 2_000_000_000
    ):
        raise ValueError(_("%(v)r must be a positive whole number of eaches.") % {"v": text})
    return int(number)


@dataclass
class _Group:
    """The rows of one agreement in the file."""

    number: str
    first_row: int
    header: dict[str, str]
    rows: list[int] = field(default_factory=list)
    lines: list[LineTerms] = field(default_factory=list)
    partner: Partner | None = None


class AgreementResource(resources.ModelResource):
    class Meta:
        model = AgreementLine
        fields = ["id"]  # rows are read in before_import and applied through the services
        skip_diff = True

    def get_queryset(self):
        return AgreementLine.objects.all()

    # -- whole-file checks --------------------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        context: ImportContext = kwargs.get("import_context") or ImportContext()
        currency = require_tenant().base_currency
        self._errors: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self._groups: dict[str, _Group] = {}
        self._group_of_row: dict[int, str] = {}
        self._new_rows: set[int] = set()
        scope = (
            set(partners_for_membership(context.acting_membership).values_list("code", flat=True))
            if context.acting_membership is not None
            else None
        )
        partners = {p.code.upper(): p for p in Partner.objects.all()}
        products = {p.sku.upper(): p for p in Product.objects.all()}
        existing = set(AgreementLine.objects.values_list("agreement__number", "product__sku").iterator())
        existing = {(n.upper(), s.upper()) for n, s in existing}
        for number_in_file, row in enumerate(dataset.dict, start=1):
            self._check_row(number_in_file, row, context, scope, partners, products, currency)
        for number_in_file, row in enumerate(dataset.dict, start=1):
            key = _text(row, "agreement_number").upper()
            if key and (key, _text(row, "sku").upper()) not in existing:
                self._new_rows.add(number_in_file)

    def _check_row(self, i, row, context, scope, partners, products, currency) -> None:
        errors = self._errors[i]
        number = _text(row, "agreement_number")
        for column in AGREEMENT_REQUIRED:
            if not _text(row, column):
                errors[column].append(_("A value is required."))
        if not number:
            return
        key = number.upper()
        header = {c: _text(row, c) for c in HEADER_COLUMNS}
        header["status"] = header["status"].lower()
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(number=number, first_row=i, header=header)
        else:
            for column in HEADER_COLUMNS:
                if header[column] != group.header[column]:
                    errors[column].append(
                        _("Differs from line %(line)d of the same agreement.") % {"line": group.first_row + 1}
                    )
        group.rows.append(i)
        self._group_of_row[i] = key
        code = header["partner_code"].upper()
        partner = partners.get(code)
        if code and (partner is None or (scope is not None and partner.code not in scope)):
            errors["partner_code"].append(_("%(code)s is not one of your partners.") % {"code": code})
        elif partner is not None and partner.type != "distributor":
            errors["partner_code"].append(_("%(code)s is not a distributor.") % {"code": code})
        group.partner = partner
        if header["status"] and header["status"] not in STATUSES:
            errors["status"].append(_("Use active or cancelled."))
        dates = {}
        for column in ("start_date", "end_date"):
            if header[column]:
                try:
                    dates[column] = _date(row.get(column))
                except ValueError as exc:
                    errors[column].append(str(exc))
        if len(dates) == 2 and dates["end_date"] < dates["start_date"]:
            errors["end_date"].append(_("The end date is before the start date."))
        group.header.update({k: v.isoformat() for k, v in dates.items()})
        sku = _text(row, "sku").upper()
        product = products.get(sku)
        if sku and product is None:
            errors["sku"].append(_("%(sku)s is not a product of the catalog.") % {"sku": sku})
        values: dict[str, Any] = {}
        for column, optional in (("book_cost", False), ("approved_cost", False), ("max_resale_price", True)):
            if not optional and not _text(row, column):
                continue
            try:
                values[column] = _decimal(row.get(column), currency, optional=optional)
            except (ValueError, MinorUnitsError) as exc:
                errors[column].append(str(exc))
        if _text(row, "authorized_quantity"):
            try:
                values["authorized_quantity"] = _quantity(row.get("authorized_quantity"))
            except ValueError as exc:
                errors["authorized_quantity"].append(str(exc))
        if (
            "book_cost" in values
            and "approved_cost" in values
            and values["approved_cost"] > values["book_cost"]
        ):
            errors["approved_cost"].append(_("The approved cost is above the book cost."))
        if product is not None and not errors:
            if any(line.product.pk == product.pk for line in group.lines):
                errors["sku"].append(_("%(sku)s appears twice in this agreement.") % {"sku": sku})
                return
            group.lines.append(
                LineTerms(
                    product=product,
                    book_cost=values["book_cost"],
                    approved_cost=values["approved_cost"],
                    authorized_quantity=values["authorized_quantity"],
                    max_resale_price=values.get("max_resale_price"),
                )
            )

    # -- rows -----------------------------------------------------------------------------------

    def import_row(self, row, instance_loader, **kwargs):
        number = kwargs["row_number"]
        result = self.get_row_result_class()()
        errors = {
            column: list(messages) for column, messages in self._errors.get(number, {}).items() if messages
        }
        key = self._group_of_row.get(number)
        group = self._groups.get(key) if key else None
        if not errors and group is not None and any(self._errors.get(r) for r in group.rows):
            errors = {"agreement_number": [_("Another line of this agreement is invalid.")]}
        if errors:
            result.import_type = RowResult.IMPORT_TYPE_INVALID
            result.validation_error = ValidationError(errors)
            return result
        assert group is not None and group.partner is not None  # no errors: the row named both
        if number == group.first_row:
            terms = AgreementTerms(
                end_customer=group.header["end_customer"],
                start_date=date.fromisoformat(group.header["start_date"]),
                end_date=date.fromisoformat(group.header["end_date"]),
                lines=group.lines,
            )
            context: ImportContext = kwargs.get("import_context") or ImportContext()
            try:
                agreement_upsert(
                    number=group.number,
                    partner=group.partner,
                    terms=terms,
                    status=group.header["status"],
                    acting_membership=context.acting_membership,
                )
            except DomainError as exc:
                result.import_type = RowResult.IMPORT_TYPE_INVALID
                result.validation_error = ValidationError({"agreement_number": [str(exc)]})
                return result
        result.import_type = (
            RowResult.IMPORT_TYPE_NEW if number in self._new_rows else RowResult.IMPORT_TYPE_UPDATE
        )
        return result
