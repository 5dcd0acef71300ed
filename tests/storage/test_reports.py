"""Reports from a data folder: lines with KX through the year, sessions with chart notes."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.billing.modifiers import TherapyBucket
from storage.errors import InvalidChange
from storage.indexes import Indexes
from storage.reports import left_open, left_open_text, write_lines, write_sessions
from storage.repository import Repository
from storage.views import day_view, patient_history_view


def export_lines(repo, first, last, now):
    out = io.StringIO()
    write_lines(repo, first, last, now, out)
    return out.getvalue()


def export_sessions(repo, first, last, now):
    out = io.StringIO()
    write_sessions(repo, first, last, now, out)
    return out.getvalue()


def visit(repo, clock, patient, code="97530", minutes=60, payer="Medicare", note=""):
    session = repo.commands.create_session(patient, payer)
    clock.advance(minutes=minutes)
    repo.commands.add_segment(session.id, code, clock.now - timedelta(minutes=minutes), clock.now,
                     note=note)
    return repo.commands.close_session(session.id)


def weekly(repo, clock, patient, weeks, start):
    clock.set(start)
    for _ in range(weeks):
        visit(repo, clock, patient)
        clock.advance(days=7)


def lines(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_lines_carry_kx_from_the_visit_that_passes_the_threshold(repo, clock):
    weekly(repo, clock, "AB12", 30, datetime(2026, 1, 5, 15, tzinfo=UTC))
    rows = lines(export_lines(repo, None, None, clock.now))
    kx = ["KX" in (r["modifier_2"], r["modifier_3"]) for r in rows]
    first = kx.index(True)
    assert first > 0 and all(kx[first:]) and not any(kx[:first])
    running = sum(Decimal(r["estimated_amount"]) for r in rows[: first + 1])
    assert running > Decimal(2480) >= running - Decimal(rows[first]["estimated_amount"])


def test_kx_in_a_partial_range_counts_the_year_before_it(repo, clock):
    weekly(repo, clock, "AB12", 30, datetime(2026, 1, 5, 15, tzinfo=UTC))
    everything = lines(export_lines(repo, None, None, clock.now))
    july = lines(export_lines(repo, date(2026, 7, 1), date(2026, 7, 31), clock.now))
    assert july and july == [r for r in everything if r["date_of_service"].startswith("2026-07")]


def test_kx_starts_again_at_the_year_change(repo, clock):
    weekly(repo, clock, "AB12", 36, datetime(2026, 6, 1, 15, tzinfo=UTC))  # into 2027
    rows = lines(export_lines(repo, date(2027, 1, 1), None, clock.now))
    assert rows and not any("KX" in r.values() for r in rows)
    history = patient_history_view(repo, "AB12")
    first_2027 = next(e for e in history if e.day.year == 2027)
    assert first_2027.year_to_date == first_2027.visit.amount and not first_2027.kx


def test_load_day_uses_the_year_so_far_for_kx(repo, clock):
    weekly(repo, clock, "AB12", 30, datetime(2026, 1, 5, 15, tzinfo=UTC))
    last_day = repo.queries.days()[-1]
    summary = day_view(repo, last_day, clock.now)
    assert all("KX" in row.modifiers for row in summary.rows)
    assert any(c.kind.value == "kx" for c in summary.checks)


def test_formula_cells_come_out_inert_and_values_plain(repo, clock):
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    visit(repo, clock, '=HYPERLINK("x")', code="97110", minutes=23, note="@SUM(A1)")
    (row,) = lines(export_lines(repo, None, None, clock.now))
    assert row["patient"] == '\'=HYPERLINK("x")'
    assert (row["date_of_service"], row["units"], row["minutes"]) == ("2026-03-02", "2", "23")
    assert row["estimated_amount"] == f"{Decimal(row['estimated_amount']):.2f}"
    (session_row,) = lines(export_sessions(repo, None, None, clock.now))
    assert session_row["patient"] == '\'=HYPERLINK("x")'
    assert "Total timed code minutes: 23" in session_row["chart_note"]
    assert session_row["estimated_amount"] == row["estimated_amount"]


def test_a_note_starting_like_a_formula_is_inert_in_the_chart_note_cell(repo, clock):
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    session = visit(repo, clock, "AB12", minutes=15)
    (row,) = lines(export_sessions(repo, None, None, clock.now))
    assert row["session_id"] == str(session.id) and row["chart_note"].startswith("Date")
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())


def test_the_year_so_far_agrees_with_the_patient_history(repo, clock):
    weekly(repo, clock, "AB12", 10, datetime(2026, 1, 5, 15, tzinfo=UTC))
    clock.set(datetime(2026, 2, 3, 15, tzinfo=UTC))
    visit(repo, clock, "AB12", payer="Commercial")  # not Medicare: not in the year so far
    day = date(2026, 3, 2)
    history = patient_history_view(repo, "AB12")
    expected = sum(e.visit.amount or 0 for e in history if e.visit.medicare and e.day < day)
    assert repo.queries.year_to_date(day) == {("AB12", TherapyBucket.PT_SLP): expected}


def test_reopen_takes_the_amount_out_and_close_puts_it_back(repo, clock):
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    closed = visit(repo, clock, "AB12")
    later = date(2026, 3, 3)
    amount = repo.queries.year_to_date(later)[("AB12", TherapyBucket.PT_SLP)]
    repo.commands.reopen_session(closed.id, "forgot a code")
    assert repo.queries.year_to_date(later) == {}
    repo.commands.close_session(closed.id)
    assert repo.queries.year_to_date(later) == {("AB12", TherapyBucket.PT_SLP): amount}
    with pytest.raises(InvalidChange, match="closed"):
        repo.commands.undo(closed.id)  # a close is not undone: reopening takes a reason
    repo.commands.reopen_session(closed.id, "one more code")
    assert repo.queries.year_to_date(later) == {}
    repo.commands.undo(closed.id)  # undoing the reopen closes it again
    assert repo.queries.year_to_date(later) == {("AB12", TherapyBucket.PT_SLP): amount}


def test_a_close_killed_before_the_index_is_written_is_finished_at_the_next_start(
    repo, clock, data_dir, settings, monkeypatch
):
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    session = repo.commands.create_session("AB12", "Medicare")
    clock.advance(minutes=30)
    repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=30), clock.now)

    def killed(*args, **kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr(Indexes, "day_changed", killed)
    with pytest.raises(SystemExit):
        repo.commands.close_session(session.id)
    monkeypatch.undo()
    repo.close()
    with Repository.open(data_dir, clock, settings) as again:
        assert again.queries.open_sessions() == []  # the index heals from the day file
        assert again.queries.year_to_date(date(2026, 3, 3))[("AB12", TherapyBucket.PT_SLP)] > 0


def test_open_sessions_are_not_billed_and_are_named(repo, clock):
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
    visit(repo, clock, "AB12")
    still = repo.commands.create_session("CD34", "Medicare")
    repo.commands.start(still.id, "97110")
    clock.advance(minutes=20)
    rows = lines(export_lines(repo, None, None, clock.now))
    assert [r["patient"] for r in rows] == ["AB12"]
    assert [s.id for s in left_open(repo, None, None)] == [still.id]
    assert "CD34 2026-03-02" in left_open_text(left_open(repo, None, None))
