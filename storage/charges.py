"""Charge files (`export --kind charges`): the claim lines (reports.claim_rows, the rows of
the `lines` export) written through a template (core.formats.charges).

A template is found by name, never by path: the data folder's templates/NAME.toml when there
is one, else the shipped NAME. The user's takes the shipped one's place, so that a practice
adapting `generic` keeps the name its scripts use; the command line says which file it read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from core.billing.day import ClaimRow
from core.formats.charges import (
    SHIPPED,
    ChargeTemplate,
    TemplateError,
    charge_cells,
    header_cells,
    parse_template,
    shipped_template,
)
from core.text import printable
from storage.atomic import NotAFile, read_regular
from storage.layout import TEMPLATE_NAME, TEMPLATES
from storage.reading import FolderReader
from storage.reports import claim_rows


def find_template(data_dir: Path, name: str) -> tuple[ChargeTemplate, Path | None]:
    """The template called `name` and the user's file it came from (None: the shipped one).
    TemplateError for a name that is a path, that names no template, or a bad template."""
    folder = data_dir / TEMPLATES
    if not TEMPLATE_NAME.fullmatch(name):
        raise TemplateError(f"{printable(name)!r} is not a template name: give a name of "
                            "letters, digits, - and _ (not a path, no .toml); your own "
                            f"templates are NAME.toml in {printable(str(folder))}")
    path = folder / f"{name}.toml"
    try:
        content = read_regular(path, follow_links=True)
    except FileNotFoundError:
        if name in SHIPPED:
            return shipped_template(name), None
        raise TemplateError(f"no template named {name!r}: shipped: {', '.join(SHIPPED)}; "
                            f"yours: {', '.join(_user_templates(folder)) or 'none'} (NAME.toml "
                            f"in {printable(str(folder))})") from None
    except NotAFile as error:
        raise TemplateError(f"{printable(str(path))} {error}: put a template there") from None
    except OSError as error:
        raise TemplateError(f"{printable(str(path))}: cannot be read: {error.strerror}") from None
    return parse_template(content, printable(str(path))), path


def _user_templates(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(path.stem for path in folder.glob("*.toml")
                  if TEMPLATE_NAME.fullmatch(path.stem))


def write_charges(folder: FolderReader, template: ChargeTemplate, first: date | None,
                  last: date | None, now: datetime, out: TextIO) -> int:
    """The claim lines of the range as the template lays them out; returns how many lines."""
    entity = folder.settings.billing_entity
    return write_charge_rows(template, ((row, entity) for row in claim_rows(
        folder, first, last, now)), out)


def write_charge_rows(template: ChargeTemplate, rows: Iterable[tuple[ClaimRow, str]],
                      out: TextIO) -> int:
    """Claim lines, each with its billing entity, as the template lays them out (a
    therapist's or the clinic's); returns how many lines."""
    writer = csv.writer(out, delimiter=template.delimiter)
    if template.header_row:
        writer.writerow(header_cells(template))
    count = 0
    for row, entity in rows:
        writer.writerow(charge_cells(template, row, entity))
        count += 1
    return count
