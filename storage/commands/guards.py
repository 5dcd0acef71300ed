"""The rules every change follows, checked before anything is written: only the writer
changes the folder, closed sessions do not change, nothing is in the future, one therapist has
one pair of hands (timed segments never overlap, across all sessions, and no one-on-one time
overlaps the therapist's group), and codes, payers, patient references and segments are
what the settings and the models accept. Each refusal is an InvalidChange in plain words."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from core.billing.explain import ASSISTANT_EVALUATION
from core.catalog import CatalogEntry, CodeError
from core.models import FurnishedBy, PatientRef, PayerProfile, Segment, problem
from core.session import Session
from core.timing import describe_overlap
from storage.context import Context
from storage.errors import InvalidChange, NotFound, OverlapError

PATIENT_REF: TypeAdapter[str] = TypeAdapter(PatientRef)


class Guards:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def require_writer(self) -> None:
        store = self._ctx.store
        if not store.writer:
            raise InvalidChange(f"{store.root} is open read-only: no change was saved")

    def writable(self, session_id: UUID) -> Session:
        self.require_writer()
        session = self._ctx.queries.session(session_id)
        if not session.is_open:
            raise InvalidChange(f"the session of {session.patient} is closed: reopen it (with "
                                "a reason) to change it")
        return session

    def past(self, instant: datetime, what: str) -> datetime:
        if instant.tzinfo is None:
            raise InvalidChange(f"the {what} time has no time zone")
        if instant > self._ctx.clock.raw() + timedelta(seconds=1):
            raise InvalidChange(f"the {what} time {self._ctx.local(instant):%H:%M} is in the "
                                "future")
        return instant

    # ---- one pair of hands ----------------------------------------------------------------

    def overlap(self, candidate: Segment, ignore: set[UUID],
                running: list[Segment] | None = None) -> None:
        """One therapist, one pair of hands: timed segments never overlap, in any session,
        and no one-on-one time (timed, or an evaluation) overlaps the therapist's group.

        The segments of the day before, the day and the day after (none lasts over 12 hours)
        and those still running are looked at by their times first, which leaves few: the
        cost of a start does not grow with the day's segments."""
        catalog = self._ctx.catalog
        if not (catalog.is_timed(candidate.code) or catalog.is_group(candidate.code)
                or catalog.is_evaluation(candidate.code)):
            return
        store = self._ctx.store
        day = self._ctx.local(candidate.start).date()
        near = [s for offset in (-1, 0, 1)
                for s in store.tables(store.day_path(day + timedelta(days=offset)))
                ["segments"].values() if candidate.overlaps(s)]
        live = self._ctx.queries.running_timed() if running is None else running
        near += [s for s in live if candidate.overlaps(s)]
        self._refuse_overlap(candidate, (s for s in near if s.id != candidate.id
                                         and s.id not in ignore and self._clash(candidate, s)))

    def _clash(self, candidate: Segment, other: Segment) -> bool:
        """Whether two segments at the same time are two pairs of hands: timed with timed or
        a group, a group with timed or an evaluation (untimed codes run alongside)."""
        catalog = self._ctx.catalog
        if catalog.is_group(candidate.code):
            return catalog.is_timed(other.code) or catalog.is_evaluation(other.code)
        if catalog.is_evaluation(candidate.code):
            return catalog.is_group(other.code)
        return catalog.is_timed(other.code) or catalog.is_group(other.code)

    def _refuse_overlap(self, candidate: Segment, others: Iterable[Segment]) -> None:
        other = next(iter(others), None)
        if other is not None:
            patient = self._ctx.queries.session(other.session_id).patient
            raise OverlapError(describe_overlap(candidate, other, patient, self._ctx.zone,
                                                group=self._ctx.catalog.is_group(other.code)))

    # ---- group therapy --------------------------------------------------------------------

    def running_group(self) -> list[Segment]:
        return [s for s in self._ctx.queries.running_segments()
                if self._ctx.catalog.is_group(s.code)]

    def outside_group(self, entry: CatalogEntry) -> None:
        """No one-on-one time (timed, or an evaluation) starts while the group runs."""
        if (entry.timed or entry.evaluation) and (group := self.running_group()):
            raise InvalidChange(f"a group ({group[0].code}) runs since "
                                f"{self._ctx.local(group[0].start):%H:%M}: one-on-one time "
                                "cannot overlap it; stop the group first (g on Today)")

    def no_group_running(self) -> None:
        if running := self.running_group():
            raise InvalidChange(f"a group ({running[0].code}) is running already: stop it "
                                "first")

    def group_code(self, code: str) -> CatalogEntry:
        entry = self.code(code)
        if not entry.group:
            raise InvalidChange(f"{entry.code} is not a group code: 97150, or 92508 for "
                                "speech-language groups")
        return entry

    # ---- what the settings and the models accept ------------------------------------------

    def code(self, code: str) -> CatalogEntry:
        try:
            return self._ctx.catalog.get(code)
        except CodeError as error:
            raise InvalidChange(str(error)) from None

    def payer(self, name: str) -> PayerProfile:
        try:
            return self._ctx.settings.payer(name)
        except KeyError as error:
            raise InvalidChange(str(error.args[0])) from None

    def patient_ref(self, text: str) -> str:
        """A patient reference as a session would take it, or the refusal in words (without
        the text itself: it may hold what must not reach a screen)."""
        try:
            return str(PATIENT_REF.validate_python(text))
        except ValidationError as error:
            raise InvalidChange(f"patient reference: {problem(error)}") from None

    def furnishable(self, segment: Segment) -> Segment:
        """Only a therapist furnishes an evaluation, re-evaluation or assessment."""
        if segment.furnished_by is FurnishedBy.ASSISTANT and \
                self._ctx.catalog.is_evaluation(segment.code):
            raise InvalidChange(f"{segment.code} is an evaluation: {ASSISTANT_EVALUATION}")
        return segment

    def segment(self, **fields: Any) -> Segment:
        try:
            return Segment(**fields)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None

    def segment_in(self, session_id: UUID, segment_id: UUID) -> Segment:
        for segment in self._ctx.queries.segments_of(session_id):
            if segment.id == segment_id:
                return segment
        raise NotFound(f"no segment {segment_id} in that session")
