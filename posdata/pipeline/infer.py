"""Format inference: the decimal separator of each number column and the day/month order of the
date column, decided from the staged values of the whole file (not from the first rows)."""

from __future__ import annotations

from posdata.models import Kind
from posdata.pipeline.sql import DATE_FIELD, NUMBER_FIELDS, execute, ident

# Countries that write the month first; elsewhere an ambiguous date is read day first.
MONTH_FIRST_COUNTRIES = {"US", "PH", "FM", "PW", "MH"}


def infer_date_order(table: str, column: str, *, country: str, european_numbers: bool) -> str:
    """'dmy' or 'mdy' for a column's d/m/y-looking dates, decided from all its distinct values: a
    first part above 12 proves day-first, a second part above 12 proves month-first; ambiguous
    columns follow the separator ('.' is European), then the partner's country and number style."""
    ((first, second, dotted, _total),) = execute(
        f"""
        SELECT count(*) FILTER (WHERE m[1]::int > 12), count(*) FILTER (WHERE m[3]::int > 12),
               count(*) FILTER (WHERE m[2] = '.'), count(m)
        FROM (SELECT regexp_match(v, '^([0-9]{{1,2}})([-/.])([0-9]{{1,2}})[-/.]([0-9]{{4}}|[0-9]{{2}})') AS m
              FROM (SELECT DISTINCT btrim({ident(column)}) AS v FROM {ident(table)}) d) x
        """
    )
    if first or second:
        return "dmy" if first >= second else "mdy"
    if dotted:
        return "dmy"
    if country.upper() in MONTH_FIRST_COUNTRIES:
        return "mdy"
    if european_numbers:
        return "dmy"
    return "mdy" if country == "" else "dmy"


def decimal_evidence(table: str, column: str) -> tuple[int, int]:
    """(values proving a decimal comma, values proving a decimal point) among the column's first
    50,000 values that contain a separator."""
    c = "translate(v, E' \\t$€£¥''' || chr(160) || chr(8239), '')"
    ((comma, point),) = execute(
        f"""
        SELECT
          count(*) FILTER (WHERE {c} ~ '^[^.,]*[0-9],([0-9]{{1,2}}|[0-9]{{4,}})[^0-9.,]*$'
                             OR {c} ~ '[0-9]\\.[0-9]{{3}},[0-9]' OR {c} ~ '^[^0-9]*0,[0-9]'
                             OR {c} ~ '[0-9]\\.[0-9]{{3}}\\.[0-9]{{3}}'),
          count(*) FILTER (WHERE {c} ~ '^[^.,]*[0-9]\\.([0-9]{{1,2}}|[0-9]{{4,}})[^0-9.,]*$'
                             OR {c} ~ '[0-9],[0-9]{{3}}\\.[0-9]' OR {c} ~ '^[^0-9]*0\\.[0-9]'
                             OR {c} ~ '[0-9],[0-9]{{3}},[0-9]{{3}}')
        FROM (SELECT DISTINCT v FROM (
                SELECT {ident(column)} AS v FROM {ident(table)}
                WHERE strpos({ident(column)}, ',') > 0 OR strpos({ident(column)}, '.') > 0 LIMIT 50000) s) d
        """
    )
    return comma, point


def infer_formats(*, table: str, kind: str, mapping: dict[str, str], delimiter: str, country: str) -> dict:
    """Per mapped column: the decimal separator of number columns and the day/month order of the
    date column. A column without evidence follows the file's other columns."""
    evidence = {f: decimal_evidence(table, f) for f in NUMBER_FIELDS[Kind(kind)] if f in mapping}
    total_comma = sum(c for c, _p in evidence.values())
    total_point = sum(p for _c, p in evidence.values())
    file_default = (
        "," if total_comma > total_point or (total_comma == total_point and delimiter == ";") else "."
    )
    decimal: dict[str, str] = {}
    for name, (comma, point) in evidence.items():
        decimal[name] = "," if comma > point else "." if point > comma else file_default
    dates: dict[str, str] = {}
    date_field = DATE_FIELD[Kind(kind)]
    if date_field in mapping:
        dates[date_field] = infer_date_order(
            table, date_field, country=country, european_numbers=file_default == ","
        )
    if (
        file_default == "."
        and total_comma == total_point
        and dates.get(date_field) == "dmy"
        and not total_point
    ):
        # No number evidence at all: a day-first date column suggests European numbers.
        decimal = {
            name: ("," if comma == point else decimal[name]) for name, (comma, point) in evidence.items()
        }
    return {"decimal": decimal, "dates": dates}
