"""Issue 15's billing rules: who may furnish an evaluation (Pub. 100-02 ch.15 §230.1/§230.2),
a day's 1,440 minutes, one-on-one time inside the therapist's own group (§230), a session of
another discipline than the therapist's, and one vocabulary for units everywhere."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing.checks import CheckKind
from core.billing.methods import check_codes, compute_units
from core.billing.modifiers import billed_text, claim_lines, not_billed, units_words
from core.billing.recorded import bill_recorded
from core.billing.units import MINUTES_IN_A_DAY, CodeMinutes
from core.catalog import CodeError
from core.formats.chart_note import chart_note
from core.kinds import Discipline, FurnishedBy, Method

from .test_day import CATALOG, COMMERCIAL, NY, kinds, seg, session, summarize

ASSISTANT = FurnishedBy.ASSISTANT
EVALUATIONS = ("97161", "97162", "97163", "97164", "97165", "97166", "97167", "97168",
               "92521", "92522", "92523", "92524", "92610")


@pytest.mark.parametrize("code", EVALUATIONS)
def test_every_therapy_evaluation_is_marked_so_in_the_catalog(code):
    assert CATALOG.get(code).evaluation


@pytest.mark.parametrize("code", ["97110", "97150", "97750", "97010", "92507"])
def test_treatment_codes_are_not_evaluations(code):
    assert not CATALOG.get(code).evaluation


@pytest.mark.parametrize("code", ["97161", "97162", "97164", "97168", "92610"])
def test_an_evaluation_given_with_assistant_minutes_is_refused_naming_the_rule(code):
    with pytest.raises(CodeError, match=r"evaluation: an assistant may not furnish .*§230\.1"):
        check_codes([CodeMinutes(code, 30, assistant_minutes=30)], CATALOG)


def test_the_therapists_evaluation_beside_an_assistants_exercise_is_fine():
    check_codes([CodeMinutes("97161", 30), CodeMinutes("97110", 20, 20)], CATALOG)


@pytest.mark.parametrize(("items", "total"), [
    ([("97110", 800), ("97140", 800)], 1600),
    ([("97110", 720), ("97140", 720), ("97010", 1)], 1441),
    ([("97110", 1000), ("97110", 441)], 1441),
])
def test_a_day_has_1440_minutes_whatever_the_split_between_codes(items, total):
    with pytest.raises(CodeError, match=f"{total:,} minutes in all"):
        check_codes([CodeMinutes(code, minutes) for code, minutes in items], CATALOG)


def test_exactly_a_day_of_minutes_is_still_accepted():
    check_codes([CodeMinutes("97110", 720), CodeMinutes("97140", 720)], CATALOG)


@given(st.lists(st.tuples(st.sampled_from(["97110", "97140", "97530", "97010", "97150"]),
                          st.integers(0, 900)), min_size=1, max_size=5))
def test_check_codes_refuses_exactly_the_lists_over_a_day(items):
    given_items = [CodeMinutes(code, minutes) for code, minutes in items]
    over = sum(minutes for _, minutes in items) > MINUTES_IN_A_DAY
    if over:
        with pytest.raises(CodeError, match="of a day"):
            check_codes(given_items, CATALOG)
    else:
        check_codes(given_items, CATALOG)


def test_an_assistants_evaluation_makes_no_claim_line_under_any_payer():
    for medicare in (True, False):
        result = compute_units([CodeMinutes("97162", 45, assistant_minutes=45),
                                CodeMinutes("97110", 20)], Method.CMS, CATALOG,
                               medicare=medicare)
        lines = claim_lines(result, Discipline.PT, medicare, CATALOG)
        assert [line.code for line in lines] == ["97110"]
        assert not any("CQ" in line.modifiers for line in lines)
        assert not_billed(result, medicare, CATALOG) == {"97162": "an assistant's evaluation"}
        assert any("97162 is recorded as furnished by an assistant" in w
                   for w in result.warnings)


def test_a_day_with_an_imported_assistant_evaluation_is_flagged_and_not_billed():
    a = session("AB12")
    summary = summarize((a, [seg(a, "97162", 0, 40, by=ASSISTANT), seg(a, "97110", 40, 20)]))
    assert CheckKind.ASSISTANT_EVALUATION in kinds(summary)
    check = next(c for c in summary.checks if c.kind is CheckKind.ASSISTANT_EVALUATION)
    assert "97162" in check.message and "§230.1" in check.source
    assert [row.code for row in summary.rows] == ["97110"]
    assert summary.units_text(summary.sessions[0]) == (
        "97110-GP x1; 97162 not billed (an assistant's evaluation)")


def test_one_on_one_time_inside_the_therapists_group_is_flagged():
    a, b, c = session("AB12"), session("CD34"), session("EF56")
    summary = summarize((a, [seg(a, "97150", 0, 45)]), (b, [seg(b, "97150", 0, 45)]),
                        (c, [seg(c, "97110", 30, 20)]))
    found = [check for check in summary.checks if check.kind is CheckKind.GROUP_OVERLAP]
    assert len(found) == 1
    assert set(found[0].session_ids) == {a.id, b.id, c.id}
    assert "EF56: 97110 09:30-09:50 overlaps the group 97150 09:00-09:45" in found[0].message


def test_time_after_the_group_is_not_flagged():
    a, b = session("AB12"), session("CD34")
    summary = summarize((a, [seg(a, "97150", 0, 45), seg(a, "97110", 45, 15)]),
                        (b, [seg(b, "97150", 0, 45)]))
    assert CheckKind.GROUP_OVERLAP not in kinds(summary)


def test_a_session_of_another_discipline_than_the_therapists_is_a_check():
    a, b = session("AB12"), session("CD34", discipline=Discipline.OT)
    pairs = [(a, [seg(a, "97110", 0, 20)]), (b, [seg(b, "97530", 30, 20)])]
    now = a.opened_at + timedelta(hours=8)
    from core.billing.summary import summarize_day

    summary = summarize_day(a.date_of_service, pairs, now, CATALOG, NY,
                            therapist_discipline=Discipline.PT)
    found = [c for c in summary.checks if c.kind is CheckKind.OTHER_DISCIPLINE]
    assert [c.session_ids for c in found] == [(b.id,)]
    assert "an OT session recorded by a PT" in found[0].message
    assert CheckKind.OTHER_DISCIPLINE not in kinds(summarize(*pairs))  # not known: not said


def test_the_chart_note_of_another_disciplines_session_names_the_signers_discipline():
    s = session("AB12", discipline=Discipline.OT)
    segments = [seg(s, "97530", 0, 20)]
    bill = bill_recorded(s, segments, s.opened_at + timedelta(hours=2), CATALOG)
    note = chart_note(s, segments, bill, NY, therapist="Dana Reyes",
                      credentials="PT, DPT", discipline=Discipline.PT)
    assert "Therapist (PT): Dana Reyes, PT, DPT" in note
    assert "an OT session signed by a PT" in note
    same = chart_note(s, segments, bill, NY, therapist="Dana Reyes",
                      credentials="OTR/L", discipline=Discipline.OT)
    assert "Therapist: Dana Reyes, OTR/L" in same and "signed by" not in same


def test_units_are_said_one_way_billed_untimed_and_not_billed():
    a = session("AB12")
    summary = summarize((a, [seg(a, "97110", 0, 23), seg(a, "97010", 0, 15),
                             seg(a, "97161", 23, 30)]))
    item = summary.sessions[0]
    # Medicare never pays 97010 (status B): never "97010 x1" without "not billed".
    assert summary.units_text(item) == "97110-GP x2, 97161-GP x1; 97010 not billed (bundled)"
    assert (item.units, summary.units, summary.timed_units) == (3, 3, 2)
    assert units_words(summary.units, summary.timed_units) == "3 units (2 timed)"


def test_a_group_session_bills_its_unit_and_says_so():
    a, b = session("AB12"), session("CD34")
    summary = summarize((a, [seg(a, "97150", 0, 1)]), (b, [seg(b, "97150", 0, 1)]))
    assert [item.units for item in summary.sessions] == [1, 1]
    assert (summary.units, summary.timed_units) == (2, 0)
    result = summary.sessions[0].billing
    assert "no timed unit is billable" in result.summary
    assert "untimed code 97150: one unit for the date" in result.summary
    assert "nothing is billable" not in result.summary


def test_a_pooled_session_says_where_its_units_went():
    first, second = session("AB12"), session("AB12", 120)
    summary = summarize((first, [seg(first, "97110", 0, 10)]),
                        (second, [seg(second, "97110", 120, 10)]))
    lead, pooled = summary.sessions
    assert (lead.units, pooled.units) == (1, None)
    assert summary.units_text(lead) == "pooled: 97110-GP x1"
    assert summary.units_text(pooled) == "pooled with an earlier session"


def test_billed_text_of_nothing_and_of_per_code_payers():
    assert billed_text([], {}) == "no billable line"
    result = compute_units([CodeMinutes("97010", 15), CodeMinutes("97110", 10)],
                           Method.PER_CODE, CATALOG, medicare=False)
    # A commercial payer is not Medicare: 97010 is billed.
    assert not_billed(result, False, CATALOG) == {}
    assert billed_text(claim_lines(result, Discipline.PT, False, CATALOG), {}) == \
        "97010-GP x1, 97110-GP x1"
    assert COMMERCIAL.method is Method.PER_CODE
