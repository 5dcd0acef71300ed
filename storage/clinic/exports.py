"""`tabletime clinic export`: the clinic file's claim lines as the `lines` CSV or through a
charge template, exactly as each therapist's own export writes them (the same columns, the
rendering therapist on every row), every therapist's lines of a date together."""

from __future__ import annotations

import csv
from datetime import date
from typing import TextIO

from core.formats.charges import ChargeTemplate, charge_cells, header_cells
from core.formats.claims_csv import LINE_COLUMNS, line_row
from storage.clinic.reading import ClinicFile
from storage.errors import BadPath


def write_lines(clinic: ClinicFile, first: date | None, last: date | None, out: TextIO) -> int:
    """The claim-lines CSV of the range; returns how many lines."""
    writer = csv.writer(out)
    writer.writerow(LINE_COLUMNS)
    count = 0
    for _, row in clinic.claim_rows(first, last):
        writer.writerow(line_row(row))
        count += 1
    return count


def write_charges(clinic: ClinicFile, template: ChargeTemplate, first: date | None,
                  last: date | None, out: TextIO) -> int:
    """The claim lines of the range as the template lays them out, each with its therapist's
    billing entity; returns how many lines."""
    entities = {t.therapist_id: t.settings.billing_entity for t in clinic.therapists()}
    writer = csv.writer(out, delimiter=template.delimiter)
    if template.header_row:
        writer.writerow(header_cells(template))
    count = 0
    for therapist_id, row in clinic.claim_rows(first, last):
        if therapist_id not in entities:
            raise BadPath(f"{clinic.where}: a claim line of {row.date_of_service} names "
                          f"therapist {therapist_id}, who is not in the file: merge again")
        writer.writerow(charge_cells(template, row, entities[therapist_id]))
        count += 1
    return count
