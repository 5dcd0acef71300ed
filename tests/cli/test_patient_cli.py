"""`tabletime patient`: a patient's Medicare year so far, and the amount used at other
providers that KX counts (issue 10)."""

import json
from datetime import timedelta

from storage.repository import Repository
from tui.cli.main import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def seen(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=45),
                                  clock.now)
        repo.commands.close_session(session.id)


def test_records_and_shows_the_amount_used_elsewhere(capsys, tmp_path, clock, settings,
                                                     monkeypatch):
    monkeypatch.setattr("tui.cli.data.system_clock", clock)
    data = str(tmp_path / "data")
    seen(tmp_path / "data", clock, settings)
    status, out, err = run(capsys, "--data-dir", data, "patient", "AB12", "--used-elsewhere",
                           "$2,400", "--bucket", "pt", "--note", "eligibility check")
    assert status == 0 and "recorded $2,400.00 used elsewhere in 2026 (PT+SLP)" in err
    status, out, _ = run(capsys, "--data-dir", data, "patient", "AB12", "--json")
    medicare = json.loads(out)["medicare"]
    # 97110 45 min in March 2026: $73.48 allowed here, $2,400 elsewhere: past $2,480
    assert medicare["PT+SLP"]["here"] == "73.48" and medicare["PT+SLP"]["total"] == "2473.48"
    assert medicare["OT"]["total"] == "0.00"
    status, out, _ = run(capsys, "--data-dir", data, "patient", "AB12")
    assert "PT+SLP  $73.48 here + $2,400.00 elsewhere" in out and "within 10%" in out


def test_refuses_what_is_not_an_amount_bucket_or_year(capsys, tmp_path):
    data = str(tmp_path / "data")
    for args, words in ((["--used-elsewhere", "12.345"], "dollars and cents"),
                        (["--used-elsewhere", "-5"], "dollars and cents"),
                        (["--used-elsewhere", "lots"], "not an amount"),
                        (["--used-elsewhere", "1e3", "--bucket", "OT"], "dollars and cents"),
                        (["--used-elsewhere", "5"], "needs --bucket"),
                        (["--used-elsewhere", "5", "--bucket", "XY"], "not a KX bucket"),
                        (["--used-elsewhere", "5", "--bucket", "OT", "--year", "3000"],
                         "out of range")):
        status, _, err = run(capsys, "--data-dir", data, "patient", "AB12", *args)
        assert status == 2 and words in err and err.count("\n") == 1, err
    assert not (tmp_path / "data" / "patients.json").exists()


def test_reading_a_patient_never_writes(capsys, tmp_path):
    status, _, err = run(capsys, "--data-dir", str(tmp_path / "none"), "patient", "AB12")
    assert status == 2 and "no data folder" in err and not (tmp_path / "none").exists()


def test_an_authorization_is_recorded_counted_down_and_checked(capsys, tmp_path, clock,
                                                                settings, monkeypatch):
    """Three authorized visits, two used: one left is low; the day summary says so too."""
    monkeypatch.setattr("tui.cli.data.system_clock", clock)
    data = str(tmp_path / "data")
    status, _, err = run(capsys, "--data-dir", data, "patient", "AB12", "--payer", "Medicare",
                         "--authorized-visits", "3", "--authorized-units", "40",
                         "--until", "2026-03-31", "--note", "letter of 1 Mar")
    assert status == 0 and "recorded the Medicare authorization of AB12 (2026-03-02 to " \
        "2026-03-31)" in err
    seen(tmp_path / "data", clock, settings)
    clock.advance(days=1)
    seen(tmp_path / "data", clock, settings)
    status, out, _ = run(capsys, "--data-dir", data, "patient", "AB12", "--json")
    (balance,) = json.loads(out)["authorizations"]
    assert (balance["visits_used"], balance["visits_left"], balance["units_used"],
            balance["units_left"], balance["kind"]) == (2, 1, 6, 34, "authorization-low")
    status, out, _ = run(capsys, "--data-dir", data, "patient", "AB12")
    assert "! Medicare authorization: 1 authorized visit left, 34 units left, ends 31 Mar " \
        "2026 (from 2026-03-02)" in out
    status, out, _ = run(capsys, "--data-dir", data, "summary", "--json")
    kinds = {c["kind"] for c in json.loads(out)["checks"]}
    assert "authorization-low" in kinds


def test_a_bad_authorization_is_one_line_and_writes_nothing(capsys, tmp_path, clock,
                                                            monkeypatch):
    monkeypatch.setattr("tui.cli.data.system_clock", clock)
    data = tmp_path / "data"
    for argv, says in [
        (["--authorized-visits", "3"], "needs --payer NAME and --until DATE"),
        (["--payer", "Nobody", "--authorized-visits", "3", "--until", "2026-03-31"],
         "no payer profile 'Nobody'"),
        (["--payer", "Medicare", "--authorized-visits", "0", "--until", "2026-03-31"],
         "greater than or equal to 1"),
        (["--payer", "Medicare", "--authorized-visits", "3", "--until", "2026-03-01"],
         "ends (2026-03-01) before it starts (2026-03-02)"),
        (["--payer", "Medicare", "--authorized-visits", "3", "--until", "31/31"], "31/31"),
    ]:
        status, out, err = run(capsys, "--data-dir", str(data), "patient", "AB12", *argv)
        assert status == 2 and out == "" and says in err and err.count("\n") == 1, argv
    assert not (data / "patients.json").exists()


def test_an_episode_is_recorded_and_its_clocks_printed_and_checked(capsys, tmp_path, clock,
                                                                   settings, monkeypatch):
    monkeypatch.setattr("tui.cli.data.system_clock", clock)
    data = str(tmp_path / "data")
    status, _, err = run(capsys, "--data-dir", data, "patient", "AB12", "--start-of-care",
                         "2026-01-01", "--discipline", "PT")
    assert status == 0 and "recorded the PT episode of AB12 from 2026-01-01, certified " \
        "through 2026-03-31, not signed yet" in err
    seen(tmp_path / "data", clock, settings)  # 2 Mar 2026: 60 days in, unsigned
    status, out, _ = run(capsys, "--data-dir", data, "patient", "AB12", "--json")
    pt = json.loads(out)["clocks"]["PT"]
    assert pt["plan_of_care"]["kind"] == "certification-unsigned"
    assert pt["progress_report"]["treatment_days"] == 1
    status, out, _ = run(capsys, "--data-dir", data, "summary", "--json")
    assert "certification-unsigned" in {c["kind"] for c in json.loads(out)["checks"]}
    run(capsys, "--data-dir", data, "patient", "AB12", "--start-of-care", "2026-01-01",
        "--discipline", "PT", "--certified-until", "2026-03-15", "--signed", "2026-01-20")
    status, out, _ = run(capsys, "--data-dir", data, "patient", "AB12")
    assert "! PT plan of care certified through 15 Mar 2026: ends in 13 days, recertify" in out
    for argv, says in [(["--start-of-care", "2026-01-01"], "needs --discipline"),
                       (["--signed", "2026-01-20"], "belong to an episode"),
                       (["--start-of-care", "2026-01-01", "--discipline", "PT",
                         "--certified-until", "2026-06-01"], "at the latest (90 days)")]:
        status, out, err = run(capsys, "--data-dir", data, "patient", "AB12", *argv)
        assert status == 2 and out == "" and says in err, argv
