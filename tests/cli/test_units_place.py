"""`tabletime units --pos CODE [--telehealth video|audio]` (issue 19): where and how a session
was furnished, on the command line as in the app."""

import json
from decimal import Decimal

import pytest

from tui.cli.main import main


def units(capsys, *argv, date="2026-06-01"):
    status = main(["units", "--json", "--date", date, *argv])
    out, err = capsys.readouterr()
    assert (status, err) == (0, ""), err
    return json.loads(out)


def claimed(data):
    return [("-".join([line["code"], *line["modifiers"]]), line["units"],
             Decimal(line["allowed_amount"])) for line in data["claim_lines"]]


def test_97110_by_video_at_home_is_gp_95_twice_at_the_non_facility_rate(capsys):
    data = units(capsys, "--pos", "10", "--telehealth", "video", "97110=30")
    # 0.87 in full + 0.665 (half PE, multiple-procedure reduction) x 33.4009, the same as in
    # the office
    assert claimed(data) == [("97110-GP-95", 2, Decimal("51.27"))]
    assert (data["place_of_service"], data["telehealth"]) == ("10", "video")
    assert "non-facility rate, POS 10" in data["claim_lines"][0]["why"]
    assert data["edits"] == [] and data["warnings"] == []
    office = units(capsys, "97110=30")
    assert claimed(office) == [("97110-GP", 2, Decimal("51.27"))]


def test_pos_02_bills_97129_at_the_facility_rate_to_the_cent(capsys):
    data = units(capsys, "--pos", "02", "--telehealth", "video", "--discipline", "SLP",
                 "97129=15")
    assert claimed(data) == [("97129-GN-95", 1, Decimal("19.71"))]  # 0.59 x 33.4009
    assert "facility rate, POS 02" in data["claim_lines"][0]["why"]
    assert "facility rate, POS 02" in data["estimate"]["source"]
    office = units(capsys, "--discipline", "SLP", "97129=15")
    assert claimed(office) == [("97129-GN", 1, Decimal("22.38"))]  # 0.67 x 33.4009


def test_a_hospital_outpatient_department_pays_the_facility_rate_in_person(capsys):
    data = units(capsys, "--pos", "22", "--discipline", "SLP", "92610", "92626=60")
    assert claimed(data) == [("92610-GN", 1, Decimal("57.78")),
                             ("92626-GN", 1, Decimal("59.79"))]
    assert (data["place_of_service"], data["telehealth"]) == ("22", None)


def test_a_telehealth_line_after_the_waivers_end_has_a_check_naming_it(capsys):
    data = units(capsys, "--pos", "10", "--telehealth", "video", "97110=30",
                 date="2028-01-03")
    (edit,) = [e for e in data["edits"] if e["kind"] == "telehealth-waiver"]
    assert "2027-12-31" in edit["message"] and "Consolidated Appropriations Act, 2026" in (
        edit["source"])
    assert any("waiver's end on 2027-12-31" in warning for warning in data["warnings"])
    assert main(["units", "--date", "2028-01-03", "--pos", "10", "--telehealth", "video",
                 "97110=30"]) == 0
    assert "after the telehealth waiver's end on 2027-12-31" in capsys.readouterr().out


def test_a_telehealth_place_without_a_mode_is_video_with_a_warning_saying_how_to_say_audio(
        capsys):
    data = units(capsys, "--pos", "02", "97110=15")
    assert (data["place_of_service"], data["telehealth"]) == ("02", "video")
    assert claimed(data)[0][0] == "97110-GP-95"
    assert any("--telehealth audio" in warning for warning in data["warnings"])
    audio = units(capsys, "--pos", "10", "--telehealth", "audio", "97110=15")
    assert claimed(audio)[0][0] == "97110-GP-93" and audio["warnings"] == []


def test_telehealth_at_a_place_that_is_not_a_telehealth_place_is_a_medicare_check(capsys):
    data = units(capsys, "--telehealth", "video", "97110=15")
    assert [e["kind"] for e in data["edits"]] == ["telehealth-place"]
    assert claimed(data)[0][0] == "97110-GP-95"
    other = units(capsys, "--no-medicare", "--telehealth", "video", "97110=15", "97140=15")
    assert other["edits"] == [] and [c[0] for c in claimed(other)] == ["97110-GP-95",
                                                                       "97140-GP-95"]


@pytest.mark.parametrize("pos", ["99x", "00", "123", "1O", "", "\x1b[31m"])
def test_a_bad_place_of_service_is_a_usage_error_naming_it(capsys, pos):
    assert main(["units", "--pos", pos, "97110=30"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "place of service code" in err and "--pos" in err
    assert "\x1b" not in err and "Traceback" not in err
    if pos.isprintable() and pos:
        assert repr(pos) in err


@pytest.mark.parametrize(("argv", "heading"), [
    (["--pos", "10", "--telehealth", "video", "97110=30"],
     "; telehealth by video (patient at home, POS 10): non-facility rate):"),
    (["--pos", "02", "--telehealth", "audio", "97129=15"],
     "; telehealth, audio only (patient not at home, POS 02): facility rate):"),
    (["--pos", "22", "97129=15"], "; on-campus outpatient hospital (POS 22): facility rate):"),
    (["97110=30"], "; office (POS 11): non-facility rate):"),
])
def test_the_text_says_where_how_and_at_which_rate(capsys, argv, heading):
    assert main(["units", "--date", "2026-06-01", *argv]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("Claim lines (")]
    assert line.endswith(heading), line


def test_audio_only_away_from_home_is_a_medicare_check_naming_its_rule(capsys):
    data = units(capsys, "--pos", "02", "--telehealth", "audio", "97110=30")
    assert claimed(data)[0][0] == "97110-GP-93"  # billed as recorded, never changed
    (edit,) = [e for e in data["edits"] if e["kind"] == "telehealth-place"]
    assert "patient is at home (POS 10)" in edit["message"] and "410.78" in edit["source"]
    assert [e for e in units(capsys, "--pos", "10", "--telehealth", "audio",
                             "97110=30")["edits"] if e["kind"] == "telehealth-place"] == []
    assert units(capsys, "--no-medicare", "--pos", "02", "--telehealth", "audio",
                 "97110=30")["edits"] == []
