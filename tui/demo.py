"""`tabletime demo`: a throwaway data folder with sample sessions, to try everything safely."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from core.models import FurnishedBy
from core.place import Place, Telehealth
from core.settings import Settings
from storage.atomic import ensure_private_dir
from storage.repository import Repository
from storage.settings_file import save_settings

JS5520_EARLIER = (24, 22, 18, 16, 14, 10, 8, 2)
"""JS5520's 8 earlier treatment days: today's visit is the 9th, a progress report due next."""
PLAN = sorted((  # (days ago, start: hour on that day, or hours ago today), patient, payer, segments
    (3, 9, "DM0412", "Medicare", [("97110", 23, "t"), ("97140", 15, "t"), ("97010", 10, "t")]),
    (3, 10, "KT2231", "Commercial", [("97530", 18, "t"), ("97112", 10, "a")]),
    (1, 14, "DM0412", "Medicare", [("97112", 20, "t"), ("97110", 20, "t")]),
    (0, 3, "RB1187", "Medicare", [("97110", 33, "t"), ("97140", 7, "t")]),
    *((days, 11, "JS5520", "Medicare", [("97110", 25, "t"), ("97140", 15, "t")])
      for days in JS5520_EARLIER),
), key=lambda plan: (-plan[0], -plan[1] if plan[0] == 0 else plan[1]))
"""In the order they happened: the store's clock never runs backwards."""
VIDEO_VISIT = (0, "RB1187")
"""This morning's visit of RB1187 was by video, the patient at home (POS 10: modifier 95)."""
DEMO_NPI = "1234567893"
"""A made-up NPI with a valid check digit."""


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seed_demo(folder: Path, now: datetime) -> None:
    """Closed sessions on earlier days and this morning, one running and one paused now."""
    settings = Settings(therapist="Demo Therapist", credentials="PT, DPT", npi=DEMO_NPI)
    ensure_private_dir(folder)
    save_settings(folder, settings)
    zone = settings.zone
    clock = _Clock(now)
    with Repository.open(folder, clock, settings) as repo:
        for days_ago, hour, patient, payer, segments in PLAN:
            if days_ago == 0:
                clock.now = now - timedelta(hours=hour)
            else:
                day = (now.astimezone(zone) - timedelta(days=days_ago)).date()
                clock.now = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
            place = (Place("10", Telehealth.VIDEO) if (days_ago, patient) == VIDEO_VISIT
                     else None)
            session = repo.commands.create_session(patient, payer, place=place)
            start = clock.now
            for code, minutes, by in segments:
                end = start + timedelta(minutes=minutes)
                furnished = FurnishedBy.ASSISTANT if by == "a" else FurnishedBy.THERAPIST
                clock.now = end
                repo.commands.add_segment(session.id, code, start, end, furnished_by=furnished,
                                 reason="demo")
                start = end
            repo.commands.close_session(session.id)
        clock.now = now - timedelta(minutes=50)
        today = now.astimezone(zone).date()
        repo.patients.set_authorization(  # 3 visits: today's is the first, 2 left
            "AL0093", "Commercial", visits=3, units=None, start=today - timedelta(days=10),
            until=today + timedelta(days=30), now=clock.now, note="demo")
        paused = repo.commands.create_session("AL0093", "Commercial")
        clock.now = now
        repo.commands.add_segment(paused.id, "97530", now - timedelta(minutes=48),
                         now - timedelta(minutes=36), reason="demo")
        clock.now = now - timedelta(minutes=25)
        running = repo.commands.create_session("JS5520", "Medicare")
        clock.now = now
        repo.commands.start(running.id, "97110", at=now - timedelta(minutes=22))
        repo.commands.start(running.id, "97010", at=now - timedelta(minutes=22))
        repo.commands.start(running.id, "97140", at=now - timedelta(minutes=9))
        repo.pop_notices()
