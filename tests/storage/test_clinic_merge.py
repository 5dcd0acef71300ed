"""`clinic merge` (storage/clinic.py): two therapists' backups, written by the app's own
commands, in one SQLite file; every row names its therapist; each therapist billed exactly as
their own `export --kind lines`; refusals that write nothing."""

import csv
import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.billing.modifiers import TherapyBucket
from core.kinds import Discipline, FurnishedBy
from core.settings import Settings
from storage.backup import verify_backup
from storage.clinic.archives import Archive, chosen
from storage.clinic.database import SCHEMA, merge
from storage.clinic.reading import ClinicFile
from storage.errors import BadPath
from storage.reports import claim_rows
from storage.repository import Repository
from storage.settings_file import save_settings
from tui.cli.main import main

DAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York, a Monday
NOW = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)
ZONE = "America/New_York"
DANA = Settings(therapist="Dana Reyes", credentials="PT, DPT", timezone=ZONE,
                npi="1234567893", provider_code="DREYES", billing_entity="Reyes Therapy")
SAM = Settings(therapist="Sam Lee", credentials="PTA", role=FurnishedBy.ASSISTANT,
               timezone=ZONE, billing_entity="Reyes Therapy")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def at(hour: float, day: int = 0) -> datetime:
    return DAY + timedelta(days=day, hours=hour - 10)


def visit(repo: Repository, clock: Clock, patient: str, code: str, start: datetime,
          minutes: int) -> None:
    """A Medicare session opened at `start`, one segment, closed a minute after it."""
    clock.now = start
    session = repo.commands.create_session(patient, "Medicare")
    end = start + timedelta(minutes=minutes)
    clock.now = end + timedelta(minutes=1)
    repo.commands.add_segment(session.id, code, start, end)
    repo.commands.close_session(session.id)


def therapist_folder(folder: Path, settings: Settings, visits, elsewhere=None) -> Path:
    """A folder written by the app's commands: `visits` as (patient, code, start, minutes)."""
    clock = Clock(DAY)
    with Repository.open(folder, clock, settings) as repo:
        for patient, code, start, minutes in visits:
            visit(repo, clock, patient, code, start, minutes)
        if elsewhere:
            repo.patients.set_used_elsewhere(elsewhere[0], 2026, TherapyBucket.PT_SLP,
                                             elsewhere[1], clock.now, "eligibility check")
    save_settings(folder, settings)
    return folder


DANA_VISITS = [("CT01", "97110", at(10), 40),      # co-treated: 10:15-10:40 with Sam
               ("DU02", "97140", at(11), 20),      # a duplicate of Sam's line
               ("KX03", "97110", at(12), 45),
               ("KX03", "97112", at(10, day=1), 38)]
SAM_VISITS = [("CT01", "97530", at(10.25), 25),
              ("DU02", "97140", at(11.5), 20),
              ("KX03", "97110", at(13), 53),
              ("KX03", "97530", at(14, day=1), 38)]
KX_ELSEWHERE = ("KX03", Decimal("2250.00"))
"""Entered at Dana's: with her own lines under the 2026 threshold, over it with Sam's."""


def backup(folder: Path, archive: Path) -> Path:
    assert main(["--data-dir", str(folder), "backup", str(archive)]) == 0
    return archive


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("clinic")
    dana = therapist_folder(base / "dana", DANA, DANA_VISITS, KX_ELSEWHERE)
    sam = therapist_folder(base / "sam", SAM, SAM_VISITS)
    return backup(dana, base / "dana.tar.gz"), backup(sam, base / "sam.tar.gz")


def merged(archives, out: Path, **options) -> sqlite3.Connection:
    merge(list(archives), out, out.parent / "no-data-folder", NOW, **options)
    return read_only(out)


def read_only(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


def exported_lines(folder: Path, capsys, *range_: str) -> list[tuple[str, ...]]:
    """The therapist's own `export --kind lines`, as the columns the database keeps."""
    capsys.readouterr()
    assert main(["--data-dir", str(folder), "export", "--kind", "lines", *range_]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    return [(r["date_of_service"], r["patient"], r["code"],
             " ".join(filter(None, (r[f"modifier_{n}"] for n in range(1, 5)))), r["units"],
             r["minutes"], r["estimated_amount"], r["allowed_amount"],
             r["rendering_therapist"], r["rendering_npi"]) for r in rows]


def stored_lines(db: sqlite3.Connection, therapist: int) -> list[tuple[str, ...]]:
    def money(cents: int | None) -> str:
        return "" if cents is None else f"{Decimal(cents).scaleb(-2):.2f}"

    return [(r["date_of_service"], r["patient"], r["code"], r["modifiers"], str(r["units"]),
             "" if r["minutes"] is None else str(r["minutes"]), money(r["estimated_cents"]),
             money(r["allowed_cents"]), r["rendering_therapist"], r["rendering_npi"])
            for r in db.execute("SELECT * FROM claim_lines WHERE therapist_id = ? "
                                "ORDER BY line_id", (therapist,))]


def test_two_therapists_in_one_file_every_row_naming_its_therapist(archives, tmp_path, capsys):
    out = tmp_path / "clinic.sqlite"
    db = merged(archives, out)
    assert out.stat().st_mode & 0o777 == 0o600
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    therapists = [tuple(r) for r in db.execute(
        "SELECT therapist_id, identity, name, credentials, discipline, role, npi, "
        "provider_code, billing_entity FROM therapists ORDER BY therapist_id")]
    assert therapists == [
        (1, "npi 1234567893", "Dana Reyes", "PT, DPT", "PT", "therapist", "1234567893",
         "DREYES", "Reyes Therapy"),
        (2, "Sam Lee, PTA (PT)", "Sam Lee", "PTA", "PT", "assistant", "", "", "Reyes Therapy")]
    for table in ("sessions", "segments", "claim_lines"):
        counts = dict(db.execute(f"SELECT therapist_id, count(*) FROM {table} GROUP BY 1"))
        assert counts.keys() == {1, 2}, table
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 8
    # The co-treated patient: 25 minutes of both therapists' timed segments overlap.
    overlap = db.execute(
        "SELECT a.therapist_id, b.therapist_id, (julianday(min(a.ended_at, b.ended_at)) - "
        "julianday(max(a.started_at, b.started_at))) * 1440 FROM segments a JOIN segments b "
        "ON a.therapist_id < b.therapist_id JOIN sessions sa ON sa.session_id = a.session_id "
        "JOIN sessions sb ON sb.session_id = b.session_id WHERE sa.patient = 'CT01' "
        "AND sb.patient = 'CT01' AND a.timed AND b.timed").fetchone()
    assert (overlap[0], overlap[1], round(overlap[2])) == (1, 2, 25)
    # The duplicate line: the same patient, date, code and payer from both.
    assert [tuple(r) for r in db.execute(
        "SELECT therapist_id, code, payer, units FROM claim_lines WHERE patient = 'DU02' "
        "ORDER BY therapist_id")] == [(1, "97140", "Medicare", 1), (2, "97140", "Medicare", 1)]
    # Each therapist billed exactly as their own export bills their folder.
    base = archives[0].parent
    assert stored_lines(db, 1) == exported_lines(base / "dana", capsys)
    assert stored_lines(db, 2) == exported_lines(base / "sam", capsys)
    # The clinic checks (core.clinic), on the right patient and date, naming both.
    assert [tuple(r) for r in db.execute(
        "SELECT kind, date_of_service, patient, therapist_ids FROM clinic_checks "
        "ORDER BY check_id")] == [
        ("co-treatment", "2026-03-02", "CT01", "[1, 2]"),
        ("clock-time", "2026-03-02", "CT01", "[1, 2]"),
        ("duplicate-line", "2026-03-02", "DU02", "[1, 2]"),
        ("pooling", "2026-03-02", "DU02", "[1, 2]"),
        ("duplicate-line", "2026-03-02", "KX03", "[1, 2]"),
        ("pooling", "2026-03-03", "KX03", "[1, 2]"),
        ("kx", "2026-03-03", "KX03", "[1, 2]")]
    sessions = {r[0]: r[1] for r in db.execute("SELECT session_id, patient FROM sessions")}
    for patient, ids in db.execute("SELECT patient, session_ids FROM clinic_checks"):
        assert {sessions[i] for i in json.loads(ids)} == {patient}


def test_a_kx_crossing_only_the_sum_shows(archives, tmp_path):
    db = merged(archives, tmp_path / "clinic.sqlite")
    kx = db.execute("SELECT count(*) FROM claim_lines WHERE ' ' || modifiers || ' ' "
                    "LIKE '% KX %'").fetchone()[0]
    assert kx == 0  # neither therapist's own year so far passes the threshold
    billed = db.execute("SELECT therapist_id, sum(allowed_cents) FROM claim_lines "
                        "WHERE patient = 'KX03' GROUP BY 1").fetchall()
    elsewhere = db.execute("SELECT therapist_id, elsewhere_cents, billed_cents FROM "
                           "year_before WHERE patient = 'KX03'").fetchall()
    assert [tuple(r) for r in elsewhere] == [(1, 225000, 0)]
    dana, sam = (row[1] for row in billed)
    assert 225000 + dana < 248000 < 225000 + dana + sam  # the 2026 threshold, $2,480


def test_a_range_bills_the_year_before_it_and_keeps_only_its_days(archives, tmp_path,
                                                                  capsys):
    db = merged(archives, tmp_path / "clinic.sqlite", first=DAY.date() + timedelta(days=1))
    assert {r[0] for r in db.execute("SELECT date_of_service FROM sessions UNION "
                                     "SELECT date_of_service FROM claim_lines")} == {
        "2026-03-03"}
    assert db.execute("SELECT count(*) FROM segments").fetchone()[0] == 2
    base = archives[0].parent
    assert stored_lines(db, 1) == exported_lines(base / "dana", capsys, "--from", "2026-03-03")
    before = {(r["therapist_id"], r["before_date"]): r["billed_cents"] for r in db.execute(
        "SELECT * FROM year_before WHERE patient = 'KX03'")}
    day_one = dict(db.execute("SELECT therapist_id, 0 FROM therapists"))
    full = merged(archives, tmp_path / "full.sqlite")
    for therapist, cents in full.execute(
            "SELECT therapist_id, sum(allowed_cents) FROM claim_lines WHERE patient = 'KX03' "
            "AND date_of_service = '2026-03-02' GROUP BY 1"):
        day_one[therapist] = cents
    assert before == {(t, "2026-03-03"): cents for t, cents in day_one.items()}
    meta = db.execute("SELECT DISTINCT range_from, range_to FROM meta").fetchall()
    assert [tuple(r) for r in meta] == [("2026-03-03", None)]


def member(tar: tarfile.TarFile, name: str | tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(name)
    assert handle is not None
    return handle.read()


def test_kx_in_a_range_counts_the_therapist_s_year_before_it(tmp_path, capsys):
    """$2,340 entered and the first day's lines pass $2,480 before the range begins."""
    folder = therapist_folder(tmp_path / "dana", DANA, DANA_VISITS,
                              ("KX03", Decimal("2340.00")))
    db = merged([backup(folder, tmp_path / "dana.tar.gz")], tmp_path / "c.sqlite",
                first=DAY.date() + timedelta(days=1))
    lines = stored_lines(db, 1)
    assert lines == exported_lines(folder, capsys, "--from", "2026-03-03")
    assert [line[3] for line in lines] == ["GP KX"]


def manifest_bytes(archive: Path) -> bytes:
    with tarfile.open(archive) as tar:
        return member(tar, "tabletime-backup/manifest.json")


def manifest(archive: Path) -> dict:
    return json.loads(manifest_bytes(archive))


def test_meta_names_each_archive_its_checksum_and_when(archives, tmp_path):
    db = merged(archives, tmp_path / "clinic.sqlite")
    rows = db.execute("SELECT * FROM meta ORDER BY therapist_id").fetchall()
    assert [r["archive"] for r in rows] == [str(a.resolve()) for a in archives]
    for row, archive in zip(rows, archives, strict=True):
        assert row["manifest_sha256"] == hashlib.sha256(manifest_bytes(archive)).hexdigest()
        assert row["created"] == manifest(archive)["created"]
        assert row["merged"] == 1 and row["merged_at"] == NOW.isoformat()


def test_a_re_merge_builds_the_file_whole_again(archives, tmp_path):
    out = tmp_path / "clinic.sqlite"
    merged(archives, out).close()
    merge([archives[0]], out, tmp_path / "none", NOW, force=True)
    db = read_only(out)
    assert [r[0] for r in db.execute("SELECT DISTINCT therapist_id FROM sessions")] == [1]
    assert db.execute("SELECT count(*) FROM therapists").fetchone()[0] == 1


def rewritten(archive: Path, out: Path, change) -> Path:
    """A copy of the archive with each member's bytes passed through `change(name, bytes)`."""
    with tarfile.open(archive) as source, tarfile.open(out, "w:gz") as target:
        for entry in source:
            data = change(entry.name, member(source, entry))
            info = tarfile.TarInfo(entry.name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return out


@pytest.mark.parametrize("change", [
    lambda name, data: data.replace(b"KX03", b"ZZ99"),  # a checksum that differs
    lambda name, data: data.replace(b'"format": 1', b'"format": 9'),
    lambda name, data: data.replace(b"opened_at", b"openedat"),  # the manifest follows
])
def test_a_damaged_archive_is_refused_as_restore_refuses_it(archives, tmp_path, change):
    bad = rewritten(archives[1], tmp_path / "bad.tar.gz", change)
    with pytest.raises(BadPath) as restore_says:
        verify_backup(bad)
    out = tmp_path / "clinic.sqlite"
    with pytest.raises(BadPath) as merge_says:
        merge([archives[0], bad], out, tmp_path / "none", NOW)
    assert str(merge_says.value) in (str(restore_says.value), f"{bad}: {restore_says.value}")
    assert list(tmp_path.iterdir()) == [bad]


def test_a_hostile_archive_is_refused_and_nothing_written(archives, tmp_path):
    hostile = tmp_path / "hostile.tar.gz"
    with tarfile.open(archives[0]) as source, tarfile.open(hostile, "w:gz") as target:
        for member in source:
            target.addfile(member, source.extractfile(member))
        link = tarfile.TarInfo("tabletime-backup/days/2026/2026-03-09.json")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        target.addfile(link)
    with pytest.raises(BadPath, match="not a Tabletime backup"):
        merge([hostile], tmp_path / "clinic.sqlite", tmp_path / "none", NOW)
    assert list(tmp_path.iterdir()) == [hostile]


def test_the_output_never_lands_in_a_data_folder(archives, tmp_path):
    dana = archives[0].parent / "dana"
    before = sorted(p.name for p in dana.rglob("*"))
    (dana / "exports").mkdir(exist_ok=True)
    for target in (dana / "clinic.sqlite", dana / "exports" / "clinic.sqlite"):
        with pytest.raises(BadPath, match="inside the data folder"):
            merge(list(archives), target, tmp_path / "none", NOW)
    configured = tmp_path / "mine"  # the data folder of this command, new or not
    configured.mkdir()
    with pytest.raises(BadPath, match="inside the data folder"):
        merge(list(archives), configured / "clinic.sqlite", configured, NOW)
    (dana / "exports").rmdir()
    assert sorted(p.name for p in dana.rglob("*")) == before
    assert list(configured.iterdir()) == []


def test_never_over_a_file_without_force_nor_over_an_archive(archives, tmp_path):
    out = tmp_path / "clinic.sqlite"
    out.write_text("precious")
    with pytest.raises(BadPath, match="exists"):
        merge(list(archives), out, tmp_path / "none", NOW)
    assert out.read_text() == "precious"
    with pytest.raises(BadPath, match="one of the archives"):
        merge(list(archives), archives[1], tmp_path / "none", NOW, force=True)
    with pytest.raises(BadPath, match="not a SQLite file: --force replaces a clinic file"):
        merge(list(archives), out, tmp_path / "none", NOW, force=True)
    assert out.read_text() == "precious"
    other = tmp_path / "other.tar.gz"  # a backup given as --out by a slip of the arguments
    other.write_bytes(archives[0].read_bytes())
    with pytest.raises(BadPath, match="not a SQLite file"):
        merge([archives[1]], other, tmp_path / "none", NOW, force=True)
    assert other.read_bytes() == archives[0].read_bytes()
    out.unlink()
    merge([archives[0]], out, tmp_path / "none", NOW)
    merge(list(archives), out, tmp_path / "none", NOW, force=True)  # a clinic file: replaced
    assert read_only(out).execute("SELECT count(*) FROM therapists").fetchone()[0] == 2


def test_the_same_archive_twice_is_refused_naming_both(archives, tmp_path):
    again = shutil.copy(archives[0], tmp_path / "again.tar.gz")
    with pytest.raises(BadPath) as refused:
        merge([archives[0], archives[1], again], tmp_path / "c.sqlite", tmp_path / "n", NOW)
    assert f"{archives[0]} and {again} are the same backup" in str(refused.value)
    assert not (tmp_path / "c.sqlite").exists()


def with_created(archive: Path, out: Path, created: str) -> Path:
    """The archive as if written at `created` (the manifest's time is not checksummed)."""
    def change(name: str, data: bytes) -> bytes:
        if not name.endswith("manifest.json"):
            return data
        return json.dumps({**json.loads(data), "created": created}).encode()

    return rewritten(archive, out, change)


def test_of_two_backups_of_one_therapist_the_newer_is_merged(archives, tmp_path):
    folder = tmp_path / "dana"
    shutil.copytree(archives[0].parent / "dana", folder)
    older = with_created(backup(folder, tmp_path / "a.tar.gz"), tmp_path / "older.tar.gz",
                         "2026-03-05T12:00:00+00:00")
    clock = Clock(NOW)
    with Repository.open(folder, clock, DANA) as repo:
        visit(repo, clock, "NEW1", "97110", at(10, day=3), 30)
    newer = backup(folder, tmp_path / "newer.tar.gz")
    out = tmp_path / "clinic.sqlite"
    db = merged([newer, older], out)
    assert "NEW1" in {r[0] for r in db.execute("SELECT patient FROM sessions")}
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == 5
    assert [tuple(r) for r in db.execute("SELECT archive, therapist_id, merged FROM meta")] == [
        (str(newer), 1, 1), (str(older), 1, 0)]
    same_second = with_created(older, tmp_path / "same.tar.gz", manifest(newer)["created"])
    with pytest.raises(BadPath, match="written at the same time"):
        merge([newer, same_second], tmp_path / "x.sqlite", tmp_path / "n", NOW)


def test_a_session_in_two_therapists_archives_is_refused(archives, tmp_path):
    copied = tmp_path / "copied"
    shutil.copytree(archives[0].parent / "dana", copied)
    save_settings(copied, SAM.model_copy(update={"therapist": "Kim Park"}))
    archive = backup(copied, tmp_path / "kim.tar.gz")
    with pytest.raises(BadPath, match="one folder was copied from the other"):
        merge([archives[0], archive], tmp_path / "c.sqlite", tmp_path / "n", NOW)
    assert not (tmp_path / "c.sqlite").exists()


def test_a_session_in_two_day_files_of_one_archive_is_refused(archives, tmp_path):
    """A day file copied to another date by hand (its date changed): a sound archive
    otherwise, with the manifest listing it."""
    with tarfile.open(archives[0]) as source:
        members = {entry.name: member(source, entry) for entry in source}
    root = "tabletime-backup/"
    day = members[f"{root}days/2026/2026-03-03.json"]
    members[f"{root}days/2026/2026-03-10.json"] = day.replace(b"2026-03-03", b"2026-03-10")
    listed = json.loads(members.pop(f"{root}manifest.json"))
    listed["files"] = {name.removeprefix(root): hashlib.sha256(data).hexdigest()
                       for name, data in members.items()}
    members[f"{root}manifest.json"] = json.dumps(listed).encode()
    copied = tmp_path / "copied.tar.gz"
    with tarfile.open(copied, "w:gz") as target:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    verify_backup(copied)  # restore would take it
    with pytest.raises(BadPath, match=f"{copied} holds .* in two day files"):
        merge([copied], tmp_path / "c.sqlite", tmp_path / "n", NOW)


def test_an_archive_naming_no_therapist_is_refused(tmp_path):
    folder = therapist_folder(tmp_path / "anon", Settings(timezone=ZONE),
                              [("AB12", "97110", at(10), 30)])
    with pytest.raises(BadPath, match="name no therapist"):
        merge([backup(folder, tmp_path / "anon.tar.gz")], tmp_path / "c.sqlite",
              tmp_path / "n", NOW)


def archive_of(identity: str, created: int, checksum: int) -> Archive:
    return Archive(Path(f"/b/{checksum}"), f"{checksum:064x}",
                   datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=created),
                   Settings(therapist=identity), "", frozenset())


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 10**6)), max_size=8,
                unique_by=lambda pair: pair[1]))
def test_one_archive_per_therapist_the_newest_never_a_double_count(pairs):
    archives = [archive_of(who, when, number) for number, (who, when) in enumerate(pairs)]
    winners, left_out = chosen(archives)
    assert sorted(a.identity for a in winners) == sorted({a.identity for a in archives})
    for archive in winners:
        assert archive.created == max(a.created for a in archives
                                      if a.identity == archive.identity)
    assert {a.path for a, _ in left_out} | {a.path for a in winners} == {
        a.path for a in archives}
    assert all(older.created < newer.created and newer in winners for older, newer in left_out)


def test_duckdb_reads_the_schema_and_the_merged_file(archives, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    source = merged(archives, tmp_path / "clinic.sqlite")
    target = duckdb.connect()
    target.execute(SCHEMA.read_text())  # the schema as it is: plain SQL
    for (table,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        rows = [tuple(r) for r in source.execute(f"SELECT * FROM {table}")]
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            target.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    query = ("SELECT therapist_id, sum(units), sum(allowed_cents) FROM claim_lines "
             "GROUP BY therapist_id ORDER BY therapist_id")
    assert target.execute(query).fetchall() == [tuple(r) for r in source.execute(query)]


def test_therapists_in_different_time_zones_are_refused(archives, tmp_path):
    west = therapist_folder(tmp_path / "west", Settings(therapist="Ola Tan", credentials="OT",
                                                        timezone="America/Los_Angeles"),
                            [("AB12", "97530", at(10), 30)])
    out = tmp_path / "c.sqlite"
    with pytest.raises(BadPath, match=r"different time zones .*America/Los_Angeles"):
        merge([*archives, backup(west, tmp_path / "west.tar.gz")], out, tmp_path / "n", NOW)
    assert not out.exists()


def test_the_sessions_read_back_are_the_therapists_own(archives, tmp_path):
    out = tmp_path / "clinic.sqlite"
    merge(list(archives), out, tmp_path / "n", NOW)
    with ClinicFile.open(out) as clinic, Repository.open(
            archives[0].parent / "dana", Clock(NOW), read_only=True) as repo:
        assert [t.name for t in clinic.therapists()] == ["Dana Reyes, PT, DPT", "Sam Lee, PTA"]
        for day, found in clinic.sessions(1, date(2026, 3, 1), date(2026, 3, 31)).items():
            assert found == repo.queries.day_sessions(day)
        assert [row for _, row in clinic.claim_rows(None, None) if row.therapist.startswith(
            "Dana")] == list(claim_rows(repo, None, None, NOW))


def test_kx_counts_a_therapist_without_a_session_in_the_range(tmp_path):
    dana = therapist_folder(tmp_path / "dana", DANA, [("KX03", "97110", at(10), 45)],
                            ("KX03", Decimal("2400.00")))
    sam = therapist_folder(tmp_path / "sam", SAM, [("KX03", "97110", at(10, day=1), 45)])
    archives = [backup(dana, tmp_path / "dana.tar.gz"), backup(sam, tmp_path / "sam.tar.gz")]
    for name, options in (("full", {}), ("range", {"first": DAY.date() + timedelta(days=1)})):
        db = merged(archives, tmp_path / f"{name}.sqlite", **options)
        assert [tuple(r) for r in db.execute(
            "SELECT kind, date_of_service, therapist_ids FROM clinic_checks")] == [
            ("kx", "2026-03-03", "[1, 2]")], name
    assert [tuple(r) for r in db.execute(
        "SELECT therapist_id, before_date, elsewhere_cents, billed_cents > 0 FROM year_before "
        "ORDER BY therapist_id")] == [(1, "2026-03-03", 240000, 1)]


def test_one_npi_given_by_two_people_is_refused_not_left_out(archives, tmp_path):
    tess = Settings(therapist="Tess Wu", credentials="OT", discipline=Discipline.OT,
                    timezone=ZONE, npi=DANA.npi)  # a settings file copied from a colleague
    folder = therapist_folder(tmp_path / "tess", tess, [("AB12", "97530", at(10), 30)])
    out = tmp_path / "c.sqlite"
    with pytest.raises(BadPath, match=f"both give the NPI {DANA.npi}, for Dana Reyes .PT. and "
                                      "Tess Wu .OT.: an NPI is one person's"):
        merge([archives[0], backup(folder, tmp_path / "tess.tar.gz")], out, tmp_path / "n", NOW)
    assert not out.exists()
    grown = DANA.model_copy(update={"credentials": "PT, DPT, OCS"})  # still one person
    later = therapist_folder(tmp_path / "later", grown, [("AB12", "97110", at(10, day=2), 30)])
    newer = with_created(backup(later, tmp_path / "later.tar.gz"), tmp_path / "newer.tar.gz",
                         "2027-01-01T08:00:00+00:00")
    merge([archives[0], newer], out, tmp_path / "n", NOW)
    assert [tuple(r) for r in read_only(out).execute("SELECT credentials FROM therapists")] == [
        ("PT, DPT, OCS",)]
