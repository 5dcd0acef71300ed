"""Changes to a session as a whole: open, close, reopen, correct its patient, payer,
discipline or place of service, mark its progress report, delete it and bring it back.
Audited and undoable like every change.

A session is stamped when it opens with who renders it (the settings' therapist, NPI and
provider code) and where (the settings' place of service unless one is given): a later change
of the settings never rewrites a session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID, uuid4

from pydantic import ValidationError

from core.audit import Action
from core.billing.recorded import bill_recorded
from core.models import Discipline, FurnishedBy, PayerProfile, Segment, problem
from core.place import Place, Telehealth, is_telehealth_place, mode_value, place_name
from core.session import Session
from core.settings import Settings
from core.text import a_or_an
from storage.commands.guards import Guards
from storage.commands.writing import Writer, closed_state, dump
from storage.context import Context
from storage.errors import InvalidChange


class Sessions:
    def __init__(self, context: Context, guards: Guards, writer: Writer) -> None:
        self._ctx, self._guards, self._writer = context, guards, writer

    def create(self, patient: str, payer: str | PayerProfile,
               discipline: Discipline | None = None, place: Place | None = None) -> Session:
        """A new session of today; `place` where and how it is furnished (default: the
        settings' place of service, in person, or by video at a telehealth-only place)."""
        self._guards.require_writer()
        settings = self._ctx.settings
        profile = payer if isinstance(payer, PayerProfile) else self._guards.payer(payer)
        where = checked_place(default_place(settings) if place is None else place)
        now = self._writer.now()
        try:
            session = Session(patient=patient, payer=profile,
                              discipline=discipline or settings.discipline,
                              date_of_service=self._ctx.local(now).date(), opened_at=now,
                              therapist=settings.therapist, npi=settings.npi,
                              provider_code=settings.provider_code,
                              place_of_service=where.pos, telehealth=where.telehealth)
        except ValidationError as error:
            raise InvalidChange(_patient_words(error)) from None
        earlier = [s for s in self._ctx.queries.sessions_on(session.date_of_service)
                   if s.patient == session.patient and s.discipline is session.discipline]
        self._writer.put_session(session, Action.OPEN, after=dump(session))
        self._ctx.clock.saw(now)
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
            self._ctx.notify(f"{session.patient} already has {a_or_an(session.discipline)} "
                             "session today "
                             f"(opened {self._ctx.local(first.opened_at):%H:%M}, {state}): "
                             f"{how}", "warning")
        own = self._ctx.settings.discipline
        if session.discipline is not own:
            self._ctx.notify(f"{session.patient}: {a_or_an(session.discipline)} session, but "
                             f"the settings say you are {a_or_an(own)}: the day summary flags "
                             f"it and the chart note is signed as {own}", "warning")

    def close(self, session_id: UUID, *, stop_running: bool = False,
              prefer: Sequence[str] = (), stop_at: datetime | None = None) -> Session:
        """Close with the billing result computed from the stored segments at the close instant.

        A running segment is refused unless `stop_running`, which stops it at that instant, or
        at `stop_at` (the instant the review the therapist approved was worked out at: what
        is billed is what was shown). `prefer` is the therapist's pick among tied codes.
        """
        session = self._guards.writable(session_id)
        segments = self._ctx.queries.segments_of(session_id)
        running = [s for s in segments if s.running]
        if running and not stop_running:
            codes = ", ".join(s.code for s in running)
            raise InvalidChange(f"{codes} still running on {session.patient}: stop it first")
        now = self._writer.now()
        end = now if stop_at is None else min(self._guards.past(stop_at, "stop"), now)
        stopped = [s.model_copy(update={"end": max(end, s.start)}) for s in running]
        final = [s for s in segments if not s.running] + stopped
        billing = bill_recorded(session, final, now, self._ctx.catalog, prefer=prefer).billing
        closed = session.model_copy(update={"closed_at": now, "billing": billing})
        change_id = uuid4()
        with self._writer.day(session) as change:
            for old, new in zip(running, stopped, strict=True):
                self._writer.replace(change, change_id, Action.STOP, session, old, new,
                                     "closed")
            change.put("sessions", closed)
            change.add("audit", self._writer.audit(change_id, Action.CLOSE, session,
                                                   before=closed_state(session),
                                                   after=closed_state(closed)))
        self._ctx.indexes.day_changed(session.date_of_service)
        self._ctx.clock.saw(now)
        return closed

    def reopen(self, session_id: UUID, reason: str) -> Session:
        self._guards.require_writer()
        session = self._ctx.queries.session(session_id)
        if session.is_open:
            raise InvalidChange(f"the session of {session.patient} is already open")
        if not reason.strip():
            raise InvalidChange("reopening a closed session needs a reason (it is audited)")
        reopened = session.model_copy(update={"closed_at": None, "billing": None})
        return self._writer.put_session(reopened, Action.REOPEN, before=closed_state(session),
                                        after=closed_state(reopened), reason=reason)

    def edit(self, session_id: UUID, *, patient: str | None = None, payer: str | None = None,
             discipline: Discipline | None = None, place: Place | None = None,
             reason: str = "corrected") -> Session:
        """Correct an open session's patient reference, payer, discipline or place (a closed
        one must be reopened first: its billing was stored with them, and the place sets its
        telehealth modifier and its fees). Audited; `undo` puts them back."""
        session = self._guards.writable(session_id)
        wanted: dict[str, object] = {}
        if patient is not None and patient.strip() != session.patient:
            wanted["patient"] = patient
        if payer is not None and payer != session.payer.name:
            wanted["payer"] = self._guards.payer(payer).model_dump(mode="json")
        if discipline is not None and discipline is not session.discipline:
            wanted["discipline"] = discipline.value
        if place is not None:
            checked_place(place)
            if place != session.place and any(segment.session_id == session_id
                                               for segment in self._guards.running_group()):
                raise InvalidChange(f"{session.patient} is in the running group, which is "
                                    f"{session.place.words()} for everyone in it: stop the "
                                    "group (or let them leave it) before correcting the place")
            if place.pos != session.place_of_service:
                wanted["place_of_service"] = place.pos
            if place.telehealth is not session.telehealth:
                wanted["telehealth"] = mode_value(place.telehealth)
        if not wanted:
            raise InvalidChange("nothing to change: the session already has these")
        try:
            changed = Session.model_validate({**dump(session), **wanted})
        except ValidationError as error:
            raise InvalidChange(_patient_words(error)) from None
        before, after = dump(session), dump(changed)
        return self._writer.put_session(changed, Action.EDIT,
                                        before={k: before[k] for k in wanted},
                                        after={k: after[k] for k in wanted}, reason=reason)

    def mark_progress_report(self, session_id: UUID, written: bool = True) -> Session:
        """Mark (or unmark) the progress report as written at this open session: only a
        therapist writes one (Pub. 100-02 ch.15 §220.3), so an assistant's mark is refused.
        Audited; `undo` takes it back."""
        session = self._guards.writable(session_id)
        role = self._ctx.settings.role
        if role is not FurnishedBy.THERAPIST:
            raise InvalidChange(f"only a therapist writes a progress report (role is {role} in "
                                "the settings)")
        if session.progress_report is written:
            raise InvalidChange(f"the progress report is already {'' if written else 'not '}"
                                "marked for this visit")
        changed = session.model_copy(update={"progress_report": written})
        return self._writer.put_session(
            changed, Action.EDIT, before={"progress_report": not written},
            after={"progress_report": written},
            reason="progress report written" if written else "progress report unmarked")

    def delete(self, session_id: UUID, reason: str = "deleted") -> Session:
        """Remove an open session opened by mistake, with its segments (a running timer goes
        with it). The audit entry keeps them whole: `restore_session` brings them back."""
        session = self._guards.writable(session_id)
        segments = self._ctx.queries.segments_of(session_id)
        with self._writer.day(session) as change:
            change.drop("sessions", session.id)
            for segment in segments:
                change.drop("segments", segment.id)
            change.add("audit", self._writer.audit(
                uuid4(), Action.DELETE, session, reason=reason,
                before={"session": dump(session), "segments": [dump(s) for s in segments]}))
        self._ctx.indexes.day_changed(session.date_of_service)
        return session

    def restore(self, day: date, session_id: UUID) -> Session:
        """Bring back a deleted session of `day` as it was (refused if one of its timed
        segments would now overlap one recorded since)."""
        self._guards.require_writer()
        store = self._ctx.store
        deleted = [e for e in store.records(store.day_path(day), "audit")
                   if e.session_id == session_id and e.action is Action.DELETE
                   and e.segment_id is None and not e.undone]
        if not deleted:
            raise InvalidChange("no deleted session to bring back there")
        entry = deleted[-1]
        assert entry.before is not None  # the audit entry of a deleted session holds it whole
        session = Session.model_validate(entry.before["session"])
        segments = [Segment.model_validate(s) for s in entry.before["segments"]]
        for segment in segments:
            self._guards.overlap(segment, ignore=set())
        with self._writer.day(session) as change:
            change.put("sessions", session)
            for segment in segments:
                change.put("segments", segment)
            change.put("audit", entry.model_copy(update={"undone": True}))
            change.add("audit", self._writer.audit(uuid4(), Action.UNDO, session,
                                                   reason="delete of the session"))
        self._ctx.indexes.day_changed(day)
        return session


def default_place(settings: Settings) -> Place:
    """Where a session is furnished unless said otherwise: the settings' place of service, in
    person, or by video at a place that exists only for telehealth (02, 10)."""
    pos = settings.place_of_service
    return Place(pos, Telehealth.VIDEO if is_telehealth_place(pos) else None)


def checked_place(place: Place) -> Place:
    """A place a claim can carry: POS 02 and 10 are telehealth's own, never in person."""
    if place.telehealth is None and is_telehealth_place(place.pos):
        raise InvalidChange(f"POS {place.pos} ({place_name(place.pos)}) is for telehealth "
                            "only: choose video or audio, or another place for an in-person "
                            "visit")
    return place


def _patient_words(error: ValidationError) -> str:
    """A session the model refuses, in words: its `patient` is the patient reference."""
    return problem(error).replace("patient:", "patient reference:")
