"""A program's definition: the INTERFACES.md JSON (``rebate_program_load``), checked and put in
its canonical form. ``program_definition_parse`` reads the text and names the line and column of
every problem; ``Definition`` is the checked form the calculation reads; ``as_json`` gives the
same JSON back (the export).

Beyond INTERFACES.md's keys a definition may say (and the export then repeats):
``"payee": "rep"`` (per-won-deal SPIFs paid to the deal's owner where the partner opted in),
``"deals": {"min_value": "10000"}`` (won deals count from this value upward, for the bases
``deal_count`` and ``deal_value``), ``"new_partner_rate"`` (growth: the rate applied to the whole
measure of a partner without a baseline; default none: nothing) and ``eligibility.regions``.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from prm.lib.import_widgets import parse_decimal
from prm.workflow import DomainError
from rebates.models import DEAL_BASES, Basis, Method

ROUNDING = ("half_up", "half_even", "down", "up")
PARTNER_TYPES = ("distributor", "reseller", "referral")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = _("line %(line)d, column %(column)d") % {"line": self.line, "column": self.column}
        return f"{where} ({self.path or '/'}): {self.message}"


class DefinitionError(DomainError):
    """The definition cannot be used; ``problems`` name each place (line, column, key)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class Tier:
    start: Decimal  # "from": the tier applies from this measure upward
    rate: Decimal


@dataclass
class Definition:
    code: str
    name: str
    currency: str
    start: datetime.date
    end: datetime.date
    basis: str
    method: str
    skus: list[str]
    categories: list[str]
    partner_codes: list[str]
    tiers_eligible: list[str]
    types: list[str]
    regions: list[str]
    tiers: list[Tier]
    baseline: tuple[datetime.date, datetime.date] | None
    minimum: Decimal
    cap_measure: Decimal | None
    cap_payout: Decimal | None
    rounding: str
    payee: str = "partner"
    deal_min_value: Decimal | None = None
    new_partner_rate: Decimal | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def is_deal_based(self) -> bool:
        return self.basis in DEAL_BASES

    @property
    def counts_quantity(self) -> bool:
        return self.basis in (Basis.QUANTITY, Basis.DEAL_COUNT)

    def as_json(self) -> dict[str, Any]:
        """The canonical JSON (INTERFACES.md key order; the extensions only when used)."""
        eligibility: dict[str, Any] = {
            "partner_codes": list(self.partner_codes),
            "tiers": list(self.tiers_eligible),
            "types": list(self.types),
        }
        if self.regions:
            eligibility["regions"] = list(self.regions)
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "currency": self.currency,
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "basis": self.basis,
            "method": self.method,
            "products": {"skus": list(self.skus), "categories": list(self.categories)},
            "eligibility": eligibility,
            "tiers": [{"from": _num(t.start), "rate": _num(t.rate)} for t in self.tiers],
            "baseline_period": (
                {"start": self.baseline[0].isoformat(), "end": self.baseline[1].isoformat()}
                if self.baseline
                else None
            ),
            "minimum": _num(self.minimum),
            "cap": {
                "measure": _num(self.cap_measure) if self.cap_measure is not None else None,
                "payout": _num(self.cap_payout) if self.cap_payout is not None else None,
            },
            "rounding": self.rounding,
        }
        if self.payee != "partner":
            data["payee"] = self.payee
        if self.deal_min_value is not None:
            data["deals"] = {"min_value": _num(self.deal_min_value)}
        if self.new_partner_rate is not None:
            data["new_partner_rate"] = _num(self.new_partner_rate)
        return data


def _num(value: Decimal) -> str:
    return format(value, "f")


# --- where each value stands in the text ------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder(parse_float=Decimal)


def _positions(text: str) -> dict[Path, int]:
    """The offset of every value (and of every object key, under the key's path) in valid JSON."""
    found: dict[Path, int] = {}

    def skip(i: int) -> int:
        match = _WS.match(text, i)
        return match.end() if match else i

    def value(i: int, path: Path) -> int:
        i = skip(i)
        found.setdefault(path, i)
        char = text[i : i + 1]
        if char == "{":
            i = skip(i + 1)
            if text[i : i + 1] == "}":
                return i + 1
            while True:
                i = skip(i)
                key, after = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
                i = skip(after)
                i = value(i + 1, (*path, key))  # past the colon
                i = skip(i)
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        if char == "[":
            i = skip(i + 1)
            if text[i : i + 1] == "]":
                return i + 1
            index = 0
            while True:
                i = value(i, (*path, index))
                i = skip(i)
                index += 1
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        _obj, end = _DECODER.raw_decode(text, i)
        return end

    value(0, ())
    return found


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


class _Checker:
    def __init__(self, text: str, data: Any) -> None:
        self.text = text
        self.data = data
        self.positions = _positions(text)
        self.problems: list[Problem] = []

    def fail(self, path: Path, message: str) -> None:
        offset = 0
        probe = path
        while probe and probe not in self.positions:
            probe = probe[:-1]
        offset = self.positions.get(probe, 0)
        line, column = _line_col(self.text, offset)
        shown = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path)
        )
        self.problems.append(Problem(line, column, shown, message))

    def get(self, obj: Any, path: Path, key: str, default: Any = ...) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            if default is ...:
                self.fail(path, _("“%(key)s” is missing.") % {"key": key})
                return None
            return default
        return obj[key]

    def text_value(self, obj: Any, path: Path, key: str, *, max_length: int = 200) -> str:
        value = self.get(obj, path, key)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail((*path, key), _("“%(key)s” must be a non-empty text.") % {"key": key})
            return ""
        if len(value.strip()) > max_length:
            self.fail(
                (*path, key), _("“%(key)s” is longer than %(n)d characters.") % {"key": key, "n": max_length}
            )
        return value.strip()

    def number(
        self, obj: Any, path: Path, key: str, *, default: Any = ..., nullable: bool = False
    ) -> Decimal | None:
        value = self.get(obj, path, key, default)
        if value is None:
            if nullable or default is None:
                return None
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            self.fail(
                (*path, key), _('“%(key)s” must be a number written as text, e.g. "0.02".') % {"key": key}
            )
            return None
        try:
            number = parse_decimal(value)
        except ValueError:
            self.fail((*path, key), _("“%(value)s” is not a number.") % {"value": value})
            return None
        if number < 0:
            self.fail((*path, key), _("“%(key)s” cannot be negative.") % {"key": key})
            return None
        return number

    def date(self, obj: Any, path: Path, key: str) -> datetime.date | None:
        value = self.get(obj, path, key)
        if value is None:
            return None
        try:
            return datetime.date.fromisoformat(str(value)) if isinstance(value, str) else None
        except ValueError:
            pass
        self.fail((*path, key), _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value})
        return None

    def period(self, obj: Any, path: Path) -> tuple[datetime.date, datetime.date] | None:
        if not isinstance(obj, dict):
            self.fail(path, _('A period is {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}.'))
            return None
        start, end = self.date(obj, path, "start"), self.date(obj, path, "end")
        if start and end and end < start:
            self.fail((*path, "end"), _("The period ends before it starts."))
            return None
        return (start, end) if start and end else None

    def strings(self, obj: Any, path: Path, key: str, *, choices: tuple[str, ...] = ()) -> list[str]:
        value = self.get(obj, path, key, [])
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail((*path, key), _("“%(key)s” must be a list of texts.") % {"key": key})
            return []
        result = []
        for index, item in enumerate(value):
            item = item.strip()
            if choices and item not in choices:
                self.fail(
                    (*path, key, index),
                    _("“%(value)s” is not one of %(choices)s.")
                    % {"value": item, "choices": ", ".join(choices)},
                )
            elif item and item not in result:
                result.append(item)
        return result

    def choice(self, obj: Any, path: Path, key: str, choices: tuple[str, ...], default: Any = ...) -> str:
        value = self.get(obj, path, key, default)
        if value not in choices:
            if value is not None:
                self.fail(
                    (*path, key),
                    _("“%(value)s” is not one of %(choices)s.")
                    % {"value": value, "choices": ", ".join(choices)},
                )
            return ""
        return str(value)


def program_definition_parse(text: str | bytes) -> Definition:
    """Check a definition (text of a JSON file); ``DefinitionError`` names every problem."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DefinitionError([Problem(1, 1, "", _("The file is not UTF-8 text."))]) from exc
    text = text.lstrip("\ufeff")
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            [Problem(exc.lineno, exc.colno, "", _("Not valid JSON: %(msg)s") % {"msg": exc.msg})]
        ) from exc
    if not isinstance(data, dict):
        raise DefinitionError([Problem(1, 1, "", _("A program definition is a JSON object."))])
    return definition_from_data(data, text=text)


def definition_from_data(data: dict[str, Any], *, text: str | None = None) -> Definition:
    """Check a definition given as data (forms build one; the export's output reads back)."""
    if text is None:
        text = json.dumps(data, indent=1, default=str)
    c = _Checker(text, data)
    root: Path = ()
    code = c.text_value(data, root, "code", max_length=64)
    if code and not _CODE.match(code):
        c.fail(("code",), _("A code is letters, digits, “.”, “_” and “-” (at most 64)."))
    name = c.text_value(data, root, "name")
    currency = str(c.get(data, root, "currency") or "").strip().upper()
    if "currency" in data and not _CURRENCY.match(currency):
        c.fail(
            ("currency",),
            _("“%(value)s” is not a three-letter currency code.") % {"value": data.get("currency")},
        )
    period = c.period(c.get(data, root, "period"), ("period",)) if "period" in data else None
    if "period" not in data:
        c.fail(root, _("“%(key)s” is missing.") % {"key": "period"})
    basis = c.choice(data, root, "basis", tuple(Basis.values), default="revenue")
    method = c.choice(data, root, "method", tuple(Method.values))
    products = c.get(data, root, "products", {}) or {}
    skus = c.strings(products, ("products",), "skus")
    categories = c.strings(products, ("products",), "categories")
    elig = c.get(data, root, "eligibility", {}) or {}
    partner_codes = c.strings(elig, ("eligibility",), "partner_codes")
    tiers_eligible = c.strings(elig, ("eligibility",), "tiers")
    types = c.strings(elig, ("eligibility",), "types", choices=PARTNER_TYPES)
    regions = c.strings(elig, ("eligibility",), "regions")

    tiers: list[Tier] = []
    raw_tiers = c.get(data, root, "tiers")
    if raw_tiers is not None:
        if not isinstance(raw_tiers, list) or not raw_tiers:
            c.fail(("tiers",), _('“tiers” must be a list of at least one {"from", "rate"}.'))
        else:
            for index, row in enumerate(raw_tiers):
                path: Path = ("tiers", index)
                if not isinstance(row, dict):
                    c.fail(path, _('A tier is {"from": "…", "rate": "…"}.'))
                    continue
                start = c.number(row, path, "from")
                rate = c.number(row, path, "rate")
                if start is None or rate is None:
                    continue
                if tiers and start <= tiers[-1].start:
                    c.fail((*path, "from"), _("Tier thresholds must increase from one tier to the next."))
                    continue
                tiers.append(Tier(start, rate))

    baseline = None
    raw_baseline = c.get(data, root, "baseline_period", None)
    if raw_baseline is not None:
        baseline = c.period(raw_baseline, ("baseline_period",))
    if method == Method.GROWTH and raw_baseline is None:
        c.fail(("method",), _("The growth method needs a “baseline_period”."))
    if method == Method.GROWTH and basis in DEAL_BASES:
        c.fail(("basis",), _("Growth is measured on POS revenue or quantity."))
    if method == Method.PER_UNIT and basis not in (Basis.QUANTITY, Basis.DEAL_COUNT):
        c.fail(("basis",), _("A per-unit SPIF counts units (basis “quantity”) or won deals (“deal_count”)."))
    minimum = c.number(data, root, "minimum", default="0") or Decimal("0")
    cap = c.get(data, root, "cap", {}) or {}
    cap_measure = c.number(cap, ("cap",), "measure", default=None) if isinstance(cap, dict) else None
    cap_payout = c.number(cap, ("cap",), "payout", default=None) if isinstance(cap, dict) else None
    rounding = c.choice(data, root, "rounding", ROUNDING, default="half_up")
    payee = c.choice(data, root, "payee", ("partner", "rep"), default="partner")
    if payee == "rep" and basis not in DEAL_BASES:
        c.fail(("payee",), _("Only per-won-deal SPIFs can be paid to reps (the deal names its owner)."))
    deals = c.get(data, root, "deals", None)
    deal_min = c.number(deals, ("deals",), "min_value", default=None) if isinstance(deals, dict) else None
    new_partner_rate = c.number(data, root, "new_partner_rate", default=None)
    if c.problems:
        raise DefinitionError(c.problems)
    assert period is not None
    definition = Definition(
        code=code,
        name=name,
        currency=currency,
        start=period[0],
        end=period[1],
        basis=basis,
        method=method,
        skus=skus,
        categories=categories,
        partner_codes=partner_codes,
        tiers_eligible=tiers_eligible,
        types=types,
        regions=regions,
        tiers=tiers,
        baseline=baseline,
        minimum=minimum,
        cap_measure=cap_measure,
        cap_payout=cap_payout,
        rounding=rounding,
        payee=payee or "partner",
        deal_min_value=deal_min,
        new_partner_rate=new_partner_rate,
    )
    definition.raw = definition.as_json()
    return definition


def definition_of(stored: dict[str, Any]) -> Definition:
    """A stored (already checked) version's definition."""
    return definition_from_data(stored)
