"""`tabletime check`: read every file, derive the index again and compare, look for what no
file-by-file check can see (timed segments of one therapist that overlap across days), and
say what was found and what was fixed."""

from __future__ import annotations

from pathlib import Path

from core.models import Clock, Frozen, Segment
from core.text import printable
from core.timing import describe_overlap, first_overlap
from storage.atomic import TEMP_SUFFIX, wider_than_private
from storage.repository import OBSOLETE, Repository


class Finding(Frozen):
    kind: str
    message: str
    fixed: bool


class CheckReport(Frozen):
    day_files: int
    sessions: int
    open_sessions: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def check_folder(data_dir: Path, clock: Clock) -> CheckReport:
    """Check a data folder as its one writer (the lock is taken: the app must be closed)."""
    findings = [Finding(kind="temp-file", fixed=True, message=(
                    f"{printable(str(path))}: left by a write that never finished (never "
                    "acknowledged); removed"))
                for path in data_dir.rglob(f".*{TEMP_SUFFIX}")]
    findings += [Finding(kind="obsolete-index", fixed=True, message=(
                    f"{name}: an index of an earlier Tabletime; removed (index/ replaces it)"))
                 for name in OBSOLETE if (data_dir / name).exists()]
    with Repository.open(data_dir, clock) as repo:
        repo.pop_notices()
        repo.patients.used_elsewhere(0)  # read (and validate) what was entered about patients
        files = repo.store.day_files()
        segments: list[Segment] = []
        sessions = 0
        for day in files:
            for _, found in repo.queries.day_sessions(day, keep=False):
                sessions += 1
                segments += [s for s in found if repo.catalog.is_timed(s.code)]
        findings += [Finding(kind="damaged-file", fixed=True, message=(
                        f"{printable(str(path))} could not be read; moved aside to "
                        f"{printable(str(moved))} (nothing in it was changed)"))
                     for path, moved in repo.store.moved_aside]
        wrong = repo.indexes.verify()
        if wrong:
            findings.append(Finding(kind="index", fixed=True, message=(
                f"the index was wrong about {wrong} day{'s' if wrong != 1 else ''}; derived "
                "again from the day files")))
        findings += _overlaps(repo, segments)
        findings += [Finding(kind="unreadable", fixed=False, message=reason)
                     for reason in repo.store.unreadable.values()]
        if (mode := wider_than_private(data_dir)) is not None:
            findings.append(Finding(kind="permissions", fixed=False, message=(
                f"{printable(str(data_dir))} can be read by other users (mode {mode:o}); "
                f"chmod 700 it")))
        opened = len(repo.queries.open_sessions())
    return CheckReport(day_files=len(files) - len(repo.store.moved_aside), sessions=sessions,
                       open_sessions=opened, findings=tuple(findings))


def _overlaps(repo: Repository, segments: list[Segment]) -> list[Finding]:
    """One therapist, one pair of hands, across every day: what the store refuses to record
    can still arrive in a restored or hand-edited file."""
    found = []
    reach: Segment | None = None  # the segment reaching furthest so far
    for segment in sorted(segments, key=lambda s: s.start):
        if reach is not None and first_overlap(segment, [reach]) is not None:
            patient = repo.queries.session(reach.session_id).patient
            found.append(Finding(kind="overlap", fixed=False, message=(
                describe_overlap(segment, reach, patient, repo.zone)
                + f" (on {segment.start.astimezone(repo.zone):%Y-%m-%d}; edit one of them)")))
        if reach is None or (reach.end is not None and (segment.end is None
                                                         or segment.end > reach.end)):
            reach = segment
    return found
