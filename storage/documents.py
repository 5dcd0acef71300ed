"""What each file of a data folder holds, as one pydantic model per file kind.

A file is validated as a whole when it is read: valid JSON of the wrong shape (a table that is
a list, a record that is a string, a schema that is not a number, a segment of a session the
file does not hold) is refused exactly like a file that does not parse. The layout on disk is
TinyDB's (table name -> document id -> record), so TinyDB reads and writes these files.

    days/2026/2026-03-02.json   DayDocument: the sessions of that date, their segments, audit
    open.json                   OpenDocument: which sessions are open (derived)
    patients/2026.json          PatientsDocument: which dates each patient was seen (derived)
    ledger/2026.json            LedgerDocument: each day's Medicare amounts (derived)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID

from pydantic import Field, StringConstraints, ValidationError, ValidationInfo, model_validator

from core.audit import AuditEntry
from core.models import Frozen, Segment, problem
from core.session import Session
from core.text import PatientRef, printable

SCHEMA_VERSION = 1
META = "_meta"
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""Upgrade steps: MIGRATIONS[n] turns a version-n file's tables into version n+1."""

DocId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")]
"""TinyDB's document ids, as JSON object keys."""


class DocumentError(ValueError):
    """A file that is not what its name says it holds; the message says what is wrong."""


class NewerSchema(DocumentError):
    """Written by a newer Tabletime: left untouched rather than misread."""


class Meta(Frozen):
    schema_version: int = Field(alias="schema", ge=1)


class OpenEntry(Frozen):
    """A session not closed yet, and the date of the day file that holds it."""

    session_id: UUID
    date: date


class PatientVisits(Frozen):
    """The dates a patient was seen in one year."""

    patient: PatientRef
    dates: tuple[date, ...]


class LedgerDay(Frozen):
    """A day's Medicare amounts per patient and KX bucket, so that the year so far is one
    small file, not every visit of every patient."""

    date: date
    amounts: dict[str, Decimal]


class Document(Frozen):
    """A data-folder file: tables of records keyed by TinyDB document id."""

    TABLES: ClassVar[tuple[str, ...]]
    meta: dict[DocId, Meta] = Field(default_factory=dict, alias=META)

    def schema_version(self) -> int:
        return next(iter(self.meta.values())).schema_version if self.meta else SCHEMA_VERSION


class DayDocument(Document):
    TABLES = ("sessions", "segments", "audit")
    sessions: dict[DocId, Session] = Field(default_factory=dict)
    segments: dict[DocId, Segment] = Field(default_factory=dict)
    audit: dict[DocId, AuditEntry] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        day = (info.context or {}).get("day")
        ids = {session.id for session in self.sessions.values()}
        if len(ids) != len(self.sessions):
            raise ValueError("two sessions share an id")
        for session in self.sessions.values():
            if day is not None and session.date_of_service != day:
                raise ValueError(f"a session of {session.date_of_service} in the file of {day}")
        for segment in self.segments.values():
            if segment.session_id not in ids:
                raise ValueError(f"segment {segment.id} belongs to no session of this file")
        if len({segment.id for segment in self.segments.values()}) != len(self.segments):
            raise ValueError("two segments share an id")
        return self


class OpenDocument(Document):
    TABLES = ("open",)
    open: dict[DocId, OpenEntry] = Field(default_factory=dict)


class PatientsDocument(Document):
    TABLES = ("patients",)
    patients: dict[DocId, PatientVisits] = Field(default_factory=dict)


class LedgerDocument(Document):
    TABLES = ("days",)
    days: dict[DocId, LedgerDay] = Field(default_factory=dict)


def document_kind(root: Path, path: Path) -> tuple[type[Document], dict[str, Any]]:
    """The model of a data-folder file, from where it lies, and its validation context."""
    relative = path.relative_to(root).parts
    if relative[0] == "days":
        return DayDocument, {"day": date.fromisoformat(path.stem)}
    kinds: dict[str, type[Document]] = {"patients": PatientsDocument,
                                        "ledger": LedgerDocument}
    if relative[0] in kinds:
        return kinds[relative[0]], {}
    return OpenDocument, {}


def upgrade(raw: object) -> dict[str, Any]:
    """A file's tables in this version's schema (a query never writes: the upgrade reaches
    the disk with the next change to the file). NewerSchema when a newer Tabletime wrote it."""
    if not isinstance(raw, dict):
        raise DocumentError("not a JSON object")
    version = _schema_of(raw)
    if version > SCHEMA_VERSION:
        raise NewerSchema(f"was written by a newer Tabletime (schema {version}, this one reads "
                          f"up to {SCHEMA_VERSION}): update Tabletime")
    if version == SCHEMA_VERSION:
        return raw
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
    return {**raw, META: {"1": {"schema": SCHEMA_VERSION}}}


def validate(raw: dict[str, Any], kind: type[Document], context: dict[str, Any]) -> Document:
    """The file's content as `kind`; DocumentError naming the first problem if it is not."""
    try:
        return kind.model_validate(raw, context=context)
    except ValidationError as error:
        raise DocumentError(f"not a valid {kind.__name__.removesuffix('Document').lower()} "
                            f"file: {problem(error)}") from None


def _schema_of(raw: dict[str, Any]) -> int:
    meta = raw.get(META) or {}
    records = list(meta.values()) if isinstance(meta, dict) else []
    if not records:
        return SCHEMA_VERSION
    schema = records[0].get("schema") if isinstance(records[0], dict) else None
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise DocumentError(f"its schema version {printable(repr(schema))} is not a number")
    return schema
