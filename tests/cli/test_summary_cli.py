"""`tabletime summary` and the lines and sessions exports on the command line."""

import json
from datetime import timedelta

from storage.repository import Repository
from tui.cli.main import main


def seed(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        for patient in ("AB12", "AB12"):
            session = repo.commands.create_session(patient, "Medicare")
            clock.advance(minutes=10)
            repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=10),
                                      clock.now)
            repo.commands.close_session(session.id)
            clock.advance(hours=2)
    return clock.now.date().isoformat()


def test_summary_json(capsys, tmp_path, clock, settings):
    day = seed(tmp_path, clock, settings)
    assert main(["--data-dir", str(tmp_path), "summary", "--date", day, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == day and len(data["sessions"]) == 2
    assert data["sessions"][0]["units"] == {"97110": 1}
    assert data["lines"] == [{"patient": "AB12", "discipline": "PT", "payer": "Medicare",
                              "code": "97110", "modifiers": ["GP"], "units": 1, "minutes": 20,
                              "allowed_amount": data["totals"]["estimated_amount"],
                              "estimated_amount": data["totals"]["estimated_amount"],
                              "place_of_service": "11", "telehealth": None,
                              "rendering_therapist": "Dana Reyes", "rendering_npi": "",
                              "provider_code": ""}]
    assert {key: data["sessions"][0][key] for key in ("place_of_service", "telehealth",
            "rendering_therapist", "rendering_npi", "provider_code")} == {
        "place_of_service": "11", "telehealth": None, "rendering_therapist": "Dana Reyes",
        "rendering_npi": "", "provider_code": ""}
    assert data["pools"][0]["timed_units"] == 1 and data["pools"][0]["per_session_units"] == 2
    assert [c["kind"] for c in data["checks"]] == ["pooling"]
    assert data["totals"]["units"] == 1 and data["totals"]["per_code"]["97110"]["minutes"] == 20


def test_summary_json_says_which_timer_runs(capsys, tmp_path, clock, settings):
    """What a script (or the browser test) asks: is a timer running, and on which code."""
    with Repository.open(tmp_path, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        repo.commands.start(session.id, "97110")
        clock.advance(minutes=3)
    day = clock.now.date().isoformat()

    def running() -> list[str]:
        assert main(["--data-dir", str(tmp_path), "summary", "--date", day, "--json"]) == 0
        return json.loads(capsys.readouterr().out)["sessions"][0]["running"]

    assert running() == ["97110"]
    with Repository.open(tmp_path, clock, settings) as repo:
        repo.commands.stop(session.id)
    assert running() == []


def test_summary_text_and_an_empty_day(capsys, tmp_path, clock, settings):
    day = seed(tmp_path, clock, settings)
    assert main(["--data-dir", str(tmp_path), "summary", "--date", day]) == 0
    out = capsys.readouterr().out
    assert "2 sessions" in out and "97110-GP" in out and "billed on their pooled" in out
    lines = out.splitlines()
    assert lines[0].startswith("Day summary") and "\\n" not in out and len(lines) > 8
    assert main(["--data-dir", str(tmp_path), "summary", "--date", "2020-01-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sessions"] == []


def test_bad_summary_date_is_a_usage_error(capsys, tmp_path):
    assert main(["--data-dir", str(tmp_path), "summary", "--date", "someday"]) == 2
    assert "someday" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path), "summary", "--date", "9999-12-31"]) == 2
    assert "out of range" in capsys.readouterr().err


def test_export_kinds(capsys, tmp_path, clock, settings):
    data = tmp_path / "data"
    seed(data, clock, settings)
    for kind, header in (("lines", "date_of_service,patient,payer,method,discipline,code"),
                         ("sessions", "session_id,date_of_service,patient")):
        out_file = tmp_path / f"{kind}.csv"
        assert main(["--data-dir", str(data), "export", "--kind", kind, "--out",
                     str(out_file)]) == 0
        assert out_file.read_text().startswith(header)
        assert f"of {kind} to" in capsys.readouterr().err
    assert main(["--data-dir", str(data), "export", "--kind", "claims"]) == 2
