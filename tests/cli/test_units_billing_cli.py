"""`tabletime units` for the claims real clinics send (issue 10): code families and unit
lengths, assistants' lines, Medicare status by payer, NCCI edits, the estimate."""

import json

import pytest

from tui.cli.main import main


def units(capsys, *argv):
    status = main(["units", "--json", "--date", "2026-06-01", *argv])
    out, err = capsys.readouterr()
    assert (status, err) == (0, ""), err
    return json.loads(out)


def claimed(data):
    return [("-".join([line["code"], *line["modifiers"]]), line["units"])
            for line in data["claim_lines"]]


def test_97129_40_minutes_is_97129_once_and_97130_twice_with_the_reason(capsys):
    assert main(["units", "97129=40"]) == 0
    out = capsys.readouterr().out
    assert "97129        15      1  timed" in out and "97130        25      2  timed" in out
    assert "97129 x1 (the first unit, at most 1 a date), 97130 x2" in out
    assert units(capsys, "97129=40")["units"] == {"97129": 1, "97130": 2}


@pytest.mark.parametrize("method", ["cms", "per-code"])
def test_a_family_timed_under_both_codes_is_split_whatever_the_tie_break(capsys, method):
    data = units(capsys, "--method", method, "97129=20", "97130=20")
    assert data["units"] == {"97129": 1, "97130": 2}
    assert units(capsys, "--method", method, "97130=20")["units"] == {"97130": 0, "97129": 1}


def test_a_family_competes_as_one_code_for_the_days_left_over_units(capsys):
    # 97129+97130 22 min + 97110 8 min = 30 min, 2 units: 15 full + the larger left-over (7
    # against 8: 97110)
    data = units(capsys, "97129=22", "97110=8")
    assert data["units"] == {"97129": 1, "97110": 1}


@pytest.mark.parametrize(("minutes", "first", "add_on"), [
    (15, 0, 0), (16, 1, 0), (30, 1, 0), (37, 1, 0), (38, 1, 1), (52, 1, 1), (53, 1, 2)])
def test_caregiver_training_first_30_minutes_then_each_15(capsys, minutes, first, add_on):
    data = units(capsys, f"97550={minutes}")
    assert data["units"].get("97550") == first and data["units"].get("97551", 0) == add_on


@pytest.mark.parametrize(("minutes", "first", "add_on"), [
    (30, 0, 0), (31, 1, 0), (67, 1, 0), (68, 1, 1), (90, 1, 2)])
def test_auditory_evaluation_first_hour_then_each_15(capsys, minutes, first, add_on):
    data = units(capsys, f"92626={minutes}")
    assert data["units"].get("92626") == first and data["units"].get("92627", 0) == add_on


@pytest.mark.parametrize("code", ["96105", "96125"])
@pytest.mark.parametrize(("minutes", "expected"), [(30, 0), (31, 1), (90, 1), (91, 2)])
def test_per_hour_codes_count_31_minutes_as_a_unit(capsys, code, minutes, expected):
    data = units(capsys, f"{code}={minutes}", "97110=10")
    assert data["units"] == {code: expected, "97110": 1}
    assert data["timed_units"] == expected + 1


def test_therapist_and_assistant_minutes_of_one_code_make_two_lines(capsys):
    data = units(capsys, "97110=30", "--assistant", "97110=10")
    assert claimed(data) == [("97110-GP", 2), ("97110-GP-CQ", 1)]
    amounts = [(line["allowed_amount"], line["estimated_amount"]) for line in data["claim_lines"]]
    assert amounts == [("51.27", "51.27"), ("22.21", "18.88")]
    assert data["estimate"]["estimated_amount"] == "70.15"
    assert data["estimate"]["allowed_amount"] == "73.48"


def test_occupational_therapy_assistants_get_co(capsys):
    data = units(capsys, "--discipline", "OT", "97530=5", "--assistant", "97530=25")
    assert claimed(data) == [("97530-GO-CO", 2)]
    data = units(capsys, "--discipline", "OT", "97530=10", "--assistant", "97530=20")
    assert claimed(data) == [("97530-GO", 1), ("97530-GO-CO", 1)]


def test_the_multiple_procedure_reduction_in_the_estimate(capsys):
    data = units(capsys, "97110=45")
    assert data["estimate"]["estimated_amount"] == "73.48"


@pytest.mark.parametrize(("flags", "warned"), [
    ([], True), (["--no-medicare"], False), (["--method", "per-code"], False),
    (["--method", "per-code", "--medicare"], True)])
def test_status_warnings_and_lines_follow_the_payer_not_the_method(capsys, flags, warned):
    data = units(capsys, *flags, "97014", "97010", "97110=10")
    assert any("97014 is not valid for Medicare" in w for w in data["warnings"]) is warned
    codes = [line["code"] for line in data["claim_lines"]]
    assert codes == (["97110"] if warned else ["97014", "97010", "97110"])


def test_edits_are_named_with_their_source(capsys):
    data = units(capsys, "97161", "97164", "97750=20", "97110=100")
    kinds = {edit["kind"]: edit for edit in data["edits"]}
    assert set(kinds) == {"two-evaluations", "re-evaluation-with-treatment",
                          "performance-test-with-evaluation", "unit-limit"}
    assert "NCCI Policy Manual" in kinds["two-evaluations"]["source"]
    assert "97110: 7 units on one date, over the Medically Unlikely Edit of 6" in (
        kinds["unit-limit"]["message"])
    assert "MUE" in kinds["unit-limit"]["source"]


def test_pairs_deleted_in_2020_are_not_edits(capsys):
    assert units(capsys, "97140=15", "97530=15", "97116=15")["edits"] == []


def test_assistant_minutes_need_a_number(capsys):
    assert main(["units", "97110=10", "--assistant", "97110"]) == 2
    assert "give the minutes the assistant furnished" in capsys.readouterr().err
