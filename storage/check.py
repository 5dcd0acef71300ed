"""`tabletime check`: read every file, derive the index and the patient index again and
compare, look for what no file-by-file check can see (timed segments of one therapist that
overlap across days, sessions the index knew that their day file lost, a restore that never
finished), and say what was found and what was fixed. It tells an empty folder from one that
lost its files."""

from __future__ import annotations

from bisect import bisect_left
from datetime import timedelta
from pathlib import Path

from core.models import Clock, Frozen, Segment
from core.settings import Settings
from core.text import plural, printable
from core.timing import describe_overlap, first_overlap
from storage.atomic import TEMP_SUFFIX, wider_than_private
from storage.errors import MissingDataFolder
from storage.folder import interrupted_restores, refuse_non_folder
from storage.layout import settings_path
from storage.repository import OBSOLETE, Repository
from storage.settings_file import system_zone
from storage.witness import missing_text


class Finding(Frozen):
    kind: str
    message: str
    fixed: bool


class Skipped(Frozen):
    """A file that could not be read, and why (every reader names them)."""

    file: str
    reason: str


class CheckReport(Frozen):
    day_files: int
    sessions: int
    open_sessions: int
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def empty(self) -> bool:
        """Nothing recorded, and nothing known to be lost: a new folder."""
        return self.day_files == 0 and self.ok


def check_folder(data_dir: Path, clock: Clock, *, accept_missing: bool = False) -> CheckReport:
    """Check a data folder as its one writer (the lock is taken: the app must be closed). A
    folder that does not exist is not created (a mistyped --data-dir), and no settings are
    written (an interrupted restore's empty target must stay empty for the next restore).
    `accept_missing`: the user accepts the loss of the sessions the index saw go missing."""
    refuse_non_folder(data_dir)
    if not data_dir.is_dir():
        raise MissingDataFolder(data_dir)
    findings = [Finding(kind="temp-file", fixed=True, message=(
                    f"{printable(str(path))}: left by a write that never finished (never "
                    "acknowledged); removed"))
                for path in data_dir.rglob(f".*{TEMP_SUFFIX}")]
    findings += [Finding(kind="obsolete-index", fixed=True, message=(
                    f"{name}: an index of an earlier Tabletime; removed (index/ replaces it)"))
                 for name in OBSOLETE if (data_dir / name).exists()]
    findings += [Finding(kind="interrupted-restore", fixed=False, message=(
                    f"an interrupted restore left {printable(str(path))}: this folder was not "
                    "restored; run tabletime restore again (it removes that folder)"))
                 for path in interrupted_restores(data_dir)]
    defaults = None if settings_path(data_dir).exists() else Settings(timezone=system_zone())
    with Repository.open(data_dir, clock, defaults) as repo:
        repo.pop_notices()
        repo.patients.used_elsewhere(0)  # read (and validate) what was entered about patients
        files = repo.store.day_files()
        lost_days = {path for path, _ in repo.store.moved_aside if path in files.values()}
        segments: list[Segment] = []
        groups: list[Segment] = []
        one_on_one: list[Segment] = []
        sessions = 0
        for day in files:
            for _, found in repo.queries.day_sessions(day, keep=False):
                sessions += 1
                segments += [s for s in found if repo.catalog.is_timed(s.code)]
                groups += [s for s in found if repo.catalog.is_group(s.code)]
                one_on_one += [s for s in found if repo.catalog.is_evaluation(s.code)]
        findings += [Finding(kind="damaged-file", fixed=True, message=(
                        f"{printable(str(path))} could not be read; moved aside to "
                        f"{printable(str(moved))} (nothing in it was changed)"))
                     for path, moved in repo.store.moved_aside]
        corrected = repo.indexes.patients.corrected
        wrong = repo.indexes.verify()
        if wrong:
            findings.append(Finding(kind="index", fixed=True, message=(
                f"the index was wrong about {wrong} day{'s' if wrong != 1 else ''}; derived "
                "again from the day files")))
        if rewritten := repo.indexes.patients.corrected - corrected:
            findings.append(Finding(kind="patient-index", fixed=True, message=(
                f"the patient index was wrong in {plural(rewritten, 'file')}; derived again "
                "from the index")))
        findings += _overlaps(repo, segments)
        findings += _inside_groups(repo, [*segments, *one_on_one], groups)
        findings += [Finding(kind="unreadable", fixed=False, message=(
                        f"{printable(str(path))} {reason}; it was left as it is"))
                     for path, reason in repo.store.unreadable.items()]
        findings += _missing(repo, accept_missing)
        if (mode := wider_than_private(data_dir)) is not None:
            findings.append(Finding(kind="permissions", fixed=False, message=(
                f"{printable(str(data_dir))} can be read by other users (mode {mode:o}); "
                f"chmod 700 it")))
        opened = len(repo.queries.open_sessions())
        skipped = tuple(Skipped(file=str(path), reason=reason)
                        for path, reason in repo.store.skipped().items())
    return CheckReport(day_files=len(files) - len(lost_days), sessions=sessions,
                       open_sessions=opened, findings=tuple(findings), skipped=skipped)


def _missing(repo: Repository, accept: bool) -> list[Finding]:
    """The index as a witness: sessions it knew that their day file lost (found, until they
    are back or the user accepts the loss)."""
    if not accept:
        return [Finding(kind="missing-sessions", fixed=False,
                        message=missing_text(entry, repo.store.day_path(entry.date)))
                for entry in repo.indexes.missing()]
    return [Finding(kind="missing-sessions", fixed=True, message=(
                f"{entry.date}: accepted the loss of {plural(len(entry.sessions), 'session')} "
                f"({', '.join(sorted({v.patient for v in entry.sessions}))}); the index no "
                "longer names them"))
            for entry in repo.indexes.witness.accept()]


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


GROUP_REACH = timedelta(hours=24)
"""Longer than any group runs (a timer forgotten overnight included)."""


def _inside_groups(repo: Repository, one_on_one: list[Segment], groups: list[Segment]
                   ) -> list[Finding]:
    """No one-on-one time (timed, or an evaluation) inside the therapist's own group (Pub.
    100-02 ch.15 §230): the store refuses it; a restored or hand-edited file can hold it.
    Each segment is looked up among the groups that start at most GROUP_REACH before it."""
    ordered = sorted(groups, key=lambda g: g.start)
    starts = [g.start for g in ordered]
    found = []
    for segment in sorted(one_on_one, key=lambda s: s.start):
        end = segment.end or repo.clock.raw()
        first = bisect_left(starts, segment.start - GROUP_REACH)
        group = first_overlap(segment, ordered[first:bisect_left(starts, end)])
        if group is not None:
            patient = repo.queries.session(group.session_id).patient
            found.append(Finding(kind="group-overlap", fixed=False, message=(
                describe_overlap(segment, group, patient, repo.zone, group=True)
                + f" (on {segment.start.astimezone(repo.zone):%Y-%m-%d}; edit one of them)")))
    return found
