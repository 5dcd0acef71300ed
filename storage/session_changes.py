"""Changes to a session as a whole: open, close, reopen, correct its patient, payer or
discipline, delete it and bring it back. Audited and undoable like every change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID, uuid4

from pydantic import ValidationError

from core.audit import Action
from core.billing.recorded import bill_recorded
from core.models import Discipline, FurnishedBy, PayerProfile, Segment, problem
from core.session import Session
from core.text import a_or_an
from storage.change_rules import ChangeRules, closed_state, dump
from storage.errors import InvalidChange


class SessionChanges(ChangeRules):
    def create_session(self, patient: str, payer: str | PayerProfile,
                       discipline: Discipline | None = None) -> Session:
        self._require_writer()
        profile = payer if isinstance(payer, PayerProfile) else self._payer(payer)
        now = self.now()
        try:
            session = Session(patient=patient, payer=profile,
                              discipline=discipline or self._settings.discipline,
                              date_of_service=now.astimezone(self._zone).date(), opened_at=now,
                              therapist=self._settings.therapist)
        except ValidationError as error:
            raise InvalidChange(problem(error).replace("patient:", "patient reference:")) from None
        earlier = [s for s in self._read.sessions_on(session.date_of_service)
                   if s.patient == session.patient and s.discipline is session.discipline]
        with self._day(session) as change:
            change.put("sessions", session)
            change.add("audit", self._audit(uuid4(), Action.OPEN, session,
                                            after=dump(session)))
        self._indexes.day_changed(session.date_of_service)
        self._clock.saw(now)
        self._tell_about(session, earlier)
        return session

    def _tell_about(self, session: Session, earlier: Sequence[Session]) -> None:
        """What a new session means for billing, said at once: a second session of the
        patient in one discipline on one date is pooled with the first; a session in
        another discipline than the therapist's is flagged."""
        if earlier:
            first = earlier[0]
            state = "open" if first.is_open else "closed"
            how = ("the two are billed together on their pooled minutes"
                   if first.payer.name == session.payer.name
                   else f"the other is under {first.payer.name}: each payer is billed alone")
            self._notify(f"{session.patient} already has {a_or_an(session.discipline)} "
                         "session today "
                         f"(opened {self._local(first.opened_at):%H:%M}, {state}): {how}",
                         "warning")
        own = self._settings.discipline
        if session.discipline is not own:
            self._notify(f"{session.patient}: {a_or_an(session.discipline)} session, but the "
                         f"settings say you are {a_or_an(own)}: the day summary flags it and "
                         f"the chart note is signed as {own}", "warning")

    def close_session(self, session_id: UUID, *, stop_running: bool = False,
                      prefer: Sequence[str] = ()) -> Session:
        """Close with the billing result computed from the stored segments at the close instant.

        A running segment is refused unless `stop_running`, which stops it at that instant.
        `prefer` is the therapist's pick among tied codes.
        """
        session = self._writable(session_id)
        segments = self._read.segments_of(session_id)
        running = [s for s in segments if s.running]
        if running and not stop_running:
            codes = ", ".join(s.code for s in running)
            raise InvalidChange(f"{codes} still running on {session.patient}: stop it first")
        now = self.now()
        stopped = [s.model_copy(update={"end": max(now, s.start)}) for s in running]
        final = [s for s in segments if not s.running] + stopped
        billing = bill_recorded(session, final, now, self._catalog, prefer=prefer).billing
        closed = session.model_copy(update={"closed_at": now, "billing": billing})
        change_id = uuid4()
        with self._day(session) as change:
            for old, new in zip(running, stopped, strict=True):
                self._replace(change, change_id, Action.STOP, session, old, new, "closed")
            change.put("sessions", closed)
            change.add("audit", self._audit(change_id, Action.CLOSE, session,
                                            before=closed_state(session),
                                            after=closed_state(closed)))
        self._indexes.day_changed(session.date_of_service)
        self._clock.saw(now)
        return closed

    def reopen_session(self, session_id: UUID, reason: str) -> Session:
        self._require_writer()
        session = self._read.session(session_id)
        if session.is_open:
            raise InvalidChange(f"the session of {session.patient} is already open")
        if not reason.strip():
            raise InvalidChange("reopening a closed session needs a reason (it is audited)")
        reopened = session.model_copy(update={"closed_at": None, "billing": None})
        with self._day(session) as change:
            change.put("sessions", reopened)
            change.add("audit", self._audit(uuid4(), Action.REOPEN, session,
                                            before=closed_state(session),
                                            after=closed_state(reopened), reason=reason))
        self._indexes.day_changed(session.date_of_service)
        return reopened

    def edit_session(self, session_id: UUID, *, patient: str | None = None,
                     payer: str | None = None, discipline: Discipline | None = None,
                     reason: str = "corrected") -> Session:
        """Correct an open session's patient reference, payer or discipline (a closed one must
        be reopened first: its billing was stored with them). Audited; `undo` puts them back."""
        session = self._writable(session_id)
        wanted: dict[str, object] = {}
        if patient is not None and patient.strip() != session.patient:
            wanted["patient"] = patient
        if payer is not None and payer != session.payer.name:
            wanted["payer"] = self._payer(payer).model_dump(mode="json")
        if discipline is not None and discipline is not session.discipline:
            wanted["discipline"] = discipline.value
        if not wanted:
            raise InvalidChange("nothing to change: the session already has these")
        try:
            changed = Session.model_validate({**dump(session), **wanted})
        except ValidationError as error:
            raise InvalidChange(problem(error).replace("patient:", "patient reference:")) from None
        before, after = dump(session), dump(changed)
        with self._day(session) as change:
            change.put("sessions", changed)
            change.add("audit", self._audit(uuid4(), Action.EDIT, session,
                                            before={k: before[k] for k in wanted},
                                            after={k: after[k] for k in wanted}, reason=reason))
        self._indexes.day_changed(session.date_of_service)
        return changed

    def mark_progress_report(self, session_id: UUID, written: bool = True) -> Session:
        """Mark (or unmark) the progress report as written at this open session: only a
        therapist writes one (Pub. 100-02 ch.15 §220.3), so an assistant's mark is refused.
        Audited; `undo` takes it back."""
        session = self._writable(session_id)
        if self._settings.role is not FurnishedBy.THERAPIST:
            raise InvalidChange("only a therapist writes a progress report (role is "
                                f"{self._settings.role} in the settings)")
        if session.progress_report is written:
            raise InvalidChange(f"the progress report is already {'' if written else 'not '}"
                                "marked for this visit")
        changed = session.model_copy(update={"progress_report": written})
        with self._day(session) as change:
            change.put("sessions", changed)
            change.add("audit", self._audit(
                uuid4(), Action.EDIT, session, before={"progress_report": not written},
                after={"progress_report": written},
                reason="progress report written" if written else "progress report unmarked"))
        self._indexes.day_changed(session.date_of_service)
        return changed

    def delete_session(self, session_id: UUID, reason: str = "deleted") -> Session:
        """Remove an open session opened by mistake, with its segments (a running timer goes
        with it). The audit entry keeps them whole: `restore_session` brings them back."""
        session = self._writable(session_id)
        segments = self._read.segments_of(session_id)
        with self._day(session) as change:
            change.drop("sessions", session.id)
            for segment in segments:
                change.drop("segments", segment.id)
            change.add("audit", self._audit(
                uuid4(), Action.DELETE, session, reason=reason,
                before={"session": dump(session), "segments": [dump(s) for s in segments]}))
        self._indexes.day_changed(session.date_of_service)
        return session

    def restore_session(self, day: date, session_id: UUID) -> Session:
        """Bring back a deleted session of `day` as it was (refused if one of its timed
        segments would now overlap one recorded since)."""
        self._require_writer()
        path = self._store.day_path(day)
        deleted = [e for e in self._store.records(path, "audit")
                   if e.session_id == session_id and e.action is Action.DELETE
                   and e.segment_id is None and not e.undone]
        if not deleted:
            raise InvalidChange("no deleted session to bring back there")
        entry = deleted[-1]
        assert entry.before is not None  # the audit entry of a deleted session holds it whole
        session = Session.model_validate(entry.before["session"])
        segments = [Segment.model_validate(s) for s in entry.before["segments"]]
        for segment in segments:
            self._check_overlap(segment, ignore=set())
        with self._day(session) as change:
            change.put("sessions", session)
            for segment in segments:
                change.put("segments", segment)
            change.put("audit", entry.model_copy(update={"undone": True}))
            change.add("audit", self._audit(uuid4(), Action.UNDO, session,
                                            reason="delete of the session"))
        self._indexes.day_changed(day)
        return session
