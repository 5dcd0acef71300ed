"""What a person sees, frozen: fixed clock, fixed data, 100 x 30. Review changes in the report."""

from datetime import timedelta

import pytest

from .conftest import SIZE


@pytest.fixture
def day(open_app, clock):
    """A morning: one closed session, one with 97140 running for 6:30 and a hot pack."""
    app = open_app()
    repo = app.repo
    closed = repo.commands.create_session("RB1187", "Medicare")
    start = clock.now
    clock.advance(minutes=40)
    repo.commands.add_segment(closed.id, "97110", start, start + timedelta(minutes=33))
    repo.commands.add_segment(closed.id, "97140", start + timedelta(minutes=33), clock.now)
    repo.commands.close_session(closed.id)
    clock.advance(minutes=5)
    running = repo.commands.create_session("JS5520", "Commercial")
    repo.commands.start(running.id, "97110")
    repo.commands.start(running.id, "97010")
    clock.advance(minutes=12)
    repo.commands.start(running.id, "97140")
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


@pytest.fixture
def day_with_warnings(open_app, clock):
    """One patient seen twice (pooled), per-code units beyond the clock time, a session open."""
    app = open_app()
    repo = app.repo
    first = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=10)
    repo.commands.add_segment(first.id, "97110", clock.now - timedelta(minutes=10), clock.now)
    repo.commands.close_session(first.id)
    other = repo.commands.create_session("CD34", "Commercial")
    clock.advance(minutes=20)
    repo.commands.add_segment(other.id, "97530", clock.now - timedelta(minutes=20),
                     clock.now - timedelta(minutes=10))
    repo.commands.add_segment(other.id, "97116", clock.now - timedelta(minutes=10), clock.now)
    clock.advance(hours=3)
    second = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=10)
    repo.commands.add_segment(second.id, "97110", clock.now - timedelta(minutes=10), clock.now)
    repo.commands.close_session(second.id)
    repo.commands.close_session(other.id)
    late = repo.commands.create_session("EF56", "Medicare")
    repo.commands.start(late.id, "97140")
    clock.advance(minutes=5)
    repo.pop_notices()
    return app


def test_day_summary_with_warnings(snap_compare, day_with_warnings):
    assert snap_compare(day_with_warnings, press=["d"], terminal_size=SIZE)
