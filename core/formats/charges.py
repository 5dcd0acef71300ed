"""Charge file templates: the claim lines as a practice system imports them.

Each practice-management system wants its own columns, headers, date format and delimiter;
a template (a small TOML file) says them, so that the biller no longer re-maps the `lines`
export by hand. The rows are the `lines` export's (core.billing.day.ClaimRow), one per
claim line. A template is data a user wrote: checked whole before anything is written, and
refused with the key at fault named (TemplateError).

`charge` is what the practice charges for the line: the payer's fee table x units when the
payer has one, else every unit at the Medicare fee schedule's full national price at the
place's rate, never reduced (the multiple-procedure reduction and the 85% of a CQ/CO line
are the payer's to apply; `allowed_amount` is the estimate after them). Tabletime keeps no
charge master. A payer pays the lesser of the charge and what it allows: where the locality
pays more than the national rate, or a payer more than Medicare's rates, give that payer a
fee_table of the practice's charges in the settings.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import cache
from importlib.resources import files
from itertools import pairwise
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError, model_validator

from core.billing.day import ClaimRow
from core.formats.claims_csv import MAX_MODIFIERS
from core.formats.csv_cells import neutralise
from core.formats.money import cents
from core.models import Frozen, Label
from core.text import printable

DEFAULT_TEMPLATE = "generic"
SHIPPED = ("generic", "us-upload")
"""The templates in core/data/templates/, by name."""
DELIMITERS = (",", ";", "\t", "|")


class TemplateError(ValueError):
    """A template that cannot be used, with the file and the key at fault in the message."""


class Source(StrEnum):
    """What a column holds, from the claim line (or the settings, or the template itself)."""

    PATIENT = "patient"
    DATE_OF_SERVICE = "date_of_service"
    CODE = "code"
    MODIFIER_1 = "modifier_1"
    MODIFIER_2 = "modifier_2"
    MODIFIER_3 = "modifier_3"
    MODIFIER_4 = "modifier_4"
    UNITS = "units"
    CHARGE = "charge"
    ALLOWED_AMOUNT = "allowed_amount"
    PLACE_OF_SERVICE = "place_of_service"
    RENDERING_NPI = "rendering_npi"
    RENDERING_THERAPIST = "rendering_therapist"
    PROVIDER_CODE = "provider_code"
    PAYER = "payer"
    BILLING_ENTITY = "billing_entity"
    CONSTANT = "constant"


_DATE_TOKEN = re.compile(r"YYYY|YY|MM|M|DD|D|[-/. ]")
_DATE_PART = {"YYYY": "year", "YY": "year", "MM": "month", "M": "month", "DD": "day", "D": "day"}
_STRFTIME_PARTS = {"%Y": "YYYY", "%y": "YY", "%m": "MM", "%d": "DD"}
_STRFTIME = re.compile("|".join(_STRFTIME_PARTS))


@cache
def date_tokens(notation: str) -> tuple[str, ...]:
    """`MM/DD/YYYY` (or strftime's `%m/%d/%Y`) -> ('MM', '/', 'DD', '/', 'YYYY'): year, month
    and day once each, in any order, separated by `/ - .` or a space, or by nothing when each
    has its full width (`YYYYMMDD`; `MDYYYY` could not be read back). ValueError otherwise."""
    upper = _STRFTIME.sub(lambda found: _STRFTIME_PARTS[found.group()], notation).upper()
    tokens = tuple(_DATE_TOKEN.findall(upper))
    parts = [_DATE_PART[token] for token in tokens if token in _DATE_PART]
    unpadded_run = any(a in _DATE_PART and b in _DATE_PART and ("M" in (a, b) or "D" in (a, b))
                       for a, b in pairwise(tokens))
    if "".join(tokens) != upper or sorted(parts) != ["day", "month", "year"] or unpadded_run:
        raise ValueError(f"{printable(notation)!r} is not a date format: write it with YYYY "
                         "(or YY), MM (or M), DD (or D) and / - . or a space, e.g. MM/DD/YYYY "
                         "or YYYY-MM-DD (or strftime's %Y %y %m %d)")
    return tokens


def format_date(day: date, notation: str) -> str:
    """The date written in a template's notation (`MM/DD/YYYY`: 03/02/2026)."""
    numbers = {"YYYY": f"{day.year:04d}", "YY": f"{day.year % 100:02d}",
               "MM": f"{day.month:02d}", "M": str(day.month),
               "DD": f"{day.day:02d}", "D": str(day.day)}
    return "".join(numbers.get(token, token) for token in date_tokens(notation))


def _date_format(notation: str) -> str:
    return "".join(date_tokens(notation))


def _delimiter(text: str) -> str:
    if text not in DELIMITERS:
        raise ValueError(f"{printable(text)!r} is not a delimiter: one of , ; | or a tab "
                         '("\\t")')
    return text


def _header(text: str) -> str:
    if not text.strip():
        raise ValueError("is empty: give the column the header the practice system expects")
    return text


class Column(Frozen):
    """One column of the file: its header and what it holds (`value`: a constant's text)."""

    header: Annotated[Label, AfterValidator(_header)]
    source: Source
    value: Label | None = None

    @model_validator(mode="after")
    def _value_with_constant(self) -> Column:
        if self.source is Source.CONSTANT and self.value is None:
            raise ValueError('a constant column needs its value: value = "..."')
        if self.source is not Source.CONSTANT and self.value is not None:
            raise ValueError(f"the key 'value' goes with source = \"constant\" (this column's "
                             f"source is {self.source.value})")
        return self


class ChargeTemplate(Frozen):
    """A practice system's charge file: its columns in order, the date format, the delimiter,
    and whether the first row names the columns."""

    date_format: Annotated[str, AfterValidator(_date_format)] = "YYYY-MM-DD"
    delimiter: Annotated[str, AfterValidator(_delimiter)] = ","
    header_row: bool = True
    columns: tuple[Column, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _headers_differ(self) -> ChargeTemplate:
        if not self.header_row:
            return self
        seen: set[str] = set()
        for column in self.columns:
            if column.header in seen:
                raise ValueError(f"two columns have the header {column.header!r}: a system "
                                 "reading the file by header would take one for the other")
            seen.add(column.header)
        return self


def parse_template(content: bytes, where: str) -> ChargeTemplate:
    """The template a TOML file holds, checked whole; TemplateError naming `where` (the file)
    and the key at fault."""
    try:
        raw = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise TemplateError(f"{where}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise TemplateError(f"{where}: not valid TOML: {error}") from None
    except RecursionError:
        raise TemplateError(f"{where}: not valid TOML: nested too deeply") from None
    try:
        return ChargeTemplate.model_validate(raw)
    except ValidationError as error:
        raise TemplateError(f"{where}: {_problem(error)}") from None


def _problem(error: ValidationError) -> str:
    """The first problem, at its key: `column 3, key 'source': ...` (columns counted from 1,
    as they appear in the file). The value is a template's, not patient data: it may be shown."""
    first = error.errors(include_url=False)[0]
    loc: list[Any] = list(first["loc"])
    where = "the template"
    if loc[:1] == ["columns"] and len(loc) > 1 and isinstance(loc[1], int):
        where, loc = f"column {loc[1] + 1}", loc[2:]
    key = ".".join(str(part) for part in loc)
    if first["type"] == "extra_forbidden":
        known = Column.model_fields if where.startswith("column") else ChargeTemplate.model_fields
        return f"{where}: unknown key {key!r} (known: {', '.join(known)})"
    if key == "columns" and first["type"] in ("missing", "too_short"):
        return "no columns: add a [[columns]] table for each, with its header and source"
    if first["type"] == "missing":
        return f"{where}: the key {key!r} is missing"
    if first["type"] == "enum":
        return (f"{where}, key {key!r}: {printable(str(first['input']))!r} is not a source "
                f"(one of: {', '.join(Source)})")
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}, key {key!r}: {message}" if key else f"{where}: {message}"


def shipped_template(name: str) -> ChargeTemplate:
    """A template shipped with Tabletime (`SHIPPED`)."""
    path = f"data/templates/{name}.toml"
    return parse_template(files("core").joinpath(path).read_bytes(), f"core/{path}")


def _modifier(index: int) -> Callable[[ClaimRow], str]:
    return lambda row: row.modifiers[index] if index < len(row.modifiers) else ""


def _allowed(row: ClaimRow) -> str:
    """Empty without fee data."""
    return cents(row.allowed) or ""


def _charge(row: ClaimRow) -> str:
    """Empty without fee data."""
    return cents(row.charge) or ""


_FROM_ROW: dict[Source, Callable[[ClaimRow], str]] = {
    Source.PATIENT: lambda row: row.patient,
    Source.CODE: lambda row: row.code,
    **{Source(f"modifier_{i + 1}"): _modifier(i) for i in range(MAX_MODIFIERS)},
    Source.UNITS: lambda row: str(row.units),
    Source.CHARGE: _charge,
    Source.ALLOWED_AMOUNT: _allowed,
    Source.PLACE_OF_SERVICE: lambda row: row.place_of_service,
    Source.RENDERING_NPI: lambda row: row.npi,
    Source.RENDERING_THERAPIST: lambda row: row.therapist,
    Source.PROVIDER_CODE: lambda row: row.provider_code,
    Source.PAYER: lambda row: row.payer,
}


def header_cells(template: ChargeTemplate) -> list[str]:
    return [neutralise(column.header) for column in template.columns]


def charge_cells(template: ChargeTemplate, row: ClaimRow, billing_entity: str) -> list[str]:
    """A claim line as the template's cells (formula-like ones made inert)."""
    cells = []
    for column in template.columns:
        if column.source is Source.DATE_OF_SERVICE:
            cell = format_date(row.date_of_service, template.date_format)
        elif column.source is Source.BILLING_ENTITY:
            cell = billing_entity
        elif column.source is Source.CONSTANT:
            cell = column.value or ""
        else:
            cell = _FROM_ROW[column.source](row)
        cells.append(neutralise(cell))
    return cells
