"""Random sequences of everything a therapist does, against a plain model of the sessions.

After every step the store and the model agree (every session's state and every segment, to
the second), and every derived index equals a rebuild from the day files. Between steps the
folder is sometimes opened again from disk, killed without a clean exit, backed up and
restored, or exported and imported into a fresh folder; killed in the middle of appending to
a day's journal, or after rewriting a day file before its journal was removed.
"""

import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from core.settings import Settings
from storage.backup import restore_backup, verify_backup, write_backup
from storage.errors import InvalidChange, OverlapError
from storage.imports import import_segments
from storage.repository import Repository
from storage.store import Store
from tests.conftest import FakeClock
from tests.helpers import export_segments, killed, rebuilt_equals_kept

TIMED = ("97110", "97140", "97530")
UNTIMED = ("97010",)
Seg = tuple[str, datetime, datetime | None]  # code, start, end


@dataclass
class Model:
    """What a therapist would say happened, session by session."""

    open: bool = True
    segments: dict[UUID, Seg] = field(default_factory=dict)
    history: list[tuple[bool, dict[UUID, Seg]]] = field(default_factory=list)

    def remember(self) -> None:
        """Before an undoable change: undo puts this back."""
        self.history.append((self.open, dict(self.segments)))


class Clinic(RuleBasedStateMachine):
    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        root = Path(tempfile.mkdtemp(dir=self.base))
        self.folders = iter(root / f"f{n}" for n in range(10_000))
        self.clock = FakeClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
        self.settings = Settings(therapist="Dana Reyes", timezone="America/New_York")
        self.data = next(self.folders)
        self.repo = Repository.open(self.data, self.clock, self.settings)
        self.model: dict[UUID, Model] = {}

    base = ""

    def teardown(self) -> None:
        self.repo.close()

    # ---- the model's rules -------------------------------------------------------------------

    def running_timed(self) -> list[tuple[UUID, UUID, datetime]]:
        return [(sid, gid, start) for sid, m in self.model.items()
                for gid, (code, start, end) in m.segments.items() if end is None and code in TIMED]

    def overlaps(self, start: datetime, end: datetime | None, ignore: set[UUID]) -> bool:
        for m in self.model.values():
            for gid, (code, other_start, other_end) in m.segments.items():
                if gid in ignore or code not in TIMED:
                    continue
                if (other_end is None or start < other_end) and (end is None or other_start < end):
                    return True
        return False

    @staticmethod
    def moved_back(m: Model, running: UUID, at: datetime) -> set[UUID]:
        """A running code backdated to `at`: itself and the timed segment the switch ended."""
        code, start, _ = m.segments[running]
        return {running} | {g for g, (c, s, e) in m.segments.items()
                            if code in TIMED and c in TIMED and e == start and s < at}

    # ---- rules --------------------------------------------------------------------------------

    @initialize(target=sessions)
    def first_session(self) -> UUID:
        return self.create_session_now("P0")

    @rule(target=sessions, patient=st.sampled_from(["AB12", "CD34", "EF56"]))
    def create(self, patient: str) -> UUID:
        return self.create_session_now(patient)

    def create_session_now(self, patient: str) -> UUID:
        session = self.repo.commands.create_session(patient, "Medicare")
        self.model[session.id] = Model()
        return session.id

    @rule(minutes=st.integers(1, 40), seconds=st.integers(0, 59))
    def time_passes(self, minutes: int, seconds: int) -> None:
        self.clock.advance(minutes=minutes, seconds=seconds)

    @rule(session=sessions, code=st.sampled_from(TIMED + UNTIMED),
          back=st.sampled_from([0, 0, 0, 3, 9]))
    def start(self, session: UUID, code: str, back: int) -> None:
        now = self.clock.now
        at = now - timedelta(minutes=back)
        m = self.model[session]
        already = [g for g, (c, _, e) in m.segments.items() if c == code and e is None]
        try:
            started = self.repo.commands.start(session, code, at=at if back else None)
        except InvalidChange as error:
            assert not m.open or isinstance(error, OverlapError) or (
                already and back and at >= m.segments[already[0]][1]), error
            if isinstance(error, OverlapError) and already:
                assert code in TIMED and self.overlaps(at, None, self.moved_back(m, already[0], at))
            elif isinstance(error, OverlapError):
                stoppable = {g for _, g, s in self.running_timed() if s <= at}
                assert code in TIMED and self.overlaps(at, None, stoppable)
            return
        assert m.open
        if already and back:  # started late: its start and the switch before it move back
            ignore = self.moved_back(m, already[0], at)
            assert code not in TIMED or not self.overlaps(at, None, ignore)
            m.remember()
            for gid in ignore - {already[0]}:
                c, s, _ = m.segments[gid]
                m.segments[gid] = (c, s, at)
            m.segments[already[0]] = (code, at, None)
            assert started.id == already[0]
            return
        if already:
            assert started.id == already[0]
            return
        m.remember()
        if code in TIMED:
            stopping = [(sid, gid) for sid, gid, s in self.running_timed() if s <= at]
            assert not self.overlaps(at, None, {g for _, g in stopping})
            for sid in {sid for sid, _ in stopping} - {session}:
                self.model[sid].remember()  # its stop is its own change, undone on its own
            for sid, gid in stopping:
                c, s, _ = self.model[sid].segments[gid]
                self.model[sid].segments[gid] = (c, s, at)
        m.segments[started.id] = (code, at, None)

    @rule(session=sessions)
    def pause(self, session: UUID) -> None:
        m = self.model[session]
        try:
            self.repo.commands.stop(session)
        except InvalidChange:
            assert not m.open
            return
        running = [g for g, (c, _, e) in m.segments.items() if e is None and c in TIMED]
        if running:
            m.remember()
        for gid in running:
            code, start, _ = m.segments[gid]
            m.segments[gid] = (code, start, max(self.clock.now, start))

    @rule(session=sessions, data=st.data())
    def delete(self, session: UUID, data: st.DataObject) -> None:
        m = self.model[session]
        if not m.segments:
            return
        gid = list(m.segments)[data.draw(st.integers(0, len(m.segments) - 1))]
        try:
            self.repo.commands.delete_segment(session, gid)
        except InvalidChange:
            assert not m.open
            return
        m.remember()
        del m.segments[gid]

    @rule(session=sessions, data=st.data(), shift=st.integers(-5, 5))
    def edit(self, session: UUID, data: st.DataObject, shift: int) -> None:
        """Move a stopped segment's end (mistimed): refused if it would overlap."""
        m = self.model[session]
        stopped = [g for g, (_, _, e) in m.segments.items() if e is not None]  # in their order
        if not stopped:
            return
        gid = stopped[data.draw(st.integers(0, len(stopped) - 1))]
        code, start, end = m.segments[gid]
        assert end is not None
        new_end = min(max(end + timedelta(minutes=shift), start), self.clock.now)
        try:
            self.repo.commands.edit_segment(session, gid, end=new_end, reason="mistimed")
        except InvalidChange as error:
            assert not m.open or (isinstance(error, OverlapError) and code in TIMED
                                  and self.overlaps(start, new_end, {gid}))
            return
        assert m.open and not (code in TIMED and self.overlaps(start, new_end, {gid}))
        m.remember()
        m.segments[gid] = (code, start, new_end)

    @rule(session=sessions)
    def close(self, session: UUID) -> None:
        m = self.model[session]
        try:
            self.repo.commands.close_session(session, stop_running=True)
        except InvalidChange:
            assert not m.open
            return
        m.remember()
        m.open = False
        for gid, (code, start, end) in list(m.segments.items()):
            if end is None:
                m.segments[gid] = (code, start, max(self.clock.now, start))

    @rule(session=sessions)
    def reopen(self, session: UUID) -> None:
        m = self.model[session]
        try:
            self.repo.commands.reopen_session(session, "forgot a code")
        except InvalidChange:
            assert m.open
            return
        m.remember()
        m.open = True

    @rule(session=sessions)
    def undo(self, session: UUID) -> None:
        m = self.model[session]
        try:
            self.repo.commands.undo(session)
        except OverlapError:
            _, earlier = m.history[-1]
            touched = set(earlier) | set(m.segments)
            assert any(code in TIMED and self.overlaps(start, end, touched)
                       for code, start, end in earlier.values())
            return
        except InvalidChange:
            assert not m.history or not m.open  # a closed session is reopened, not undone
            return
        assert m.open
        m.open, m.segments = m.history.pop()

    @rule()
    def reopen_from_disk(self) -> None:
        self.repo.close()
        self.repo = Repository.open(self.data, self.clock, self.settings)

    @rule()
    def killed_and_started_again(self) -> None:
        killed(self.repo)
        self.repo = Repository.open(self.data, self.clock, self.settings)

    @rule(tail=st.binary(min_size=1, max_size=40))
    def killed_in_the_middle_of_an_append(self, tail: bytes) -> None:
        """A line cut short in a day's journal was never acknowledged: never replayed."""
        killed(self.repo)
        for appended in self.data.glob("days/*/*.journal"):
            with appended.open("ab") as out:
                out.write(tail.replace(b"\n", b" "))
        self.repo = Repository.open(self.data, self.clock, self.settings)

    @rule(session=sessions)
    def killed_after_a_close_before_its_journal_went(self, session: UUID) -> None:
        """The day file rewritten whole, then the process gone before the journal it holds
        was removed: that journal is never replayed, and removed without a word (the file
        holds every event of it)."""
        left = {path: path.read_bytes() for path in self.data.glob("days/*/*.journal")}
        self.close(session)
        killed(self.repo)
        for path, content in left.items():
            if not path.exists():
                path.write_bytes(content)
        self.repo = Repository.open(self.data, self.clock, self.settings)
        assert not [n for n in self.repo.pop_notices() if "journal" in n.message]
        assert not list(self.data.glob("days/*/*.stale-*"))

    @rule()
    def backup_and_restore(self) -> None:
        archive = self.data.parent / f"{self.data.name}.tar.gz"
        with archive.open("wb") as out:
            write_backup(self.data, out)
        verify_backup(archive)
        self.repo.close()
        self.data = next(self.folders)
        with restore_backup(archive, self.data):
            pass
        self.repo = Repository.open(self.data, self.clock, self.settings)

    @precondition(lambda self: not any(m.open for m in self.model.values()))
    @rule()
    def export_import_round_trip(self) -> None:
        """With every session closed, the segments CSV carries them all exactly."""
        text = export_segments(self.repo)
        source = self.data.parent / f"{self.data.name}.csv"
        source.write_text(text)
        other = next(self.folders)
        with Repository.open(other, self.clock, self.settings) as fresh:
            report = import_segments(fresh, source)
            assert report.errors == ()
            assert export_segments(fresh) == text

    # ---- what must hold after every step ------------------------------------------------------

    @invariant()
    def the_store_agrees_with_the_model(self) -> None:
        for session_id, m in self.model.items():
            session = self.repo.queries.session(session_id)
            assert session.is_open == m.open
            stored = {s.id: (s.code, s.start, s.end) for s in
                      self.repo.queries.segments_of(session_id)}
            assert stored == m.segments
        running = {s.id for s in self.repo.queries.running_segments()}
        assert running == {gid for m in self.model.values() if m.open
                           for gid, (_, _, end) in m.segments.items() if end is None}
        assert {s.id for s in self.repo.queries.open_sessions()} == {
            sid for sid, m in self.model.items() if m.open}

    @invariant()
    def the_index_equals_a_rebuild(self) -> None:
        rebuilt_equals_kept(self.repo)

    @invariant()
    def every_file_written_reads_back_cleanly(self) -> None:
        """Whatever the commands wrote, a fresh store reads whole: nothing skipped, nothing
        that would be moved aside."""
        told: list[str] = []
        fresh = Store(self.data, lambda message, severity: told.append(message), writer=False)
        files = [*self.data.glob("days/*/*.json"), *self.data.glob("index/*.json"),
                 *self.data.glob("patients.json")]
        for path in files:
            fresh.read_once(path)
        assert told == [] and fresh.skipped() == {}


LONG = int(os.environ.get("TABLETIME_STATE_EXAMPLES", "150"))


@pytest.mark.parametrize("examples", [pytest.param(30, id="quick"),
                                      pytest.param(LONG, id="long", marks=pytest.mark.slow)])
def test_the_store_behaves_like_the_model(tmp_path: Path, examples: int) -> None:
    Clinic.base = str(tmp_path)
    test = Clinic.TestCase
    test.settings = settings(max_examples=examples, stateful_step_count=30, deadline=None,
                             suppress_health_check=list(HealthCheck))
    test("runTest").runTest()

