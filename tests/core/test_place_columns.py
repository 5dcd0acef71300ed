"""Where, how and by whom in the CSV files (issue 19): the columns come after the older ones,
a segments row carries them out and back unchanged, a file may have any of them or none, and
a bad cell is named by its line and column like every other cell."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing.day import ClaimRow
from core.billing.summary import SessionDay
from core.billing.units import BillingResult
from core.catalog import default_catalog
from core.formats.claims_csv import LINE_COLUMNS, SESSION_COLUMNS, line_row, session_row
from core.formats.import_rules import FileCheck
from core.formats.segment_rows import Layout, Row, RowParser
from core.formats.segments_csv import COLUMNS, EXPORT_COLUMNS, WHERE_AND_WHO, segment_rows
from core.models import Discipline, Method, PayerProfile, Segment
from core.place import Telehealth, places
from core.session import Session

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
S1 = "11111111-1111-4111-8111-111111111111"
NPI = "1234567893"
CATALOG = default_catalog()
OLD_LINES = ("date_of_service", "patient", "payer", "method", "discipline", "code",
             "modifier_1", "modifier_2", "modifier_3", "modifier_4", "units", "minutes",
             "estimated_amount", "allowed_amount")
OLD_SESSIONS = ("session_id", "date_of_service", "patient", "payer", "method", "discipline",
                "status", "total_timed_minutes", "total_treatment_minutes", "timed_units",
                "units", "estimated_amount", "checks", "progress_report", "group_size",
                "chart_note")
NEW = ("place_of_service", "telehealth", "rendering_therapist", "rendering_npi",
       "provider_code")


def base(code="97110", start="2026-03-02T09:00:00-05:00", end="2026-03-02T09:20:00-05:00"):
    return [S1, "2026-03-02", "AB12", "Medicare", "cms", "PT", code, start, end, "",
            "therapist", ""]


def parsed(header, *rows, rendering=("", "", "")):
    """Each row read by a parser that saw the rows before it, and by a fresh one: the two
    paths of RowParser must say the same."""
    warm = RowParser(CATALOG, NOW, Layout(header, rendering))
    found = []
    for line, row in enumerate(rows, start=2):
        result = warm.parse(line, list(row))
        assert result == RowParser(CATALOG, NOW, Layout(header, rendering)).parse(line, list(row))
        found.append(result)
    return found


def test_the_new_columns_come_after_the_old_ones_which_keep_their_places():
    assert WHERE_AND_WHO == NEW
    assert (*COLUMNS, *NEW) == EXPORT_COLUMNS
    assert (*OLD_LINES, *NEW) == LINE_COLUMNS
    assert (*OLD_SESSIONS, *NEW) == SESSION_COLUMNS


def test_an_old_file_is_in_person_at_the_office_by_the_folders_therapist():
    (row,) = parsed(COLUMNS, base(), rendering=("'=Dana", NPI, "D-7"))
    assert isinstance(row, Row)
    cells = row.session
    assert (cells.place_of_service, cells.telehealth) == ("11", None)
    assert (cells.therapist, cells.npi, cells.provider_code) == ("=Dana", NPI, "D-7")


def test_any_of_the_new_columns_in_any_order_and_blanks():
    header = (*COLUMNS, "telehealth", "place_of_service")
    video, blank, short = parsed(header, [*base(), " Video ", "2"], [*base(), "", ""],
                                 [*base(), "audio", "11"], rendering=("Dana", NPI, ""))
    assert isinstance(video, Row) and isinstance(blank, Row) and isinstance(short, Row)
    assert (video.session.place_of_service, video.session.telehealth) == ("02", Telehealth.VIDEO)
    assert (blank.session.place_of_service, blank.session.telehealth) == ("11", None)
    assert video.session.therapist == "Dana"  # no rendering column: the folder's


def test_a_file_that_names_one_rendering_column_names_the_rendering_therapist():
    """The folder's NPI is never paired with another therapist's name."""
    (row,) = parsed((*COLUMNS, "rendering_therapist"), [*base(), "Sam Ortiz"],
                    rendering=("Dana", NPI, "D-7"))
    assert isinstance(row, Row)
    assert (row.session.therapist, row.session.npi, row.session.provider_code) == (
        "Sam Ortiz", "", "")


@pytest.mark.parametrize(("header", "words"), [
    (COLUMNS[:-1], "expected session_id,"),
    ((*COLUMNS, "pos"), "'pos' is not a segments column"),
    ((*COLUMNS, "telehealth", "telehealth"), "telehealth is there twice"),
    ((*COLUMNS[1:], COLUMNS[0]), "expected session_id,"),
])
def test_a_header_that_is_not_a_segments_files_is_named(header, words):
    with pytest.raises(ValueError, match=words):
        Layout(header)


@pytest.mark.parametrize(("cells", "column", "words"), [
    (["98", "", "", "", ""], "place_of_service", "'98' is not a place of service code"),
    (["011", "", "", "", ""], "place_of_service", "is not a place of service code"),
    (["1a", "", "", "", ""], "place_of_service", "is not a place of service code"),
    (["11", "zoom", "", "", ""], "telehealth", "not a telehealth mode"),
    (["11", "", "", "1234567890", ""], "rendering_npi", "check digit is wrong"),
    (["11", "", "", "12345", ""], "rendering_npi", "10 digits, not 5"),
    (["11", "", "x" * 81, "", ""], "rendering_therapist", "at most 80"),
    (["11", "", "", "", "a\x1bb"], "provider_code", "control"),
    (["10", "", "", "", ""], "telehealth", "POS 10 (telehealth, patient at home) is for"),
    (["02", " ", "", "", ""], "telehealth", "for telehealth only"),
])
def test_a_bad_cell_is_named_by_line_and_column(cells, column, words):
    rows = parsed(EXPORT_COLUMNS, [*base(), "11", "", "", "", ""], [*base(), *cells],
                  [*base(), *cells])
    assert isinstance(rows[0], Row)
    for line, found in enumerate(rows[1:], start=3):
        assert isinstance(found, list)
        assert [(e.line, e.column) for e in found] == [(line, column)]
        assert words.lower() in found[0].message.lower()


def test_a_row_of_the_wrong_width_for_its_header_is_named():
    (found,) = parsed((*COLUMNS, "place_of_service"), base())
    assert isinstance(found, list) and found[0].message == "12 cells, expected 13"


def test_one_sessions_rows_agree_on_where_how_and_who():
    first, second, third = parsed(
        EXPORT_COLUMNS, [*base(), "10", "video", "Dana", NPI, ""],
        [*base("97140", "2026-03-02T09:20:00-05:00", "2026-03-02T09:30:00-05:00"), "10",
         "audio", "Dana", NPI, ""],
        [*base("97112", "2026-03-02T09:30:00-05:00", "2026-03-02T09:40:00-05:00"), "10",
         "video", "Dana", "", ""])
    check = FileCheck(CATALOG, UTC)
    for row in (first, second, third):
        assert isinstance(row, Row)
        check.add(row)
    assert [(e.line, e.column, e.message) for e in check.errors] == [
        (3, "telehealth", "'audio' differs from 'video' on an earlier row of the same session"),
        (4, "rendering_npi", "blank differs from '1234567893' on an earlier row of the same "
                             "session")]


def session(**fields):
    return Session(id=S1, patient="AB12", payer=PayerProfile(name="Medicare", method=Method.CMS),
                   discipline=Discipline.PT, date_of_service=date(2026, 3, 2),
                   opened_at=NOW - timedelta(hours=2), **fields)


FORMULA_LIKE = st.sampled_from(["", "Dana Reyes", "=HYPERLINK(\"x\")", "'=X", "+1", "@a",
                                "'plain", "-", "''=Y"])


@given(pos=st.sampled_from(sorted(places().names)), mode=st.sampled_from([None, *Telehealth]),
       therapist=FORMULA_LIKE, code=FORMULA_LIKE, npi=st.sampled_from(["", NPI, "9876543213"]))
def test_a_segments_row_reads_back_as_it_was_written(pos, mode, therapist, code, npi):
    if mode is None and pos in places().telehealth:
        mode = Telehealth.AUDIO
    written = session(place_of_service=pos, telehealth=mode, therapist=therapist, npi=npi,
                      provider_code=code)
    segment = Segment(session_id=written.id, code="97110", start=NOW - timedelta(hours=2),
                      end=NOW - timedelta(hours=1, minutes=40))
    (row,) = segment_rows(written, [segment], UTC)
    (back,) = parsed(EXPORT_COLUMNS, row, rendering=("other", "1111111112", "other"))
    assert isinstance(back, Row)
    cells = back.session
    assert (cells.place_of_service, cells.telehealth, cells.therapist, cells.npi,
            cells.provider_code) == (pos, mode, therapist, npi, code)


def test_claim_lines_and_sessions_end_with_where_how_and_who_formulas_inert():
    row = ClaimRow(date_of_service=date(2026, 3, 2), patient="AB12", payer="Medicare",
                   method=Method.CMS, medicare=True, discipline=Discipline.PT, code="97110",
                   modifiers=("GP", "95"), units=2, minutes=30, amount=Decimal("58.10"),
                   allowed=Decimal("58.10"), place_of_service="10",
                   telehealth=Telehealth.VIDEO, therapist="=HYPERLINK(\"x\")", npi=NPI,
                   provider_code="+D7")
    cells = dict(zip(LINE_COLUMNS, line_row(row), strict=True))
    assert cells["modifier_2"] == "95" and cells["units"] == "2"
    assert [cells[name] for name in NEW] == ["10", "video", "'=HYPERLINK(\"x\")", NPI, "'+D7"]
    stamped = session(place_of_service="12", telehealth=None, therapist="@Sam", npi="",
                      provider_code="")
    nothing = BillingResult(method=Method.CMS, total_timed_minutes=0, total_treatment_minutes=0,
                            timed_units=0, lines=(), summary="")
    day = SessionDay(session=stamped, billing=nothing, amount=None, checks=())
    cells = dict(zip(SESSION_COLUMNS, session_row(day, "", "note"), strict=True))
    assert [cells[name] for name in NEW] == ["12", "", "'@Sam", "", ""]
