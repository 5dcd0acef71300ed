"""`tabletime summary --from DATE [--to DATE]` (a row per day with its productivity, then the
totals) and the day summary's `productivity`."""

import json
from datetime import timedelta
from decimal import Decimal

from storage.repository import Repository
from storage.settings_file import save_settings
from tui.cli.main import main


def seed(folder, clock, settings):
    """Monday: 45 billable minutes of a 60-minute clock (97010 is bundled for Medicare);
    Wednesday: a 30-minute group of three (30 of 30, counted once). Target 80%, 7.5 h day."""
    settings = settings.model_copy(update={"productivity_target": 80,
                                           "scheduled_hours": Decimal("7.5")})
    with Repository.open(folder, clock, settings) as repo:
        start = clock.now
        session = repo.commands.create_session("AB12", "Medicare")
        clock.advance(hours=1)
        repo.commands.add_segment(session.id, "97010", start, start + timedelta(minutes=15))
        repo.commands.add_segment(session.id, "97110", start + timedelta(minutes=15),
                                  start + timedelta(minutes=60))
        repo.commands.close_session(session.id)
        clock.advance(days=2)
        start = clock.now
        group = [repo.commands.create_session(patient, "Medicare")
                 for patient in ("G1", "G2", "G3")]
        clock.advance(minutes=30)
        for session in group:
            repo.commands.add_segment(session.id, "97150", start,
                                      start + timedelta(minutes=30))
            repo.commands.close_session(session.id)
    save_settings(folder, settings)


def run(capsys, folder, *args):
    status = main(["--data-dir", str(folder), "summary", *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_the_day_summary_says_its_productivity(capsys, tmp_path, clock, settings):
    seed(tmp_path, clock, settings)
    status, out, _ = run(capsys, tmp_path, "--date", "2026-03-02", "--json")
    assert status == 0
    assert json.loads(out)["productivity"] == {
        "billable_minutes": 45, "clock_minutes": 60, "percent": 75, "scheduled_minutes": 450,
        "scheduled_percent": 10, "target": 80, "target_met": False, "running": False}
    status, out, _ = run(capsys, tmp_path, "--date", "2026-03-02")
    assert ("Productivity: 45 of 60 clock min billable (75%), target 80%: below; 10% of 450 "
            "scheduled min") in out.splitlines()
    _, out, _ = run(capsys, tmp_path, "--date", "2026-03-03", "--json")
    assert json.loads(out)["productivity"] is None
    _, out, _ = run(capsys, tmp_path, "--date", "2026-03-03")
    assert "Productivity: no figure (no segment, or under a minute of clock time)" in out


def test_a_week_a_row_a_day_then_the_totals(capsys, tmp_path, clock, settings):
    seed(tmp_path, clock, settings)
    status, out, err = run(capsys, tmp_path, "--from", "2026-03-02", "--json")
    assert status == 0 and err == ""
    data = json.loads(out)
    assert (data["from"], data["to"]) == ("2026-03-02", "2026-03-08")
    assert [day["date"] for day in data["days"]] == [f"2026-03-0{d}" for d in range(2, 9)]
    monday, tuesday, wednesday = data["days"][:3]
    assert (monday["sessions"], monday["units"], monday["productivity"]["percent"]) == (1, 3, 75)
    assert tuesday == {"date": "2026-03-03", "sessions": 0, "open_sessions": 0, "units": 0,
                       "timed_units": 0, "estimated_amount": "0.00", "productivity": None}
    assert wednesday["productivity"]["billable_minutes"] == 30
    assert wednesday["productivity"]["target_met"] is True
    totals = data["totals"]
    assert totals["sessions"] == 4 and totals["units"] == monday["units"] + wednesday["units"]
    assert Decimal(totals["estimated_amount"]) == (Decimal(monday["estimated_amount"])
                                                   + Decimal(wednesday["estimated_amount"]))
    assert totals["productivity"] == {
        "billable_minutes": 75, "clock_minutes": 90, "percent": 83, "scheduled_minutes": 900,
        "scheduled_percent": 8, "target": 80, "target_met": True, "running": False}


def test_the_week_as_text(capsys, tmp_path, clock, settings):
    seed(tmp_path, clock, settings)
    status, out, _ = run(capsys, tmp_path, "--from", "2026-03-02", "--to", "2026-03-04")
    lines = out.splitlines()
    assert status == 0 and lines[0] == (
        "Summary Mon 02 Mar 2026 to Wed 04 Mar 2026: 4 sessions")
    assert lines[2].split() == ["Day", "Sessions", "Billable", "Clock", "Prod", "Units",
                                "Estimate", "Target"]
    assert lines[3].split()[:8] == ["Mon", "02", "Mar", "2026", "1", "45", "60", "75%"]
    assert lines[3].endswith(" below")
    assert lines[4].split() == ["Tue", "03", "Mar", "2026", "0", "-", "-", "-", "0", "$0.00",
                                "-"]
    assert lines[5].endswith(" met")
    assert lines[6].split()[:5] == ["Total", "4", "75", "90", "83%"]
    assert lines[-1].startswith("Productivity: 75 of 90 clock min billable (83%), target "
                                "80%: met")
    assert max(len(line) for line in lines[:-1]) <= 80


def test_a_range_the_wrong_way_round_or_too_long_is_refused(capsys, tmp_path):
    status, _, err = run(capsys, tmp_path, "--from", "2026-03-08", "--to", "2026-03-02")
    assert status == 2 and "--from 2026-03-08 is after --to 2026-03-02" in err
    status, _, err = run(capsys, tmp_path, "--from", "2025-01-01", "--to", "2026-01-02")
    assert status == 2 and "367 days: a range is at most 366 days" in err
    status, _, err = run(capsys, tmp_path, "--to", "2026-03-02")
    assert status == 2 and "--to goes with --from" in err
    assert "Traceback" not in err
    assert not (tmp_path / "days").exists()


def test_a_year_is_one_row_a_day_and_the_range_reads_without_writing(capsys, tmp_path, clock,
                                                                      settings):
    seed(tmp_path, clock, settings)
    before = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*")}
    status, out, _ = run(capsys, tmp_path, "--from", "2026-01-01", "--to", "2026-12-31",
                         "--json")
    assert status == 0 and len(json.loads(out)["days"]) == 365
    assert {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*")} == before
    status, out, _ = run(capsys, tmp_path, "--from", "2100-12-30", "--json")
    assert status == 0 and json.loads(out)["to"] == "2100-12-31"


def test_an_open_session_is_counted_and_said(capsys, tmp_path, clock, settings):
    with Repository.open(tmp_path, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        clock.advance(minutes=20)
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                                  clock.now)
    status, out, _ = run(capsys, tmp_path, "--from", "2026-03-02", "--to", "2026-03-02")
    row = out.splitlines()[3]
    assert status == 0 and row.split()[4:9] == ["1", "(1", "open)", "20", "20"]
    assert len(row) == len(out.splitlines()[2]) and "Target" not in out
