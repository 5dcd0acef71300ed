"""What a person sees, frozen: fixed clock, fixed data, 100 x 30. Review changes in the report."""

from datetime import timedelta

import pytest

from .conftest import SIZE


@pytest.fixture
def day(open_app, clock):
    """A morning: one closed session, one with 97140 running for 6:30 and a hot pack."""
    app = open_app()
    repo = app.repo
    closed = repo.create_session("RB1187", "Medicare")
    start = clock.now
    clock.advance(minutes=40)
    repo.add_segment(closed.id, "97110", start, start + timedelta(minutes=33))
    repo.add_segment(closed.id, "97140", start + timedelta(minutes=33), clock.now)
    repo.close_session(closed.id)
    clock.advance(minutes=5)
    running = repo.create_session("JS5520", "Commercial")
    repo.start(running.id, "97110")
    repo.start(running.id, "97010")
    clock.advance(minutes=12)
    repo.start(running.id, "97140")
    clock.advance(minutes=6, seconds=30)
    repo.pop_notices()
    return app


def test_today(snap_compare, day):
    assert snap_compare(day, terminal_size=SIZE)


def test_session_with_a_running_timer(snap_compare, day):
    assert snap_compare(day, press=["down", "enter"], terminal_size=SIZE)


def test_review(snap_compare, day):
    assert snap_compare(day, press=["down", "enter", "c"], terminal_size=SIZE)


def test_help(snap_compare, day):
    assert snap_compare(day, press=["f1"], terminal_size=SIZE)
