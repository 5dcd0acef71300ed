"""Group therapy: one group code started at one instant in the open session of today of each
of two or more patients (a new session where there is none), and stopped in all at once. The
group follows the room: a late patient joins it, one leaves early, and the group's sessions
close together. Every member's session is at the group's place, in its mode (in person or
telehealth): a new session takes them, and a patient whose open session of today is elsewhere
is refused (a session has one place; p corrects it).

`group_size` is the most patients treated at once in a group during the visit (what the
chart note says): a patient who joins raises it for everyone in the group from then on (the
members running then, and the newcomer); a patient who leaves keeps theirs, and so do the
others (they were in the larger group)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID, uuid4

from core.audit import Action
from core.care.history import Visit
from core.models import Segment
from core.place import Place
from core.session import MAX_GROUP, Session
from storage.commands.guards import Guards
from storage.commands.sessions import Sessions, checked_place, default_place
from storage.commands.writing import Writer, dump
from storage.context import Context
from storage.errors import InvalidChange, StorageError, disk_problem
from storage.store import Change

Member = tuple[Session, Segment]
"""A patient in the running group: their session and its running group segment."""


@dataclass(frozen=True)
class GroupClosed:
    """What closing a group's sessions did: each session closed, or refused with why (each
    session is its own write: one refused leaves the others closed)."""

    closed: list[Session] = field(default_factory=list)
    refused: list[tuple[Session, str]] = field(default_factory=list)


class Group:
    def __init__(self, context: Context, guards: Guards, writer: Writer,
                 sessions: Sessions) -> None:
        self._ctx, self._guards, self._writer = context, guards, writer
        self._sessions = sessions

    def start(self, patients: Sequence[str], code: str = "97150", *,
              new_payer: str | None = None, place: Place | None = None) -> list[Segment]:
        """Group therapy (97150; 92508 for speech) for two or more patients at once (at most
        MAX_GROUP): each gets its open session of today (a new one takes the patient's last
        payer and discipline, or `new_payer` for a patient seen first, at the group's `place`,
        by default the settings'), the group code starts in all of them at one instant and
        each session keeps the group's size. The
        therapist's one-on-one timed code stops there (one pair of hands) and none starts
        while the group runs. Everything is checked before the first write."""
        self._guards.require_writer()
        entry = self._guards.group_code(code)
        names = self._names(patients)
        payer = self._guards.payer(new_payer).name if new_payer else None
        where = checked_place(default_place(self._ctx.settings) if place is None else place)
        self._guards.no_group_running()
        now = self._writer.now()
        for name in names:
            self._same_place(name, self._ctx.local(now).date(), where)
        for other in self._ctx.queries.running_timed():
            other_session = self._ctx.queries.session(other.session_id)
            self._writer.stop(other_session, [other], now, f"group {entry.code} started")
            self._ctx.notify(f"Stopped {other.code} on {other_session.patient}: group therapy "
                             "started", "information")
        started = [self._join(self._session_for(name, now, payer, where), entry.code, now,
                              len(names))
                   for name in names]
        self._ctx.clock.saw(now)
        return started

    def _join(self, session: Session, code: str, now: datetime, size: int,
              others: Sequence[Session] = ()) -> Segment:
        """The group code started in one patient's session, which keeps the group's size,
        and `others` of the same day file grown to that size: one write."""
        segment = Segment(session_id=session.id, code=code, start=now,
                          furnished_by=self._ctx.settings.role)
        change_id = uuid4()
        with self._writer.day(session) as change:
            change.put("segments", segment)
            change.add("audit", self._writer.audit(change_id, Action.START, session,
                                                   segment.id, after=dump(segment)))
            for grown in (session, *others):
                self._grow(change, change_id, grown, size)
        return segment

    def _grow(self, change: Change, change_id: UUID, session: Session, size: int) -> None:
        """The session's group size raised to `size` (never lowered: the most at once)."""
        if (session.group_size or 0) >= size:
            return
        change.put("sessions", session.model_copy(update={"group_size": size}))
        change.add("audit", self._writer.audit(
            change_id, Action.EDIT, session, before={"group_size": session.group_size},
            after={"group_size": size}, reason=f"group of {size}"))

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
            payer = self._newcomer(name, today, new_payer)
            if payer is not None:
                found[name] = payer
        return found

    def newcomer(self, patient: str, new_payer: str | None = None) -> str | None:
        """The payer a patient joining the group gets a new session on when nobody chose it
        for them (never seen, or their last payer is no longer in the settings); None when
        they have today's open session or a known last payer. Writes nothing."""
        name = self._guards.patient_ref(patient)
        return self._newcomer(name, self._ctx.local(self._writer.now()).date(), new_payer)

    def _newcomer(self, name: str, today: date, new_payer: str | None) -> str | None:
        if (self._open_today(name, today) is None
                and self._payer_of(self._ctx.queries.last_visit(name)) is None):
            return new_payer or self._ctx.settings.payers[0].name
        return None

    def check_place(self, patients: Sequence[str], place: Place) -> None:
        """InvalidChange when a patient's open session of today is elsewhere than `place`
        (what `start` would refuse, asked before anything else is). Writes nothing."""
        today = self._ctx.local(self._writer.now()).date()
        for name in self._names(patients):
            self._same_place(name, today, place)

    def _same_place(self, patient: str, today: date, place: Place) -> None:
        """The patient's open session of today, if any, is at the group's place and mode."""
        session = self._open_today(patient, today)
        if session is not None and session.place != place:
            raise InvalidChange(f"{patient}'s session today is {session.place.words()}, the "
                                f"group's {place.words()}: a session has one place (p corrects "
                                "it)")

    def _open_today(self, patient: str, today: date) -> Session | None:
        return next((s for s in self._ctx.queries.open_sessions()
                     if s.patient == patient and s.date_of_service == today), None)

    def _payer_of(self, last: Visit | None) -> str | None:
        """The payer of a patient's latest session, while the settings still have it."""
        payers = {p.name for p in self._ctx.settings.payers}
        return last.payer if last is not None and last.payer in payers else None

    def _session_for(self, patient: str, now: datetime, new_payer: str | None,
                     place: Place) -> Session:
        """The patient's open session of today, or a new one at `place` under their last
        payer and discipline (`new_payer`, else the settings' first payer, for a new
        patient)."""
        session = self._open_today(patient, self._ctx.local(now).date())
        if session is not None:
            return session
        last = self._ctx.queries.last_visit(patient)
        payer = self._payer_of(last) or new_payer or self._ctx.settings.payers[0].name
        return self._sessions.create(patient, payer,
                                     None if last is None else last.discipline, place)

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

    # ---- the group follows the room -------------------------------------------------------

    def members(self) -> list[Member]:
        """The patients in the running group (their session and group segment), in the order
        they joined; empty when no group runs."""
        return [(self._ctx.queries.session(s.session_id), s)
                for s in self._guards.running_group()]

    def _running(self) -> list[Member]:
        members = self.members()
        if not members:
            raise InvalidChange("no group is running: start one first (g on Today)")
        return members

    def join(self, patient: str, *, new_payer: str | None = None) -> Segment:
        """A late patient joins the running group: the group code starts now in their open
        session of today (a new one at the group's place, as `start` makes it, when there is
        none), and the group size of everyone in it is raised to the count from now on.
        Refused, writing nothing: no group running, the patient in it already, one-on-one
        time of theirs running (one pair of hands), their session elsewhere than the group,
        a group of MAX_GROUP already."""
        self._guards.require_writer()
        members = self._running()
        name = self._guards.patient_ref(patient)
        payer = self._guards.payer(new_payer).name if new_payer else None
        already = next((segment for session, segment in members if session.patient == name),
                       None)
        if already is not None:
            raise InvalidChange(f"{name} is in the group already (since "
                                f"{self._ctx.local(already.start):%H:%M})")
        if len(members) >= MAX_GROUP:
            raise InvalidChange(f"a group holds at most {MAX_GROUP} patients: this one has "
                                f"{len(members)}")
        self._hands_free(name)
        now = self._writer.now()
        place = members[0][0].place
        self._same_place(name, self._ctx.local(now).date(), place)
        session = self._session_for(name, now, payer, place)
        size = len(members) + 1
        others = [s for s, _ in members]
        joined = self._join(session, members[0][1].code, now, size,
                            [s for s in others if s.date_of_service == session.date_of_service])
        self._grow_elsewhere([s for s in others if s.date_of_service != session.date_of_service],
                             size)
        self._ctx.clock.saw(now)
        return joined

    def _hands_free(self, patient: str) -> None:
        """No one-on-one time (timed, or an evaluation) of the patient is running."""
        catalog = self._ctx.catalog
        sessions = {s.id for s in self._ctx.queries.open_sessions() if s.patient == patient}
        for segment in self._ctx.queries.running_segments():
            if segment.session_id in sessions and (catalog.is_timed(segment.code)
                                                   or catalog.is_evaluation(segment.code)):
                raise InvalidChange(f"{patient} has {segment.code} running one-on-one: one "
                                    "pair of hands; stop it first")

    def _grow_elsewhere(self, sessions: Sequence[Session], size: int) -> None:
        """Members whose session is of another day file (a group past midnight): one write
        per day file."""
        by_day: dict[date, list[Session]] = {}
        for session in sessions:
            if (session.group_size or 0) < size:
                by_day.setdefault(session.date_of_service, []).append(session)
        for day_sessions in by_day.values():
            change_id = uuid4()
            with self._writer.day(day_sessions[0]) as change:
                for session in day_sessions:
                    self._grow(change, change_id, session, size)

    def leave(self, session_id: UUID) -> list[Segment]:
        """One patient leaves the running group early: their group segment ends now, the
        others keep running. Refused when it would leave a group of one (stop it instead)."""
        session = self._guards.writable(session_id)
        members = self._running()
        mine = [segment for member, segment in members if member.id == session_id]
        if not mine:
            raise InvalidChange(f"{session.patient} is not in the running group")
        if len(members) <= 2:
            raise InvalidChange(f"{session.patient} is one of the last two: a group is two or "
                                "more patients, so stop the group for both instead")
        return self._writer.stop(session, mine, self._writer.now(), "left the group")

    def sessions(self) -> list[Session]:
        """The open sessions of the group to close: the running group's, or else the latest
        group's that has an open session, with those who left it early or joined late (a
        group: group segments linked by overlapping time). In the order they joined."""
        open_by_id = {s.id: s for s in self._ctx.queries.open_sessions()}
        days = sorted({s.date_of_service for s in open_by_id.values()})
        segments = [s for day in days for s in self._ctx.queries.segments_on(day)
                    if self._ctx.catalog.is_group(s.code)]
        for group in reversed(_groups(segments)):
            found = [open_by_id[i] for i in dict.fromkeys(s.session_id for s in group)
                     if i in open_by_id]
            if found:
                return found
        return []

    def close(self, session_ids: Sequence[UUID]) -> GroupClosed:
        """Close the sessions of a group together: their group code stops at one instant,
        then each is closed as `close_session(stop_running=True)` does, each in its own write.
        Refused, writing nothing, when one is not open; a session whose write then fails is
        named with why in the result, and the others are closed all the same."""
        sessions = [self._guards.writable(i) for i in dict.fromkeys(session_ids)]
        if not sessions:
            raise InvalidChange("no open session of a group to close")
        now = self._writer.now()
        result = GroupClosed()
        for session in sessions:
            try:
                result.closed.append(self._close_one(session, now))
            except StorageError as error:
                result.refused.append((session, str(error)))
            except OSError as error:
                result.refused.append((session, f"not saved: {disk_problem(error)}"))
        return result

    def _close_one(self, session: Session, now: datetime) -> Session:
        group = [s for s in self._ctx.queries.segments_of(session.id)
                 if s.running and self._ctx.catalog.is_group(s.code)]
        if group:
            self._writer.stop(session, group, now, "group closed")
        return self._sessions.close(session.id, stop_running=True)


def _groups(segments: Sequence[Segment]) -> list[list[Segment]]:
    """Group segments in groups, earliest first: a segment starting before the group so far
    ends (a running one never ends) is in it."""
    groups: list[list[Segment]] = []
    end: datetime | None = None
    for segment in sorted(segments, key=lambda s: s.start):
        if groups and (end is None or segment.start <= end):
            groups[-1].append(segment)
            end = None if end is None or segment.end is None else max(end, segment.end)
        else:
            groups.append([segment])
            end = segment.end
    return groups
