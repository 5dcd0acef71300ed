"""billing-spec section 12: Medicare's telehealth rules for therapy as dated data with their
sources (core/data/telehealth.json), checked on a session (review, units) and on a day (day
summary, summary), for Medicare only."""

import json
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from zoneinfo import ZoneInfo

import pytest

from core.billing.checks import CheckKind
from core.billing.edits import (
    TELEHEALTH_CODE,
    TELEHEALTH_PLACE,
    TELEHEALTH_WAIVER,
    telehealth_findings,
    telehealth_rules,
)
from core.billing.session import Terms, bill_session
from core.billing.summary import summarize_day
from core.billing.units import CodeMinutes
from core.catalog import default_catalog
from core.kinds import Discipline, Method
from core.models import PayerProfile, Segment
from core.place import OFFICE_VISIT, Place, Telehealth
from core.session import Session

CATALOG = default_catalog()
END = date(2027, 12, 31)
AFTER = date(2028, 1, 3)
VIDEO_HOME = Place("10", Telehealth.VIDEO)
MEDICARE = PayerProfile(name="Medicare", method=Method.CMS, medicare=True)
COMMERCIAL = PayerProfile(name="Aetna", method=Method.CMS)


def checks(findings):
    return [finding.check for finding in findings]


def test_the_data_names_the_waivers_end_its_source_and_the_lists_version():
    raw = json.loads(files("core").joinpath("data/telehealth.json").read_text(encoding="utf-8"))
    rules = telehealth_rules()
    assert rules.end == END and raw["waiver"]["to"] == "2027-12-31"
    assert "Consolidated Appropriations Act, 2026" in rules.waiver_source
    assert "CY 2026" in rules.list_version and "CY 2026" in rules.list_source
    assert {"97110", "97112", "97530", "92507", "97161", "97129"} <= rules.codes
    assert not {"97140", "97035", "G0283", "97010"} & rules.codes
    assert rules.codes <= {entry.code for entry in CATALOG}, "a listed code the app does not know"


def test_a_telehealth_line_after_the_waivers_end_is_flagged_naming_the_end_and_source():
    assert telehealth_findings(["97110"], VIDEO_HOME, END) == []
    (finding,) = telehealth_findings(["97110"], VIDEO_HOME, END + timedelta(days=1))
    assert finding.check == TELEHEALTH_WAIVER and finding.codes == ("97110",)
    assert "2027-12-31" in finding.message
    assert "Consolidated Appropriations Act, 2026" in finding.message
    assert "Consolidated Appropriations Act, 2026" in finding.source
    assert checks(telehealth_findings(["97110"], Place("10", Telehealth.AUDIO),
                                      date(2020, 2, 29))) == [TELEHEALTH_WAIVER]


def test_a_code_not_on_the_telehealth_list_is_named():
    (finding,) = telehealth_findings(["97110", "97140", "97035"], VIDEO_HOME, date(2026, 3, 2))
    assert (finding.check, finding.codes) == (TELEHEALTH_CODE, ("97035", "97140"))
    assert finding.message.startswith("97035, 97140 are not on the Medicare Telehealth Services "
                                      "List (CY 2026)")


@pytest.mark.parametrize("place", [Place("11", Telehealth.VIDEO), Place("10"), Place("02")])
def test_a_place_that_does_not_match_the_mode_is_flagged(place):
    (finding,) = telehealth_findings(["97110"], place, date(2026, 3, 2))
    assert finding.check == TELEHEALTH_PLACE and f"POS {place.pos}" in finding.message


@pytest.mark.parametrize("place", [OFFICE_VISIT, Place("22"), Place("12")])
def test_in_person_sessions_never_hear_of_telehealth(place):
    assert telehealth_findings(["97140"], place, AFTER) == []


def bill(payer, place=VIDEO_HOME, day=AFTER, codes=("97110",)):
    terms = Terms(method=payer.method, medicare=payer.medicare)
    return bill_session([CodeMinutes(code=code, minutes=30) for code in codes], terms,
                        Discipline.PT, day, CATALOG, place=place)


def test_the_session_review_and_units_show_medicares_telehealth_checks():
    medicare = bill(MEDICARE, codes=("97110", "97140"))
    assert checks(medicare.findings) == [TELEHEALTH_WAIVER, TELEHEALTH_CODE]
    assert any("2027-12-31" in warning for warning in medicare.warnings)


def test_other_payers_get_the_modifier_but_not_medicares_checks():
    other = bill(COMMERCIAL, codes=("97110", "97140"))
    assert [line.modifiers for line in other.claim] == [("GP", "95"), ("GP", "95")]
    assert not {TELEHEALTH_WAIVER, TELEHEALTH_CODE, TELEHEALTH_PLACE} & set(
        checks(other.findings))


def day_summary(payer, place, day=AFTER, code="97110"):
    opened = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=14)
    session = Session(patient="AB12", payer=payer, discipline=Discipline.PT,
                      date_of_service=day, opened_at=opened,
                      closed_at=opened + timedelta(hours=1), place_of_service=place.pos,
                      telehealth=place.telehealth)
    segment = Segment(session_id=session.id, code=code, start=opened,
                      end=opened + timedelta(minutes=30))
    return session, summarize_day(day, [(session, [segment])], opened + timedelta(hours=8),
                                  CATALOG, ZoneInfo("America/New_York"))


def test_the_day_summary_flags_the_telehealth_line_by_its_session_with_the_source():
    session, summary = day_summary(MEDICARE, VIDEO_HOME)
    (check,) = [c for c in summary.checks if c.kind is CheckKind.TELEHEALTH_WAIVER]
    assert check.session_ids == (session.id,)
    assert check.message.startswith("AB12: 97110 by telehealth on 2028-01-03, after the "
                                    "telehealth waiver's end on 2027-12-31")
    assert "Consolidated Appropriations Act, 2026" in check.source
    (item,) = summary.sessions
    assert any("2027-12-31" in text for text in item.checks)


def test_the_day_summary_names_a_code_off_the_list_and_leaves_other_payers_alone():
    _, medicare = day_summary(MEDICARE, VIDEO_HOME, date(2026, 3, 2), "97140")
    assert [c.kind for c in medicare.checks] == [CheckKind.TELEHEALTH_CODE]
    assert "97140" in medicare.checks[0].message
    _, other = day_summary(COMMERCIAL, VIDEO_HOME, date(2026, 3, 2), "97140")
    assert other.checks == () and other.rows[0].modifiers == ("GP", "95")
