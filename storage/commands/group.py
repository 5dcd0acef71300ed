"""Group therapy: one group code started at one instant in the open session of today of each
of two or more patients (a new session where there is none), and stopped in all at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import uuid4

from core.audit import Action
from core.care.history import Visit
from core.models import Segment
from core.session import MAX_GROUP, Session
from storage.commands.guards import Guards
from storage.commands.sessions import Sessions
from storage.commands.writing import Writer, dump
from storage.context import Context
from storage.errors import InvalidChange


class Group:
    def __init__(self, context: Context, guards: Guards, writer: Writer,
                 sessions: Sessions) -> None:
        self._ctx, self._guards, self._writer = context, guards, writer
        self._sessions = sessions

    def start(self, patients: Sequence[str], code: str = "97150", *,
              new_payer: str | None = None) -> list[Segment]:
        """Group therapy (97150; 92508 for speech) for two or more patients at once (at most
        MAX_GROUP): each gets its open session of today (a new one takes the patient's last
        payer and discipline, or `new_payer` for a patient seen first), the group code starts
        in all of them at one instant and each session keeps the group's size. The
        therapist's one-on-one timed code stops there (one pair of hands) and none starts
        while the group runs. Everything is checked before the first write."""
        self._guards.require_writer()
        entry = self._guards.group_code(code)
        names = self._names(patients)
        payer = self._guards.payer(new_payer).name if new_payer else None
        self._guards.no_group_running()
        now = self._writer.now()
        for other in self._ctx.queries.running_timed():
            other_session = self._ctx.queries.session(other.session_id)
            self._writer.stop(other_session, [other], now, f"group {entry.code} started")
            self._ctx.notify(f"stopped {other.code} on {other_session.patient}: group therapy "
                             "started", "information")
        started = [self._join(self._session_for(name, now, payer), entry.code, now, len(names))
                   for name in names]
        self._ctx.clock.saw(now)
        return started

    def _join(self, session: Session, code: str, now: datetime, size: int) -> Segment:
        """The group code started in one patient's session, which keeps the group's size."""
        segment = Segment(session_id=session.id, code=code, start=now,
                          furnished_by=self._ctx.settings.role)
        grouped = session.model_copy(update={"group_size": size})
        change_id = uuid4()
        with self._writer.day(session) as change:
            change.put("segments", segment)
            change.put("sessions", grouped)
            change.add("audit", self._writer.audit(change_id, Action.START, session,
                                                   segment.id, after=dump(segment)))
            change.add("audit", self._writer.audit(
                change_id, Action.EDIT, session, before={"group_size": session.group_size},
                after={"group_size": size}, reason=f"group of {size}"))
        return segment

    def _names(self, patients: Sequence[str]) -> list[str]:
        names = list(dict.fromkeys(self._guards.patient_ref(name) for name in patients
                                   if name.strip()))
        if len(names) < 2:
            raise InvalidChange("a group is two or more patients: give their references, "
                                "separated by commas")
        if len(names) > MAX_GROUP:
            raise InvalidChange(f"a group holds at most {MAX_GROUP} patients: "
                                f"{len(names)} were given")
        return names

    def newcomers(self, patients: Sequence[str], new_payer: str | None = None
                  ) -> dict[str, str]:
        """The patients of a group who get a new session on a payer nobody chose for them,
        with that payer (to be confirmed first): a patient never seen, or one whose last
        payer is no longer in the settings. Writes nothing."""
        today = self._ctx.local(self._writer.now()).date()
        found = {}
        for name in self._names(patients):
            if (self._open_today(name, today) is None
                    and self._payer_of(self._ctx.queries.last_visit(name)) is None):
                found[name] = new_payer or self._ctx.settings.payers[0].name
        return found

    def _open_today(self, patient: str, today: date) -> Session | None:
        return next((s for s in self._ctx.queries.open_sessions()
                     if s.patient == patient and s.date_of_service == today), None)

    def _payer_of(self, last: Visit | None) -> str | None:
        """The payer of a patient's latest session, while the settings still have it."""
        payers = {p.name for p in self._ctx.settings.payers}
        return last.payer if last is not None and last.payer in payers else None

    def _session_for(self, patient: str, now: datetime, new_payer: str | None) -> Session:
        """The patient's open session of today, or a new one under their last payer and
        discipline (`new_payer`, else the settings' first payer, for a new patient)."""
        session = self._open_today(patient, self._ctx.local(now).date())
        if session is not None:
            return session
        last = self._ctx.queries.last_visit(patient)
        payer = self._payer_of(last) or new_payer or self._ctx.settings.payers[0].name
        return self._sessions.create(patient, payer,
                                     None if last is None else last.discipline)

    def stop(self) -> list[Segment]:
        """Stop the running group in every session at one instant."""
        running = self._guards.running_group()
        if not running:
            raise InvalidChange("no group is running")
        now = self._writer.now()
        stopped = []
        for segment in running:
            stopped += self._writer.stop(self._ctx.queries.session(segment.session_id),
                                         [segment], now, "group stopped")
        return stopped
