"""Reading segments CSV rows back: the usual row's short path gives what the careful path
gives, a remembered cell never lets a bad time through, and a session is on its date in every
zone on Earth."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.catalog import default_catalog
from core.formats.import_rules import FileCheck
from core.formats.segment_rows import Row, RowParser, instant, micros

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
S1 = "11111111-1111-4111-8111-111111111111"
S2 = "22222222-2222-4222-8222-222222222222"
CATALOG = default_catalog()


def cells(session=S1, code="97110", start="2026-03-02T09:00:00-05:00",
          end="2026-03-02T09:20:00-05:00", seconds="1200", note="", day="2026-03-02",
          patient="AB12"):
    return [session, day, patient, "Medicare", "cms", "PT", code, start, end, seconds,
            "therapist", note]


ROWS = [cells(), cells(code="97140", start="2026-03-02T09:20:00-05:00",
                       end="2026-03-02T09:31:30.250000-05:00", seconds="690"),
        cells(session=S2, patient="'=CD34", note="gait belt, \"150 ft\" é x2", seconds=""),
        cells(session=S2, code="97010", start="2026-03-02T14:50:00+00:00", end="",
              seconds="")]


def test_the_short_path_reads_every_row_as_the_careful_path_does():
    warm = RowParser(CATALOG, NOW)
    for row in ROWS * 2:  # the second time every repeating cell is remembered
        assert warm.parse(7, row) == RowParser(CATALOG, NOW).parse(7, row)
    quoted = warm.parse(3, ROWS[2])
    assert isinstance(quoted, Row) and quoted.session.patient == "=CD34"


@pytest.mark.parametrize(("changed", "column", "words"), [
    ({"start": "2026-03-02T15:02:00+00:00", "end": ""}, "start", "is in the future"),
    ({"end": "2026-03-02T08:00:00-05:00"}, "end", "ends before it starts"),
    ({"seconds": "1201"}, "seconds", "does not match start and end (1200)"),
    ({"start": "2026-03-02T09:00:00"}, "start", "needs a UTC offset"),
    ({"start": "2026-03-02T09:00:00-13:00"}, "start", "outside -12:00 to +14:00"),
    ({"start": "2026-03-01T19:00:00-05:00", "end": ""}, "end", "still running after 15:00:00"),
    ({"start": "2026-03-01T20:00:00-05:00", "end": "2026-03-02T08:00:01-05:00", "seconds": ""},
     "end", "lasts 12:00:01"),
])
def test_a_bad_time_is_named_whatever_the_parser_remembers(changed, column, words):
    warm = RowParser(CATALOG, NOW)
    assert isinstance(warm.parse(2, cells()), Row)
    for parser in (warm, RowParser(CATALOG, NOW)):
        found = parser.parse(3, cells(**changed))
        assert isinstance(found, list) and [e.column for e in found] == [column]
        assert words in found[0].message


def test_a_cell_found_wrong_is_never_remembered_as_right():
    parser = RowParser(CATALOG, NOW)
    for line in (2, 3):
        found = parser.parse(line, cells(code="97532", patient=" "))
        assert isinstance(found, list)
        assert [(e.line, e.column) for e in found] == [(line, "patient"), (line, "code")]


def test_times_are_whole_microseconds_both_ways():
    moment = datetime(2026, 3, 2, 9, 31, 30, 250001, tzinfo=ZoneInfo("America/New_York"))
    assert instant(micros(moment)) == moment.astimezone(UTC)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12", "America/New_York",
                                  "Australia/Lord_Howe"])
def test_a_segment_more_than_a_day_after_its_date_is_found_in_every_zone(zone):
    local = ZoneInfo(zone)
    last = datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=local)  # the day after: allowed
    for start, late in ((last, False), (last + timedelta(microseconds=1), True)):
        check = FileCheck(CATALOG, local)
        parser = RowParser(CATALOG, datetime(2026, 3, 9, tzinfo=UTC))
        row = parser.parse(2, cells(start=start.isoformat(), seconds="",
                                    end=(start + timedelta(minutes=1)).isoformat()))
        assert isinstance(row, Row)
        check.add(row)
        assert [e.column for e in check.errors] == (["start"] if late else [])
