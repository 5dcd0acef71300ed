"""The patient index: each patient's entries in one small file, always what the months hold,
written only by the writer and only for the patients a change touches, derived again when it
cannot be trusted; history, clocks, KX and `patient` read it instead of every month."""

import json
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from core.billing.modifiers import TherapyBucket
from storage import patient_index
from storage.check import check_folder
from storage.derive import patient_file, patients_cut
from storage.documents import MonthIndexDocument
from storage.imports import import_segments
from storage.repository import Repository
from storage.views import day_view, patient_history_view, patient_view
from tests.helpers import export_segments, killed

PATIENTS = ("AB12", "CD34", "EF56", "GH78")


def visit(repo, clock, patient, minutes=30, payer="Medicare"):
    session = repo.commands.create_session(patient, payer)
    clock.advance(minutes=minutes)
    repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=minutes),
                              clock.now)
    return repo.commands.close_session(session.id)


def weeks_of_visits(repo, clock, weeks=6):
    """Four patients seen weekly across two months, one of them twice on a day."""
    for _ in range(weeks):
        for patient in PATIENTS:
            visit(repo, clock, patient)
        visit(repo, clock, "AB12", minutes=15)
        clock.advance(days=7)


def from_months(repo, bucket):
    """What a file of the patient index must hold: the months' entries, cut to its patients."""
    return {day: cut for month in repo.indexes.months()
            for day, entry in repo.indexes.month(month).items()
            if (cut := patients_cut(entry, bucket)) is not None}


def on_disk(data_dir, bucket):
    path = data_dir / "index" / "patients" / f"{bucket}.json"
    if not path.exists():
        return {}
    document = MonthIndexDocument.model_validate(json.loads(path.read_text()))
    return {entry.date: entry for entry in document.days.values()}


def agrees(repo, patients=PATIENTS):
    """The patient index, kept and on disk, holds what the months hold."""
    for patient in patients:
        bucket = patient_file(patient)
        expected = from_months(repo, bucket)
        assert repo.indexes.patient_files({patient})[bucket] == expected
        assert on_disk(repo.data_dir, bucket) == expected


def history_from_months(repo, patient):
    return [(day, visit) for month in repo.indexes.months()
            for day, entry in sorted(repo.indexes.month(month).items())
            for visit in entry.sessions if visit.patient == patient]


def test_it_holds_what_the_months_hold_after_every_kind_of_change(repo, clock):
    weeks_of_visits(repo, clock)
    agrees(repo)
    first = repo.queries.visits("CD34")[0][1]
    repo.commands.reopen_session(first.id, "late note")
    agrees(repo)
    repo.commands.close_session(first.id)
    gone = repo.commands.create_session("EF56", "Medicare")
    agrees(repo)
    repo.commands.delete_session(gone.id, "entered twice")
    agrees(repo)
    opened = repo.commands.create_session("GH78", "Commercial")  # an open session counts too
    agrees(repo)
    assert repo.queries.visits("GH78")[-1][1].id == opened.id
    for patient in PATIENTS:
        assert repo.queries.visits(patient) == history_from_months(repo, patient)


def test_a_reader_and_the_next_writer_read_the_same_history(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        weeks_of_visits(repo, clock)
        kept = {p: patient_history_view(repo, p) for p in PATIENTS}
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        assert {p: patient_history_view(reader, p) for p in PATIENTS} == kept
        for patient in PATIENTS:
            assert reader.queries.visits(patient) == history_from_months(reader, patient)
    with Repository.open(data_dir, clock, settings) as again:
        assert again.pop_notices() == []
        agrees(again)


def test_a_change_writes_only_the_files_of_the_patients_it_touches(repo, clock, disk_writes):
    weeks_of_visits(repo, clock, weeks=2)
    disk_writes.clear()
    visit(repo, clock, "CD34")
    patient_files = {p.name for p in disk_writes if p.parent.name == "patients"}
    assert patient_files == {f"{patient_file('CD34')}.json"}


def test_timers_rewrite_no_patient_file(data_dir, clock, settings, disk_writes):
    with Repository.open(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        disk_writes.clear()
        for code in ("97110", "97140", "97530"):
            repo.commands.start(session.id, code)
            clock.advance(minutes=5)
        repo.commands.stop(session.id)
    assert [p for p in disk_writes if p.parent.name == "patients"] == []


@pytest.mark.parametrize("reference", ["../../etc", "A/B", "CON", "x:y*z?", "日本 01", "AB12."])
def test_file_names_never_hold_the_reference(repo, clock, reference):
    visit(repo, clock, reference)
    names = [p.name for p in (repo.data_dir / "index").rglob("*") if p.is_file()]
    assert all(re.fullmatch(r"[0-9a-f]{2}\.json|\d{4}-\d{2}\.json|months\.json", n)
               for n in names), names
    assert [v.patient for _, v in repo.queries.visits(reference)] == [reference.strip()]
    agrees(repo, [reference])


def test_history_clocks_and_kx_read_no_month_file(data_dir, clock, settings, monkeypatch):
    with Repository.open(data_dir, clock, settings) as repo:
        weeks_of_visits(repo, clock)
    from storage import sealed
    from storage.atomic import read_regular as real

    read: list[str] = []

    def reading(path: Path, **options: bool) -> bytes:
        read.append(path.name)
        return real(path, **options)

    monkeypatch.setattr(sealed, "read_regular", reading)
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        today = reader.local(clock.now).date()
        patient_history_view(reader, "AB12")
        patient_view(reader, "AB12", today.year, today)
        reader.queries.last_visit("CD34")
        reader.queries.year_to_date(today, {"AB12", "CD34"})
        day_view(reader, today - timedelta(days=7), clock.now)
    assert not [name for name in read if re.fullmatch(r"\d{4}-\d{2}\.json", name)], read


def test_the_year_so_far_of_a_few_patients_is_that_of_every_month(repo, clock):
    weeks_of_visits(repo, clock)
    visit(repo, clock, "CD34", payer="Commercial")
    repo.patients.set_used_elsewhere("AB12", 2026, TherapyBucket.PT_SLP, 100, clock.now)
    day = repo.local(clock.now).date()
    every = repo.queries.year_to_date(day)
    few = repo.queries.year_to_date(day, {"AB12", "EF56"})
    assert few == {key: amount for key, amount in every.items() if key[0] in {"AB12", "EF56"}}
    assert few[("AB12", TherapyBucket.PT_SLP)] > 100


DAMAGE = {
    "deleted": lambda path: path.unlink(),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:-40]),
    "wrong shape": lambda path: path.write_text(json.dumps({"days": ["2026-03-02"]})),
    "garbage field": lambda path: path.write_text(
        re.sub(r'"amount":"[0-9.]+"', '"amount":"lots"', path.read_text(), count=1)),
    "another amount": lambda path: path.write_text(
        re.sub(r'"amount":"[0-9.]+"', '"amount":"9999.99"', path.read_text(), count=1)),
    "a visit removed": lambda path: path.write_text(
        re.sub(r'"sessions":\[\{[^]]*\}\]', '"sessions":[]', path.read_text(), count=1)),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_patient_file_changed_by_hand_is_derived_again(data_dir, clock, settings, damage,
                                                         disk_writes):
    with Repository.open(data_dir, clock, settings) as repo:
        weeks_of_visits(repo, clock)
        truth = patient_history_view(repo, "AB12")
    path = data_dir / "index" / "patients" / f"{patient_file('AB12')}.json"
    DAMAGE[damage](path)
    disk_writes.clear()
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        assert patient_history_view(reader, "AB12") == truth
    assert disk_writes == []
    with Repository.open(data_dir, clock, settings) as writer:
        disk_writes.clear()
        assert patient_history_view(writer, "AB12") == truth
        assert disk_writes == []  # a query never writes
    assert disk_writes[:1] == [path]  # when the writer closed
    with Repository.open(data_dir, clock, settings) as writer:
        agrees(writer)


def test_deleting_the_index_stays_safe(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        weeks_of_visits(repo, clock)
        truth = {p: patient_history_view(repo, p) for p in PATIENTS}
    shutil.rmtree(data_dir / "index")
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        assert {p: patient_history_view(reader, p) for p in PATIENTS} == truth
    assert not (data_dir / "index").exists()
    with Repository.open(data_dir, clock, settings) as writer:
        assert {p: patient_history_view(writer, p) for p in PATIENTS} == truth
        agrees(writer)


def test_a_crash_before_the_summary_records_the_seals_is_healed(data_dir, clock, settings,
                                                               monkeypatch):
    from storage.indexes import Indexes

    with Repository.open(data_dir, clock, settings) as repo:
        weeks_of_visits(repo, clock, weeks=2)
        session = repo.commands.create_session("AB12", "Medicare")
        clock.advance(minutes=20)
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=20),
                                  clock.now)
        monkeypatch.setattr(Indexes, "_write_summary", lambda self, months: (
            _ for _ in ()).throw(SystemExit("killed")))
        with pytest.raises(SystemExit):  # the patient file is written, months.json is not
            repo.commands.close_session(session.id)
        monkeypatch.undo()
        killed(repo)
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        assert not reader.queries.visits("AB12")[-1][1].open
    with Repository.open(data_dir, clock, settings) as again:
        assert not again.queries.visits("AB12")[-1][1].open
        agrees(again)


def test_check_derives_the_patient_index_again(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        weeks_of_visits(repo, clock)
        truth = patient_history_view(repo, "EF56")
    assert check_folder(data_dir, clock).ok
    DAMAGE["another amount"](data_dir / "index" / "patients" / f"{patient_file('EF56')}.json")
    report = check_folder(data_dir, clock)
    assert [f.kind for f in report.findings] == ["patient-index"]
    assert on_disk(data_dir, patient_file("EF56"))[truth[0].day].sessions[0] == truth[0].visit
    assert check_folder(data_dir, clock).ok


def test_an_import_leaves_the_patient_index_whole(data_dir, clock, settings, tmp_path,
                                                  monkeypatch, disk_writes):
    monkeypatch.setattr(patient_index, "PENDING_DAYS", 3)  # past it, files are derived again
    with Repository.open(tmp_path / "source", clock, settings) as other:
        weeks_of_visits(other, clock)
        csv = tmp_path / "segments.csv"
        csv.write_text(export_segments(other))
        truth = {p: other.queries.visits(p) for p in PATIENTS}
    with Repository.open(data_dir, clock, settings) as repo:
        disk_writes.clear()
        report = import_segments(repo, csv)
        assert report.errors == () and report.sessions == 6 * 5
        assert [p for p in disk_writes if p.parent.name == "patients"] == []  # at the close
        for patient in PATIENTS:  # derived in memory meanwhile
            assert [(d, v.amount) for d, v in repo.queries.visits(patient)] == \
                [(d, v.amount) for d, v in truth[patient]]
    with Repository.open(data_dir, clock, settings) as again:
        assert again.pop_notices() == []
        agrees(again)


def test_an_index_of_an_earlier_tabletime_is_read_then_sealed(data_dir, clock, settings):
    with Repository.open(data_dir, clock, settings) as repo:
        weeks_of_visits(repo, clock)
        truth = patient_history_view(repo, "AB12")
    summary = data_dir / "index" / "months.json"
    raw = json.loads(summary.read_text())
    for entry in raw["months"].values():
        del entry["seal"]
    del raw["patients"]
    summary.write_text(json.dumps(raw))
    shutil.rmtree(data_dir / "index" / "patients")
    with Repository.open(data_dir, clock, settings, read_only=True) as reader:
        assert patient_history_view(reader, "AB12") == truth
    with Repository.open(data_dir, clock, settings) as writer:
        assert writer.pop_notices() == []
        agrees(writer)
    sealed = json.loads(summary.read_text())
    assert all(entry["seal"] for entry in sealed["months"].values())
    assert len(sealed["patients"]) == 256


def test_a_patient_not_seen_yet_reads_nothing_much(repo, clock):
    weeks_of_visits(repo, clock, weeks=1)
    assert repo.queries.visits("NEW1") == []
    assert repo.queries.last_visit("NEW1") is None
    assert patient_history_view(repo, "NEW1") == []


def test_the_clocks_of_a_day_come_from_the_patient_index(repo, clock):
    start = datetime(2026, 3, 2, 15, tzinfo=UTC)
    clock.set(start)
    for _ in range(9):
        visit(repo, clock, "AB12")
        clock.advance(days=2)
    visit(repo, clock, "CD34")
    day = repo.local(clock.now).date()
    summary = day_view(repo, day, clock.now)
    assert summary.sessions[0].session.patient == "CD34"
    session = repo.commands.create_session("AB12", "Medicare")
    repo.commands.start(session.id, "97110")
    reports = repo.queries.report_deadlines(day, repo.queries.day_sessions(day))
    assert reports[("AB12", session.discipline)].treatment_days == 10
    assert date(2026, 3, 2) == repo.queries.visits("AB12")[0][0]


def test_a_kill_after_the_month_file_before_the_patient_files_is_caught_up(
        data_dir, clock, settings, monkeypatch):
    """The writer writes the day file, the month's index, the patient files, then the seals:
    killed after the month's index, the next open must not trust that month file as what the
    patient files were made from."""
    from tests.helpers import rebuilt_equals_kept

    repo = Repository.open(data_dir, clock, settings)
    repo.commands.create_session("AB12", "Medicare")

    class Killed(BaseException):
        pass

    def killed_here(self):
        raise Killed

    monkeypatch.setattr(patient_index.PatientIndex, "write", killed_here)
    with pytest.raises(Killed):
        repo.commands.create_session("CD34", "Medicare")
    monkeypatch.undo()
    killed(repo)
    with Repository.open(data_dir, clock, settings) as again:
        rebuilt_equals_kept(again)
        assert [v.patient for _, v in again.queries.visits("CD34")] == ["CD34"]
