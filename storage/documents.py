"""What each file of a data folder holds, as one pydantic model per file kind.

A file is validated as a whole when it is read: valid JSON of the wrong shape (a table that is
a list, a record that is a string, a schema that is not a number, a segment of a session the
file does not hold) is refused exactly like a file that does not parse. The layout on disk is
TinyDB's (table name -> document id -> record), so TinyDB reads and writes these files.

    days/2026/2026-03-02.json   DayDocument: the sessions of that date, their segments, audit
    index/2026-03.json          MonthIndexDocument: each day file of the month, derived
    index/patients/3f.json      MonthIndexDocument too: the same entries, of some patients only
    index/months.json           IndexSummaryDocument: each month's digest and open sessions,
                                and the seal of every other index file
    patients.json               PatientsDocument: what the user entered about patients

A derived file whose seal (storage/sealed.py) proves it is the one the index wrote is read
with `derived`: pydantic still checks every type, but not again the text of each patient
reference, checked when the file was written (the checks of untrusted text were most of the
time of a read).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Container, Iterable, Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self, get_args
from uuid import UUID

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.audit import AuditEntry
from core.billing.modifiers import TherapyBucket
from core.care.history import SEALED, Visit, sealed
from core.care.patients import Authorization, Episode, UsedElsewhere
from core.models import Frozen, Segment, problem
from core.session import Session
from core.text import printable
from storage import layout

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
    def _patient_and_bucket(cls, amounts: dict[str, Decimal], info: ValidationInfo
                            ) -> dict[str, Decimal]:
        if sealed(info):
            return amounts
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
    seal: str | None = None
    """The seal of the month's index file as the index wrote it (None: not known, as from an
    earlier Tabletime: the file is then validated field by field)."""


class PatientFileEntry(Frozen):
    """One file of the patient index (index/patients/3f.json: the day entries of the patients
    whose reference hashes to 3f) as the index wrote it, with the version of that layout. A
    file with no entry here is not trusted: it is derived again from the months."""

    bucket: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{2}$")]
    version: int
    seal: str


class MissingEntry(Frozen):
    """Sessions the index knew on a date that its day file no longer holds and does not
    record deleting (a sync conflict, a hand edit, a file gone or moved aside): kept, and said
    at every open, until they are back or the loss is accepted (`check --accept-missing`)."""

    date: date
    sessions: tuple[Visit, ...]


Tables = Mapping[str, Mapping[Any, Any]]
"""A file's records (or a change's), by table and record key."""


class Document(Frozen):
    """A data-folder file: tables of records keyed by TinyDB document id. `KEYS` names the
    field that identifies a record of each table (our own ids, never TinyDB's)."""

    TABLES: ClassVar[tuple[str, ...]]
    KEYS: ClassVar[dict[str, str]]
    meta: dict[DocId, Meta] = Field(default_factory=dict, alias=META)

    def schema_version(self) -> int:
        return next(iter(self.meta.values())).schema_version if self.meta else SCHEMA_VERSION

    @classmethod
    def record_model(cls, table: str) -> type[BaseModel]:
        """The model a record of `table` is read with (the field's `dict[DocId, Model]`)."""
        return _record_model(cls, table)

    @classmethod
    def change_problem(cls, kept: Tables, put: Tables, dropped: Mapping[str, Collection[Any]],
                       context: dict[str, Any]) -> str | None:
        """What the file-wide rules of the read would refuse in the file once records are
        `put` and `dropped` (each record itself already valid), looking only at what the
        change touches; None when nothing."""
        return None


class DayDocument(Document):
    """days/2026/2026-03-02.json: the truth. Everything else in the folder derives from these."""

    TABLES = ("sessions", "segments", "audit")
    KEYS: ClassVar[dict[str, str]] = {"sessions": "id", "segments": "id", "audit": "id"}
    sessions: dict[DocId, Session] = Field(default_factory=dict)
    segments: dict[DocId, Segment] = Field(default_factory=dict)
    audit: dict[DocId, AuditEntry] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        ids = {session.id for session in self.sessions.values()}
        if len(ids) != len(self.sessions):
            raise ValueError("two sessions share an id")
        if len({segment.id for segment in self.segments.values()}) != len(self.segments):
            raise ValueError("two segments share an id")
        wrong = day_problem((info.context or {}).get("day"), self.sessions.values(),
                            self.segments.values(), ids)
        if wrong is not None:
            raise ValueError(wrong)
        return self

    @classmethod
    def change_problem(cls, kept: Tables, put: Tables, dropped: Mapping[str, Collection[Any]],
                       context: dict[str, Any]) -> str | None:
        """Sessions put must be of the file's date and segments put must belong to a session
        the file keeps; a session dropped must take its segments with it. (Ids are unique by
        construction: a change puts and drops records by their own id.)"""
        sessions = put.get("sessions", {})
        gone = dropped.get("sessions", ())
        segments = list(put.get("segments", {}).values())
        if gone:
            left = set(dropped.get("segments", ())) | set(put.get("segments", {}))
            segments += [s for key, s in kept["segments"].items() if key not in left]
        return day_problem(context.get("day"), sessions.values(), segments,
                           _KeptSessions(kept["sessions"], sessions, gone))


class _KeptSessions(Container[UUID]):
    """The ids of the sessions a day file holds after a change, without listing them (a
    timer start looks up one)."""

    def __init__(self, kept: Mapping[Any, Any], put: Mapping[Any, Any],
                 gone: Collection[Any]) -> None:
        self._kept, self._put, self._gone = kept, put, gone

    def __contains__(self, session_id: object) -> bool:
        key = str(session_id)  # records are keyed by their id as text
        return key in self._put or (key in self._kept and key not in self._gone)


@cache
def _record_model(kind: type[Document], table: str) -> type[BaseModel]:
    model = get_args(kind.model_fields[table].annotation)[1]
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


def day_problem(day: date | None, sessions: Iterable[Session], segments: Iterable[Segment],
                session_ids: Container[UUID]) -> str | None:
    """The day file's rules, for a read (the whole file) and a write (what it touches)."""
    for session in sessions:
        if day is not None and session.date_of_service != day:
            return (f"date_of_service: a session of {session.date_of_service} in the file of "
                    f"{day}")
    for segment in segments:
        if segment.session_id not in session_ids:
            return f"session_id: segment {segment.id} belongs to no session of this file"
    return None


class MonthIndexDocument(Document):
    """index/2026-03.json: every day file of the month, as derived from it."""

    TABLES = ("days",)
    KEYS: ClassVar[dict[str, str]] = {"days": "date"}
    days: dict[DocId, DayEntry] = Field(default_factory=dict)


class IndexSummaryDocument(Document):
    """index/months.json: per month, the digest of its day files, its open sessions and the
    seal of its index file; per date, the sessions its day file lost (the index as a
    witness); per file of the patient index, its seal. Small, and always validated: every
    other index file is trusted through it."""

    TABLES = ("months", "missing", "patients")
    KEYS: ClassVar[dict[str, str]] = {"months": "month", "missing": "date", "patients": "bucket"}
    months: dict[DocId, MonthEntry] = Field(default_factory=dict)
    missing: dict[DocId, MissingEntry] = Field(default_factory=dict)
    patients: dict[DocId, PatientFileEntry] = Field(default_factory=dict)


class PatientsDocument(Document):
    """patients.json: what the user entered about patients (a truth of its own, not derived)."""

    TABLES = ("elsewhere", "authorizations", "episodes")
    KEYS: ClassVar[dict[str, str]] = {"elsewhere": "id", "authorizations": "id", "episodes": "id"}
    elsewhere: dict[DocId, UsedElsewhere] = Field(default_factory=dict)
    authorizations: dict[DocId, Authorization] = Field(default_factory=dict)
    episodes: dict[DocId, Episode] = Field(default_factory=dict)


def document_kind(root: Path, path: Path) -> tuple[type[Document], dict[str, Any]]:
    """The model of a data-folder file, from where it lies, and its validation context."""
    day = layout.day_of(root, path)
    if day is not None:
        return DayDocument, {"day": day}
    if path == layout.patients_path(root):
        return PatientsDocument, {}
    if path == layout.summary_path(root):
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


def derived(content: bytes, kind: type[Document]) -> Document | None:
    """A derived file's content, proven by its seal to be what the index wrote (its records
    were validated then): parsed by pydantic's core without the checks of untrusted text.
    None when it is not of this version's schema or not of `kind` after all."""
    try:
        document = kind.model_validate_json(content, context={SEALED: True})
    except ValidationError:
        return None
    return document if document.schema_version() == SCHEMA_VERSION else None


def _schema_of(raw: dict[str, Any]) -> int:
    meta = raw.get(META) or {}
    records = list(meta.values()) if isinstance(meta, dict) else []
    if not records:
        return SCHEMA_VERSION
    schema = records[0].get("schema") if isinstance(records[0], dict) else None
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise DocumentError(f"its schema version {printable(repr(schema))} is not a number")
    return schema
