"""An export reads the year so far (KX) once per year of its range, not once per day, and says
what the day-by-day reading said: the claim lines and the sessions of the golden folder, whose
range crosses a new year, with an open session on its last day, and of weekly visits that pass
the KX threshold within the range."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from core.billing.day import YearToDate, day_claim_rows
from core.formats.claims_csv import line_row
from storage.reports import write_lines, write_sessions
from storage.repository import Repository
from tests.golden.folder import NOW, SETTINGS, Clock, build_folder
from tests.storage.test_reports import weekly

FIRST, LAST = date(2025, 12, 1), date(2026, 3, 31)


class Counting:
    """A folder (storage/reading.py) that counts how often it is asked for the year so far."""

    def __init__(self, folder: Repository) -> None:
        self._folder = folder
        self.asked: list[date] = []
        self.settings, self.catalog, self.zone = folder.settings, folder.catalog, folder.zone
        self.days, self.day_sessions = folder.days, folder.day_sessions
        self.open_sessions, self.skipped, self.missing = (
            folder.open_sessions, folder.skipped, folder.missing)

    def year_to_date(self, day: date) -> YearToDate:
        self.asked.append(day)
        return self._folder.year_to_date(day)


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("golden") / "data"
    build_folder(path)
    return path


def day_by_day(repo: Repository, first: date | None, last: date | None) -> list[list[str]]:
    """The claim lines as each day's own year so far makes them."""
    return [line_row(row) for day in repo.days(first, last)
            for row in day_claim_rows(day, [(s, g) for s, g in repo.day_sessions(day)
                                            if not s.is_open],
                                      NOW, repo.catalog, repo.year_to_date(day))]


def exported_lines(folder: Counting, first: date | None, last: date | None) -> list[list[str]]:
    out = io.StringIO()
    write_lines(folder, first, last, NOW, out)
    return list(csv.reader(io.StringIO(out.getvalue())))[1:]


def test_the_claim_lines_read_the_year_so_far_once_a_year_and_say_what_each_day_said(golden):
    with Repository.open(golden, Clock(NOW), SETTINGS, read_only=True) as repo:
        folder = Counting(repo)
        assert exported_lines(folder, FIRST, LAST) == day_by_day(repo, FIRST, LAST)
        assert folder.asked == [date(2025, 12, 29), date(2026, 3, 2)]


def test_a_threshold_passed_within_the_range_is_passed_on_the_same_line(repo, clock):
    weekly(repo, clock, "AB12", 30, datetime(2026, 1, 5, 15, tzinfo=UTC))
    folder = Counting(repo)
    lines = exported_lines(folder, date(2026, 2, 1), None)
    assert lines == day_by_day(repo, date(2026, 2, 1), None)
    assert "KX" not in lines[0] and "KX" in lines[-1]
    assert folder.asked == [date(2026, 2, 2)]


def test_the_sessions_read_the_year_so_far_once_a_year(golden):
    with Repository.open(golden, Clock(NOW), SETTINGS, read_only=True) as repo:
        folder = Counting(repo)
        write_sessions(folder, FIRST, LAST, NOW, io.StringIO())
        assert folder.asked == [date(2025, 12, 29), date(2026, 3, 2)]
        assert any(s.is_open for s, _ in repo.day_sessions(LAST.replace(day=27)))
