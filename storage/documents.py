"""What each file of a data folder holds, as one pydantic model per file kind.

A file is validated as a whole when it is read: valid JSON of the wrong shape (a table that is
a list, a record that is a string, a schema that is not a number, a segment of a session the
file does not hold) is refused exactly like a file that does not parse. The layout on disk is
TinyDB's (table name -> document id -> record), so TinyDB reads and writes these files.

    days/2026/2026-03-02.json   DayDocument: the sessions of that date, their segments, audit
    index/2026-03.json          MonthIndexDocument: each day file of the month, derived
    index/months.json           IndexSummaryDocument: each month's digest and open sessions
    patients.json               PatientsDocument: what the user entered about patients
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID

from pydantic import (
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.audit import AuditEntry
from core.history import Visit
from core.models import Frozen, Segment, problem
from core.modifiers import TherapyBucket
from core.patients import Authorization, Episode, UsedElsewhere
from core.session import Session
from core.text import printable

SCHEMA_VERSION = 1
META = "_meta"
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""Upgrade steps: MIGRATIONS[n] turns a version-n file's tables into version n+1."""

SUMMARY_NAME = "months.json"
PATIENTS_NAME = "patients.json"
DocId = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")]
"""TinyDB's document ids, as JSON object keys."""


class DocumentError(ValueError):
    """A file that is not what its name says it holds; the message says what is wrong."""


class NewerSchema(DocumentError):
    """Written by a newer Tabletime: left untouched rather than misread."""


class Meta(Frozen):
    schema_version: int = Field(alias="schema", ge=1)


class DayEntry(Frozen):
    """One day file as the index saw it: its stamp (size and modification time) when read,
    its sessions, and the day's Medicare amount per patient and KX bucket."""

    date: date
    stamp: str
    sessions: tuple[Visit, ...] = ()
    medicare: dict[str, Decimal] = Field(default_factory=dict)
    """`patient<TAB>bucket` -> the day's Medicare amount."""

    @field_validator("medicare")
    @classmethod
    def _patient_and_bucket(cls, amounts: dict[str, Decimal]) -> dict[str, Decimal]:
        buckets = {bucket.value for bucket in TherapyBucket}
        for key in amounts:
            patient, _, bucket = key.partition("\t")
            if not patient or bucket not in buckets:
                raise ValueError("a Medicare amount not keyed by patient and KX bucket")
        return amounts


class OpenEntry(Frozen):
    """A session not closed yet, and the date of the day file that holds it."""

    id: UUID
    date: date


class MonthEntry(Frozen):
    """A month of day files as the index saw them: a digest of their stamps (any change to any
    of them changes it), the sessions still open then, and how the index was derived (another
    version of Tabletime may derive it differently: then it is derived again)."""

    month: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    digest: str
    version: int
    open: tuple[OpenEntry, ...] = ()


class Document(Frozen):
    """A data-folder file: tables of records keyed by TinyDB document id. `KEYS` names the
    field that identifies a record of each table (our own ids, never TinyDB's)."""

    TABLES: ClassVar[tuple[str, ...]]
    KEYS: ClassVar[dict[str, str]]
    meta: dict[DocId, Meta] = Field(default_factory=dict, alias=META)

    def schema_version(self) -> int:
        return next(iter(self.meta.values())).schema_version if self.meta else SCHEMA_VERSION


class DayDocument(Document):
    """days/2026/2026-03-02.json: the truth. Everything else in the folder derives from these."""

    TABLES = ("sessions", "segments", "audit")
    KEYS: ClassVar[dict[str, str]] = {"sessions": "id", "segments": "id", "audit": "id"}
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


class MonthIndexDocument(Document):
    """index/2026-03.json: every day file of the month, as derived from it."""

    TABLES = ("days",)
    KEYS: ClassVar[dict[str, str]] = {"days": "date"}
    days: dict[DocId, DayEntry] = Field(default_factory=dict)


class IndexSummaryDocument(Document):
    """index/months.json: per month, the digest of its day files and its open sessions."""

    TABLES = ("months",)
    KEYS: ClassVar[dict[str, str]] = {"months": "month"}
    months: dict[DocId, MonthEntry] = Field(default_factory=dict)


class PatientsDocument(Document):
    """patients.json: what the user entered about patients (a truth of its own, not derived)."""

    TABLES = ("elsewhere", "authorizations", "episodes")
    KEYS: ClassVar[dict[str, str]] = {"elsewhere": "id", "authorizations": "id", "episodes": "id"}
    elsewhere: dict[DocId, UsedElsewhere] = Field(default_factory=dict)
    authorizations: dict[DocId, Authorization] = Field(default_factory=dict)
    episodes: dict[DocId, Episode] = Field(default_factory=dict)


def document_kind(root: Path, path: Path) -> tuple[type[Document], dict[str, Any]]:
    """The model of a data-folder file, from where it lies, and its validation context."""
    relative = path.relative_to(root).parts
    if relative[0] == "days":
        return DayDocument, {"day": date.fromisoformat(path.stem)}
    if relative == (PATIENTS_NAME,):
        return PatientsDocument, {}
    if path.name == SUMMARY_NAME:
        return IndexSummaryDocument, {}
    return MonthIndexDocument, {}


def upgrade(raw: object) -> dict[str, Any]:
    """A file's tables in this version's schema (a query never writes: the upgrade reaches
    the disk with the next change to the file). NewerSchema when a newer Tabletime wrote it."""
    if not isinstance(raw, dict):
        raise DocumentError("not a JSON object")
    version = _schema_of(raw)
    if version < 1:
        raise DocumentError(f"its schema version {version} is not one Tabletime wrote")
    if version > SCHEMA_VERSION:
        raise NewerSchema(f"was written by a newer Tabletime (schema {version}, this one reads "
                          f"up to {SCHEMA_VERSION}): update Tabletime")
    if version == SCHEMA_VERSION:
        return raw
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise DocumentError(f"its schema version {version} is not one Tabletime wrote")
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
