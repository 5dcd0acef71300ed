"""Kill -9 at random moments: every file still parses and every acknowledged write is there."""

import json
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from uuid import UUID

import pytest

from core.settings import Settings
from storage.repository import Repository
from tests.helpers import rebuilt_equals_kept

KILLS = 24

WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from core.settings import Settings
from storage.repository import Repository

repo = Repository.open(Path(sys.argv[1]), lambda: datetime.now(UTC), Settings())
print("ready", flush=True)
codes = ["97110", "97140", "97530", "97112"]
n = 0
while True:
    session = repo.commands.create_session(f"K{n}", "Medicare")
    print("session", session.id, session.date_of_service, flush=True)
    for code in codes:
        segment = repo.commands.start(session.id, code)
        print("start", session.id, segment.id, flush=True)
    repo.commands.close_session(session.id, stop_running=True)
    print("closed", session.id, flush=True)
    n += 1
"""


@pytest.mark.slow
def test_sigkill_never_loses_an_acknowledged_write(tmp_path):
    data = tmp_path / "data"
    acked_sessions: dict[UUID, str] = {}
    acked_segments: dict[UUID, UUID] = {}
    closed: set[UUID] = set()
    rng = random.Random(20261122)
    for _ in range(KILLS):
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(data)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        for line in out.splitlines():
            kind, *rest = line.split()
            if kind == "session":
                acked_sessions[UUID(rest[0])] = rest[1]
            elif kind == "start" and len(rest) == 2:
                acked_segments[UUID(rest[1])] = UUID(rest[0])
            elif kind == "closed":
                closed.add(UUID(rest[0]))
    assert len(acked_segments) > KILLS  # the children did write between kills

    for path in data.rglob("*.json"):
        json.loads(path.read_text())  # every file parses
    assert not list(data.rglob("*.corrupt-*"))

    settings = Settings()
    with Repository.open(data, lambda: datetime.now(UTC), settings) as repo:
        assert not list(data.rglob(".*.tmp"))  # stale temps are cleared on open
        # A kill between a day file and the index is found from the stamps and derived again.
        assert all("index of sessions was rebuilt" in n.message for n in repo.pop_notices())
        days = {datetime.fromisoformat(d).date() for d in acked_sessions.values()}
        stored = {s.id: s for day in days for s in repo.queries.sessions_on(day)}
        assert set(acked_sessions) <= set(stored)
        segments = {s.id for session_id in stored for s in repo.queries.segments_of(session_id)}
        assert set(acked_segments) <= segments
        assert all(not stored[s].is_open for s in closed)
        # What was running when a child died is still running: nothing silently stopped.
        open_ids = {s.id for s in repo.queries.open_sessions()}
        assert open_ids == {s for s in stored if stored[s].is_open}
        rebuilt_equals_kept(repo)
