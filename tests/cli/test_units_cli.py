"""`tabletime units`: the command-line contract of design.md."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tui.cli.main import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_json_for_the_issue_example(capsys):
    status, out, err = run(capsys, "units", "--json", "97110=33", "97140=7")
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["timed_units"] == 3 and data["units"] == {"97110": 2, "97140": 1}
    assert data["method"] == "cms" and data["tie"] is False and data["warnings"] == []
    assert data["total_timed_minutes"] == data["total_treatment_minutes"] == 40
    for line in data["lines"]:  # the documented keys (and the assistant's minutes)
        assert {"code", "minutes", "timed", "units", "why"} <= set(line)
    assert "wins the 3rd unit" in data["lines"][1]["why"]


def test_json_lists_untimed_codes_bare_or_with_minutes(capsys):
    _, out, _ = run(capsys, "units", "--json", "97110=20", "97161", "G0283=15")
    data = json.loads(out)
    assert data["units"] == {"97110": 1, "97161": 1, "G0283": 1}
    assert data["total_timed_minutes"] == 20 and data["total_treatment_minutes"] == 35
    assert [line["timed"] for line in data["lines"]] == [True, False, False]


def test_per_code_method(capsys):
    _, out, _ = run(capsys, "units", "--json", "--method", "per-code", "97110=10", "97116=10")
    assert json.loads(out)["timed_units"] == 2


def test_json_reports_ties(capsys):
    _, out, _ = run(capsys, "units", "--json", "97112=20", "97110=20")
    data = json.loads(out)
    assert data["tie"] is True
    assert data["tie_alternatives"] == [{"97112": 1, "97110": 2}]


def test_readable_table(capsys):
    status, out, _ = run(capsys, "units", "97110=33", "97140=7", "97010")
    assert status == 0
    assert "97110" in out and "Timed units:             3" in out
    assert "wins the 3rd unit" in out and "! 97010 is bundled" in out


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["97999=10"], "97999"),
        (["97532=10"], "97532"),
        (["97110"], "97110"),
        (["97110=-5"], "97110=-5"),
        (["97110=7.5"], "97110=7.5"),
        (["97110=abc"], "97110=abc"),
        (["97110="], "97110="),
        (["=15"], "=15"),
        (["97110=2000"], "97110=2000"),
        (["--method", "medicaid", "97110=10"], "medicaid"),
        ([], "CODE=MINUTES"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_it(capsys, argv, named):
    status, out, err = run(capsys, "units", *argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and named in err


def test_unknown_command_is_a_usage_error(capsys):
    status, out, err = run(capsys, "frobnicate")
    assert status == 2 and out == "" and "frobnicate" in err


def test_installed_script_and_version():
    script = Path(sys.executable).with_name("tabletime")
    assert script.exists(), "pip installs the tabletime console script beside the interpreter"
    done = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("tabletime ")
    bad = subprocess.run([script, "units", "97532=3"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == "" and "97129" in bad.stderr


@pytest.mark.parametrize(("argv", "said"), [
    (["--assistant", "97161=30"], "97161 is an evaluation: an assistant may not furnish"),
    (["97110=10", "--assistant", "97168=20"], "97168 is an evaluation"),
    (["97110=800", "97140=800"], "1,600 minutes in all (97110, 97140), more than the 1,440"),
    (["97110=720", "97140=720", "97010=5"], "1,445 minutes in all"),
])
def test_what_cannot_be_true_is_refused_with_one_line(capsys, argv, said):
    status, out, err = run(capsys, "units", *argv)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and said in err


def test_a_code_medicare_never_pays_is_named_not_billed(capsys):
    _, out, _ = run(capsys, "units", "--json", "97110=10", "97010")
    data = json.loads(out)
    assert data["not_billed"] == {"97010": "bundled"}
    assert [line["code"] for line in data["claim_lines"]] == ["97110"]
    _, text, _ = run(capsys, "units", "97110=10", "97010")
    assert "97010         -      1  untimed; not billed (bundled)" in text
    _, out, _ = run(capsys, "units", "--json", "--no-medicare", "97110=10", "97010")
    assert json.loads(out)["not_billed"] == {}
