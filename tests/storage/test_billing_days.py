"""Issue 10 through the data folder: segments imported, then the day summary and the claim
lines, as a biller reads them (assistants' lines, the reduction across disciplines, KX on the
allowed amount with what other providers billed, Medicare status, per-code payers' dates)."""

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.billing.checks import CheckKind
from core.billing.modifiers import TherapyBucket
from core.formats.segments_csv import COLUMNS
from core.models import PayerProfile
from storage.imports import import_segments
from storage.reports import write_lines
from storage.repository import Repository
from storage.views import day_view, patient_year

NY = ZoneInfo("America/New_York")


class Rows:
    """A segments CSV built session by session."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def session(self, day: date, patient: str, parts, *, payer="Medicare", method="cms",
                discipline="PT", at: int = 9) -> None:
        """`parts`: (code, minutes, furnished_by) one after another from `at` o'clock."""
        session = str(uuid.uuid4())
        start = datetime(day.year, day.month, day.day, at, tzinfo=NY)
        for code, minutes, by in parts:
            end = start + timedelta(minutes=minutes)
            self.rows.append([session, day.isoformat(), patient, payer, method, discipline, code,
                              start.isoformat(), end.isoformat(), str(minutes * 60), by, ""])
            start = end

    def imported(self, repo: Repository, tmp_path) -> None:
        path = tmp_path / f"in-{uuid.uuid4()}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(self.rows)
        report = import_segments(repo, path)
        assert not report.errors, report.errors


@pytest.fixture
def late_clock(clock):
    clock.set(datetime(2027, 2, 1, 15, tzinfo=UTC))
    return clock


@pytest.fixture
def repo(data_dir, late_clock, settings):
    settings = settings.model_copy(update={"payers": (
        *settings.payers, PayerProfile(name="Medicaid", method="cms", medicare=False))})
    with Repository.open(data_dir, late_clock, settings) as repository:
        yield repository


def lines(repo, day):
    out = io.StringIO()
    write_lines(repo, day, day, repo.clock.raw(), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    found = []
    for r in rows:
        modifiers = [r[f"modifier_{i}"] for i in range(1, 5) if r[f"modifier_{i}"]]
        found.append(("-".join([r["code"], *modifiers]), int(r["units"]),
                      r["estimated_amount"], r["allowed_amount"]))
    return found


def test_therapist_and_assistant_minutes_of_97110_export_two_lines(repo, tmp_path):
    day = date(2026, 6, 1)
    rows = Rows()
    rows.session(day, "AB12", [("97110", 30, "therapist"), ("97110", 10, "assistant")])
    rows.imported(repo, tmp_path)
    assert lines(repo, day) == [("97110-GP", 2, "51.27", "51.27"),
                                ("97110-GP-CQ", 1, "18.88", "22.21")]


def test_one_reduction_across_a_pt_and_an_ot_session_of_one_patient(repo, tmp_path):
    day = date(2026, 6, 2)
    rows = Rows()
    rows.session(day, "AB12", [("97110", 30, "therapist")], discipline="PT", at=9)
    rows.session(day, "AB12", [("97530", 15, "therapist")], discipline="OT", at=11)
    rows.imported(repo, tmp_path)
    summary = day_view(repo, day, repo.clock.raw())
    assert summary.amount == Decimal("79.49")
    assert lines(repo, day) == [("97110-GP", 2, "44.42", "44.42"),
                                ("97530-GO", 1, "35.07", "35.07")]


def test_97014_on_a_medicare_day_is_a_check_not_a_zero_line(repo, tmp_path):
    day = date(2026, 6, 3)
    rows = Rows()
    rows.session(day, "AB12", [("97014", 15, "therapist"), ("97110", 15, "therapist")])
    rows.session(day, "CD34", [("97014", 15, "therapist"), ("97110", 15, "therapist")],
                 payer="Medicaid", at=11)
    rows.imported(repo, tmp_path)
    summary = day_view(repo, day, repo.clock.raw())
    assert [(r.patient, r.code) for r in summary.rows] == [
        ("AB12", "97110"), ("CD34", "97014"), ("CD34", "97110")]
    status = [c for c in summary.checks if c.kind is CheckKind.MEDICARE_STATUS]
    assert [c.message for c in status] == [
        "AB12: 97014 is not valid for Medicare (status I), so it is left off the claim: "
        "bill G0283 instead"]
    # a Medicaid payer using the Medicare method is never told "by Medicare"
    assert all("CD34" not in w for s in summary.sessions for w in s.billing.warnings)


def test_per_code_payer_counts_a_patients_date_of_service(repo, tmp_path):
    day = date(2026, 6, 4)
    rows = Rows()
    for at in (9, 14):
        rows.session(day, "AB12", [("97110", 10, "therapist")], payer="Commercial PPO",
                     method="per-code", at=at)
    rows.imported(repo, tmp_path)
    assert [(r.code, r.units) for r in day_view(repo, day, repo.clock.raw()).rows] == [
        ("97110", 1)]


def assistant_days(repo, tmp_path, count):
    """A patient seen only by an assistant, 97110 x4 (60 min) every weekday from January 5."""
    rows = Rows()
    days: list[date] = []
    day = date(2026, 1, 5)
    while len(days) < count:
        if day.weekday() < 5:
            rows.session(day, "PTA1", [("97110", 60, "assistant")])
            days.append(day)
        day += timedelta(days=1)
    rows.imported(repo, tmp_path)
    return days


def test_kx_counts_the_allowed_amount_not_the_assistants_85_percent(repo, tmp_path):
    # 97110 x4 allowed: 29.06 + 3 x 22.21 = $95.69 a day (paid $81.34 at 85%). The 26th visit
    # passes $2,480 on the allowed amount ($2,487.94); on payments it would be the 31st.
    days = assistant_days(repo, tmp_path, 31)
    kx = [any("KX" in r.modifiers for r in day_view(repo, day, repo.clock.raw()).rows)
          for day in days]
    assert kx.index(True) == 25 and all(kx[25:])
    day_26 = day_view(repo, days[25], repo.clock.raw())
    assert [(r.modifiers, r.allowed, r.amount) for r in day_26.rows] == [
        (("GP", "CQ", "KX"), Decimal("95.69"), Decimal("81.34"))]
    (year,) = [b for b in patient_year(repo, "PTA1", 2026) if b.bucket is TherapyBucket.PT_SLP]
    assert year.here == 31 * Decimal("95.69")


def test_an_amount_used_at_other_providers_counts_toward_kx(repo, tmp_path):
    days = assistant_days(repo, tmp_path, 2)
    assert not any("KX" in r.modifiers for r in day_view(repo, days[0], repo.clock.raw()).rows)
    repo.patients.set_used_elsewhere("PTA1", 2026, TherapyBucket.PT_SLP, Decimal("2400.00"),
                                     repo.clock.raw(), "eligibility check")
    first = day_view(repo, days[0], repo.clock.raw())
    assert [r.modifiers for r in first.rows] == [("GP", "CQ", "KX")]
    # another bucket or another year does not count
    repo.patients.set_used_elsewhere("PTA1", 2026, TherapyBucket.PT_SLP, Decimal(0),
                                     repo.clock.raw())
    repo.patients.set_used_elsewhere("PTA1", 2026, TherapyBucket.OT, Decimal("2480"),
                                     repo.clock.raw())
    repo.patients.set_used_elsewhere("PTA1", 2025, TherapyBucket.PT_SLP, Decimal("2480"),
                                     repo.clock.raw())
    assert [r.modifiers for r in day_view(repo, days[0], repo.clock.raw()).rows] == [
        ("GP", "CQ")]


def test_a_year_without_a_known_threshold_warns_on_every_line(repo, tmp_path):
    day = date(2027, 1, 4)
    rows = Rows()
    rows.session(day, "AB12", [("97110", 30, "therapist"), ("97140", 15, "assistant")])
    rows.imported(repo, tmp_path)
    summary = day_view(repo, day, repo.clock.raw())
    unknown = [c for c in summary.checks if c.kind is CheckKind.KX_UNKNOWN_YEAR]
    assert len(unknown) == len(summary.rows) == 2
    assert "no KX threshold is known for 2027" in unknown[0].message


def test_edits_of_a_patients_date_are_named_in_the_summary(repo, tmp_path):
    day = date(2026, 6, 5)
    rows = Rows()
    rows.session(day, "AB12", [("97161", 30, "therapist"), ("97750", 20, "therapist")])
    rows.session(day, "AB12", [("97164", 20, "therapist")], at=13)
    rows.imported(repo, tmp_path)
    summary = day_view(repo, day, repo.clock.raw())
    kinds = {c.kind for c in summary.checks}
    assert {CheckKind.TWO_EVALUATIONS, CheckKind.RE_EVALUATION_WITH_TREATMENT,
            CheckKind.PERFORMANCE_TEST_WITH_EVALUATION} <= kinds
    assert all(c.source for c in summary.checks if c.kind is CheckKind.TWO_EVALUATIONS)


def test_an_evaluation_overlapping_the_patients_treatment_is_named(repo, tmp_path):
    day = date(2026, 6, 8)
    rows = Rows()
    rows.session(day, "AB12", [("97162", 40, "therapist")], at=9)
    rows.session(day, "AB12", [("97010", 15, "therapist")], discipline="OT", at=9)  # may share
    rows.session(day, "CD34", [("97530", 15, "assistant")], at=9)  # another patient's
    rows.imported(repo, tmp_path)
    assert CheckKind.EVALUATION_OVERLAP not in {
        c.kind for c in day_view(repo, day, repo.clock.raw()).checks}
    # a one-on-one code during the evaluation (backdated by hand) is named
    session = repo.queries.day_sessions(day)[0][0]
    start = datetime(2026, 6, 8, 9, 20, tzinfo=NY)
    repo.commands.reopen_session(session.id, "forgot a code")
    repo.commands.add_segment(session.id, "97140", start, start + timedelta(minutes=10))
    checks = day_view(repo, day, repo.clock.raw()).checks
    (overlap,) = [c for c in checks if c.kind is CheckKind.EVALUATION_OVERLAP]
    assert overlap.message.startswith("AB12: 97162 overlaps 97140")


def test_medicare_unit_limits_are_not_applied_to_other_payers(repo, tmp_path):
    day = date(2026, 6, 9)
    rows = Rows()
    rows.session(day, "AB12", [("97010", 15, "therapist"), ("97110", 30, "therapist")],
                 payer="Medicaid")
    rows.imported(repo, tmp_path)
    summary = day_view(repo, day, repo.clock.raw())
    assert not {CheckKind.UNIT_LIMIT, CheckKind.MEDICARE_STATUS} & {c.kind for c in summary.checks}
