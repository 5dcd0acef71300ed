"""`tabletime clinic export`: the clinic file's claim lines as the `lines` CSV or through a
charge template, exactly as each therapist's own export writes them (the same writers, the
rendering therapist on every row), every therapist's lines of a date together."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TextIO

from core.billing.day import ClaimRow
from core.formats.charges import ChargeTemplate
from storage.charges import write_charge_rows
from storage.clinic.reading import ClinicFile
from storage.errors import BadPath
from storage.reports import write_line_rows


def write_lines(clinic: ClinicFile, first: date | None, last: date | None, out: TextIO) -> int:
    """The claim-lines CSV of the range; returns how many lines."""
    return write_line_rows((row for _, row in clinic.claim_rows(first, last)), out)


def write_charges(clinic: ClinicFile, template: ChargeTemplate, first: date | None,
                  last: date | None, out: TextIO) -> int:
    """The claim lines of the range as the template lays them out, each with its therapist's
    billing entity; returns how many lines."""
    return write_charge_rows(template, _with_entities(clinic, first, last), out)


def _with_entities(clinic: ClinicFile, first: date | None, last: date | None
                   ) -> Iterator[tuple[ClaimRow, str]]:
    entities = {t.therapist_id: t.settings.billing_entity for t in clinic.therapists()}
    for therapist_id, row in clinic.claim_rows(first, last):
        if therapist_id not in entities:
            raise BadPath(f"{clinic.where}: a claim line of {row.date_of_service} names "
                          f"therapist {therapist_id}, who is not in the file: merge again")
        yield row, entities[therapist_id]
