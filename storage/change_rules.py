"""The rules every change to the data folder follows, and how it is written: one pair of
hands (timed segments never overlap), nothing in the future, closed sessions do not change,
the clock never goes back; a change to a day file is one atomic write with its audit entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from pydantic import TypeAdapter, ValidationError

from core.audit import Action, AuditEntry
from core.billing.explain import ASSISTANT_EVALUATION
from core.catalog import CatalogEntry, CodeError
from core.models import FurnishedBy, PatientRef, PayerProfile, Segment, problem
from core.session import Session
from core.timing import describe_overlap, first_overlap
from storage.context import Context
from storage.document_storage import Severity
from storage.errors import InvalidChange, NotFound, OverlapError
from storage.store import Change

PATIENT_REF: TypeAdapter[str] = TypeAdapter(PatientRef)

Notify = Callable[[str, Severity], None]


class ChangeRules:
    def __init__(self, context: Context) -> None:
        self._store = context.store
        self._indexes = context.indexes
        self._read = context.queries
        self._settings = context.settings
        self._catalog = context.catalog
        self._zone = context.zone
        self._clock = context.clock
        self._notify = context.notify

    def now(self) -> datetime:
        """The clock, never earlier than an instant already recorded (reported when clamped)."""
        now = self._clock()
        if self._clock.went_back is not None:
            self._notify(f"the clock went back {self._clock.went_back} (to "
                         f"{self._local(self._clock.raw()):%H:%M:%S}); times are kept at "
                         f"{self._local(now):%H:%M:%S} until it catches up", "warning")
        return now

    def _check_overlap(self, candidate: Segment, ignore: set[UUID],
                       running: list[Segment] | None = None) -> None:
        """One therapist, one pair of hands: timed segments never overlap, in any session,
        and no one-on-one time (timed, or an evaluation) overlaps the therapist's group."""
        if self._catalog.is_evaluation(candidate.code):
            self._outside_groups(candidate, ignore)
        if not self._catalog.is_timed(candidate.code):
            return
        day = self._local(candidate.start).date()
        nearby = {s.id: s for s in self._read.timed_segments_near(day)}
        nearby.update({s.id: s for s in (self._read.running_timed() if running is None
                                         else running)})
        nearby.update({s.id: s for s in self._read.segments_on(day)  # a group: one-on-one
                       if self._catalog.is_group(s.code)})  # time cannot overlap it either
        other = first_overlap(candidate, (s for s in nearby.values() if s.id not in ignore))
        if other is not None:
            patient = self._read.session(other.session_id).patient
            raise OverlapError(describe_overlap(candidate, other, patient, self._zone,
                                                group=self._catalog.is_group(other.code)))

    def _outside_groups(self, candidate: Segment, ignore: set[UUID]) -> None:
        day = self._local(candidate.start).date()
        groups = [s for s in self._read.segments_on(day)
                  if self._catalog.is_group(s.code) and s.id not in ignore]
        other = first_overlap(candidate, groups)
        if other is not None:
            patient = self._read.session(other.session_id).patient
            raise OverlapError(describe_overlap(candidate, other, patient, self._zone,
                                                group=True))

    def _furnishable(self, segment: Segment) -> Segment:
        """Only a therapist furnishes an evaluation, re-evaluation or assessment."""
        if segment.furnished_by is FurnishedBy.ASSISTANT and \
                self._catalog.is_evaluation(segment.code):
            raise InvalidChange(f"{segment.code} is an evaluation: {ASSISTANT_EVALUATION}")
        return segment

    def _past(self, instant: datetime, what: str) -> datetime:
        if instant.tzinfo is None:
            raise InvalidChange(f"the {what} time has no time zone")
        if instant > self._clock.raw() + timedelta(seconds=1):
            raise InvalidChange(f"the {what} time {self._local(instant):%H:%M} is in the future")
        return instant

    def _writable(self, session_id: UUID) -> Session:
        self._require_writer()
        session = self._read.session(session_id)
        if not session.is_open:
            raise InvalidChange(f"the session of {session.patient} is closed: reopen it (with "
                                "a reason) to change it")
        return session

    def _patient_ref(self, text: str) -> str:
        """A patient reference as a session would take it, or the refusal in words (without
        the text itself: it may hold what must not reach a screen)."""
        try:
            return str(PATIENT_REF.validate_python(text))
        except ValidationError as error:
            raise InvalidChange(f"patient reference: {problem(error)}") from None

    def _require_writer(self) -> None:
        if not self._store.writer:
            raise InvalidChange(f"{self._store.root} is open read-only: no change was saved")

    def _payer(self, name: str) -> PayerProfile:
        try:
            return self._settings.payer(name)
        except KeyError as error:
            raise InvalidChange(str(error.args[0])) from None

    def _code(self, code: str) -> CatalogEntry:
        try:
            return self._catalog.get(code)
        except CodeError as error:
            raise InvalidChange(str(error)) from None

    def _segment(self, **fields: Any) -> Segment:
        try:
            return Segment(**fields)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None

    def _segment_in(self, session_id: UUID, segment_id: UUID) -> Segment:
        for segment in self._read.segments_of(session_id):
            if segment.id == segment_id:
                return segment
        raise NotFound(f"no segment {segment_id} in that session")

    def _local(self, instant: datetime) -> datetime:
        return instant.astimezone(self._zone)

    # ---- writing --------------------------------------------------------------------------

    @contextmanager
    def _day(self, session: Session) -> Iterator[Change]:
        with self._store.change(self._store.day_path(session.date_of_service)) as change:
            yield change

    def _stop(self, session: Session, running: Sequence[Segment], end: datetime,
              reason: str) -> list[Segment]:
        stopped = []
        change_id = uuid4()
        with self._day(session) as change:
            for segment in running:
                new = segment.model_copy(update={"end": max(end, segment.start)})
                self._replace(change, change_id, Action.STOP, session, segment, new, reason)
                stopped.append(new)
        self._clock.saw(end)
        return stopped

    def _replace(self, change: Change, change_id: UUID, action: Action, session: Session,
                 old: Segment, new: Segment, reason: str) -> None:
        """The audit entry keeps the fields that changed, before and after (a stop: the end)."""
        before, after = dump(old), dump(new)
        changed = [name for name in after if before.get(name) != after[name]]
        change.put("segments", new)
        change.add("audit", self._audit(change_id, action, session, old.id,
                                        before={name: before[name] for name in changed},
                                        after={name: after[name] for name in changed},
                                        reason=reason))

    def _audit(self, change_id: UUID, action: Action, session: Session,
               segment_id: UUID | None = None, *, before: dict[str, Any] | None = None,
               after: dict[str, Any] | None = None, reason: str = "") -> AuditEntry:
        try:
            return AuditEntry(change_id=change_id, at=self._clock.raw(),
                              who=self._settings.therapist, action=action,
                              session_id=session.id, segment_id=segment_id, before=before,
                              after=after, reason=reason)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None


def dump(model: Session | Segment) -> dict[str, Any]:
    return model.model_dump(mode="json")


def closed_state(session: Session) -> dict[str, Any]:
    dumped = dump(session)
    return {"closed_at": dumped.get("closed_at"), "billing": dumped.get("billing")}

