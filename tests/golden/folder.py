"""A generated multi-week data folder for the golden files: every billing shape the command
line's output depends on (pooling with and without a tie pick, CQ/CO, MPPR across
disciplines, KX crossing, statuses, families, evaluations, groups, a payer's fee table, an
open session, a year change), written through the store in the order it happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from core.billing.modifiers import TherapyBucket
from core.models import Discipline, FurnishedBy, Method, PayerProfile
from core.settings import DEFAULT_PAYERS, Settings
from storage.atomic import ensure_private_dir
from storage.repository import Repository
from storage.settings_file import save_settings

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 27, 21, 0, tzinfo=UTC)
"""The folder's "now": Friday 27 March 2026, 17:00 in New York."""
FEE_TABLE = PayerProfile(name="BlueCross", method=Method.PER_CODE,
                         fee_table={"97110": Decimal("40.00"), "97140": Decimal("38.50")})
SETTINGS = Settings(therapist="Dana Reyes", credentials="PT, DPT", timezone="America/New_York",
                    payers=(*DEFAULT_PAYERS, FEE_TABLE))
A, T = FurnishedBy.ASSISTANT, FurnishedBy.THERAPIST
DATES = ("2025-12-29", "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-27")
"""The dates of service the golden files cover."""


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


# (day, hour, patient, payer, discipline, [(code, minutes, by)], prefer, leave open)
Visit = tuple[str, float, str, str, Discipline, list[tuple[str, int, FurnishedBy]],
              tuple[str, ...], bool]
PT, OT, SLP = Discipline.PT, Discipline.OT, Discipline.SLP
VISITS: list[Visit] = [
    ("2025-12-29", 9, "KX01", "Medicare", PT, [("97110", 38, T), ("97140", 22, T)], (), False),
    ("2026-03-02", 8, "AB12", "Medicare", PT, [("97161", 30, T), ("97110", 33, T),
                                               ("97140", 7, T)], (), False),
    ("2026-03-02", 9, "CD34", "Commercial", PT, [("97110", 10, T), ("97116", 10, T),
                                                 ("97010", 15, T)], (), False),
    ("2026-03-02", 10, "EF56", "Medicare", OT, [("97165", 45, T), ("97530", 25, A)], (), False),
    ("2026-03-02", 11, "GH78", "Medicare", SLP, [("92507", 40, T), ("97129", 40, T)], (),
     False),
    ("2026-03-02", 13, "AB12", "Medicare", PT, [("97112", 20, T), ("97110", 20, T)],
     ("97110",), False),
    ("2026-03-09", 8, "KX01", "Medicare", PT, [("97110", 53, T), ("97140", 22, A),
                                               ("97112", 30, T)], (), False),
    ("2026-03-09", 10, "IJ90", "Medicaid", PT, [("97530", 23, T), ("97014", 15, T)], (),
     False),
    ("2026-03-09", 11, "IJ91", "Medicare", PT, [("97014", 15, T), ("G0283", 15, T),
                                                ("97110", 8, T)], (), False),
    ("2026-03-09", 13, "KL12", "BlueCross", PT, [("97110", 25, T), ("97140", 8, T)], (), False),
    ("2026-03-16", 8, "MN34", "Medicare", PT, [("97110", 20, T), ("97140", 20, T)],
     ("97140",), False),
    ("2026-03-16", 9, "MN34", "Medicare", OT, [("97530", 30, T), ("97535", 15, A)], (), False),
    ("2026-03-16", 11, "MN34", "Medicare", PT, [("97112", 20, T), ("97140", 20, T)],
     ("97112",), False),
    ("2026-03-16", 13, "OP56", "Medicare Advantage", PT, [("97164", 20, T), ("97750", 30, T),
                                                          ("97110", 15, A)], (), False),
    ("2026-03-23", 9, "QR78", "TRICARE", PT, [("97550", 40, T), ("97116", 7, T),
                                              ("97113", 7, T)], (), False),
    ("2026-03-23", 10, "ST90", "Medicare", SLP, [("92610", 30, T), ("92526", 20, T)], (),
     False),
    ("2026-03-27", 8, "AB12", "Medicare", PT, [("97110", 12, T), ("97140", 3, T)], (), False),
    ("2026-03-27", 9, "TIE1", "Medicare", PT, [("97110", 20, T), ("97140", 20, T)],
     ("97140",), False),  # pooled with the next: 97110 35 + 97140 20, a tie the pick decides
    ("2026-03-27", 11, "TIE1", "Medicare", PT, [("97110", 15, T)], (), False),
    ("2026-03-27", 15, "UV12", "Commercial", OT, [("97535", 22, T)], (), True),
]
GROUP = ("2026-03-23", 13, ("QR78", "WX34", "YZ56"), 40)


def _at(day: str, hour: float) -> datetime:
    local = datetime.fromisoformat(day).replace(tzinfo=ZONE) + timedelta(hours=hour)
    return local.astimezone(UTC)


def build_folder(data_dir: Path) -> None:
    """Write the folder (the store's own commands, as the app would, in time order)."""
    clock = Clock(_at(VISITS[0][0], VISITS[0][1]))
    ensure_private_dir(data_dir)
    save_settings(data_dir, SETTINGS)
    with Repository.open(data_dir, clock) as repo:
        repo.patients.set_used_elsewhere("KX01", 2026, TherapyBucket.PT_SLP, Decimal("2400.00"),
                                         clock.now, "eligibility check")
        group_done = False
        for day, hour, patient, payer, discipline, segments, prefer, leave_open in VISITS:
            if not group_done and (day, hour) > GROUP[:2]:
                _group(repo, clock)
                group_done = True
            clock.now = max(_at(day, hour), clock.now + timedelta(minutes=5))  # one at a time
            session = repo.commands.create_session(patient, payer, discipline)
            start = clock.now
            for code, minutes, by in segments:
                end = start + timedelta(minutes=minutes)
                clock.now = end
                repo.commands.add_segment(session.id, code, start, end, furnished_by=by,
                                          reason="golden")
                start = end
            if not leave_open:
                repo.commands.close_session(session.id, prefer=prefer)
        clock.now = NOW
        repo.pop_notices()


def _group(repo: Repository, clock: Clock) -> None:
    day, hour, patients, minutes = GROUP
    clock.now = max(_at(day, hour), clock.now + timedelta(minutes=5))
    repo.commands.start_group(list(patients), new_payer="Medicare")
    clock.now += timedelta(minutes=minutes)
    repo.commands.stop_group()
    for session in repo.queries.open_sessions():
        repo.commands.close_session(session.id)
