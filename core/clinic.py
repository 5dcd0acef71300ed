"""The checks only a clinic can run (issue 20, billing-spec section 12): several therapists'
records of one patient seen together. Pure rules over records as merged from the therapists'
archives; each check names its source. One therapist's own checks are core.billing.checks'.

The rules, in the order they are reported for a patient and date:

- co-treatment: two therapists' timed (one-on-one) segments of one patient overlap; the units
  both bill must fit the overlap's minutes, counted once (one bills the whole time or they
  split its units);
- duplicate lines: one patient, date, code and payer billed by two therapists;
- clock time: the therapists' timed units need more minutes (8-minute table, each therapist
  rounding once) than the patient's clock time on timed codes (the union of the segments);
- pooling: two therapists of one billing entity saw the patient in one discipline: the
  entity's claim bills the date's pooled minutes (our rule, see POOLING_SOURCE);
- KX (the calendar year's sum, reported per date): the clinic's Medicare allowed amounts per
  bucket have passed the threshold and a line of the date lacks KX.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from core.billing.day import ClaimRow, day_groups
from core.billing.minutes import code_minutes
from core.billing.modifiers import KX_THRESHOLDS, TherapyBucket, describe, therapy_bucket
from core.billing.units import unit_range, units_for_minutes
from core.catalog import Catalog
from core.intervals import Interval, covered
from core.models import Segment
from core.session import SessionData
from core.text import plural

CO_TREATMENT_SOURCE = (
    "CMS, Medicare Part B therapy billing (team therapy): therapists treating one patient at "
    "the same time bill the time once; a PT and an OT treating together for 30 min bill one "
    "unit of 97530 each, or one of them bills both")
DUPLICATE_SOURCE = (
    "CMS: a code goes on one claim line per date of service (a timed code split across lines "
    "is rejected since 2021-04-19); therapists treating one patient together cannot each "
    "bill the service (Medicare Part B therapy billing)")
CLOCK_TIME_SOURCE = ("Pub. 100-04 ch.5 §20.2 (8-minute rule: the units come from the minutes "
                     "furnished; 23 minutes at least for 2 units)")
POOLING_SOURCE = (
    "Pub. 100-04 ch.5 §20.2: the total minutes of the timed services of a day give its timed "
    "units, and the billing provider's claim takes each code on one line per date; so we pool "
    "the minutes of every therapist billing under one entity (one NPI/TIN), per discipline "
    "and payer, not per rendering therapist")
KX_SOURCE = ("Pub. 100-04 ch.5 §10.3 (KX: every provider's Medicare allowed amounts of the "
             "calendar year, PT and SLP together, OT alone)")



class ClinicCheckKind(StrEnum):
    CO_TREATMENT = "co-treatment"
    DUPLICATE_LINE = "duplicate-line"
    CLOCK_TIME = "clock-time"
    POOLING = "pooling"
    KX = "kx"


@dataclass(frozen=True)
class TherapistRecord:
    """One therapist's records as merged: their sessions (with segments) and the claim rows
    their own folder bills (core.billing.day.bill_day per date, KX as that folder saw it).
    For the KX rule, what the rows do not hold of each year checked (a merge of a date range)
    is in `before`."""

    therapist: str
    """A stable key, unique among the records (an archive's number or the NPI)."""
    name: str
    """As shown: `Dana Reyes, PT`."""
    billing_entity: str
    """The settings' billing entity; blank ones are taken as one (the clinic's)."""
    sessions: Sequence[SessionData]
    rows: Sequence[ClaimRow]
    elsewhere: Mapping[tuple[str, int, TherapyBucket], Decimal] = field(default_factory=dict)
    """What this therapist entered as used at other providers (patient, year, bucket)."""
    before: Mapping[tuple[str, int, TherapyBucket], Decimal] = field(default_factory=dict)
    """This therapist's own Medicare allowed amounts of the year from before its first row
    (patient, year, bucket): counted as the therapist's, never also in `rows`."""


@dataclass(frozen=True)
class ClinicCheck:
    kind: ClinicCheckKind
    date_of_service: date
    patient: str
    therapists: tuple[str, ...]
    """The keys of the therapists concerned, in the records' order."""
    session_ids: tuple[UUID, ...]
    message: str
    source: str


@dataclass(frozen=True)
class _Visit:
    """One therapist's part of one patient's date."""

    record: TherapistRecord
    sessions: tuple[SessionData, ...]
    rows: tuple[ClaimRow, ...]
    timed: tuple[Segment, ...]

    @property
    def name(self) -> str:
        return self.record.name

    def session_ids(self) -> tuple[UUID, ...]:
        return tuple(s.id for s, _ in self.sessions)

    def closed(self) -> list[SessionData]:
        """The sessions the claim rows bill (an open one is not billed yet)."""
        return [(s, segments) for s, segments in self.sessions if not s.is_open]

    def timed_units(self, catalog: Catalog) -> int:
        return sum(row.units for row in self.rows if catalog.is_timed(row.code))

    def timed_minutes(self, now: datetime) -> int:
        return sum(c.minutes or 0 for c in code_minutes(self.timed, now))


@dataclass(frozen=True)
class _Date:
    """One patient's date of service as the rules see it: each therapist's part."""

    day: date
    patient: str
    visits: tuple[_Visit, ...]
    now: datetime
    catalog: Catalog
    zone: tzinfo

    def check(self, kind: ClinicCheckKind, visits: Sequence[_Visit], message: str,
              source: str) -> ClinicCheck:
        return ClinicCheck(kind=kind, date_of_service=self.day, patient=self.patient,
                           therapists=tuple(v.record.therapist for v in visits),
                           session_ids=tuple(i for v in visits for i in v.session_ids()),
                           message=f"{self.patient}: {message}", source=source)

    def spans(self, intervals: Iterable[Interval]) -> str:
        return ", ".join(f"{start.astimezone(self.zone):%H:%M}-{end.astimezone(self.zone):%H:%M}"
                         for start, end in intervals)


def clinic_checks(records: Sequence[TherapistRecord], first: date, last: date,
                  now: datetime, catalog: Catalog, *, zone: tzinfo) -> list[ClinicCheck]:
    """Every clinic check on the dates from `first` to `last`, by date and patient; `zone` is
    the clinic's, for the times in the messages. ValueError when two records share a key
    (one therapist counted twice)."""
    checks = date_checks(records, first, last, now, catalog, zone=zone)
    return sorted(checks + kx_across(records, first, last),
                  key=lambda check: (check.date_of_service, check.patient))


def date_checks(records: Sequence[TherapistRecord], first: date, last: date, now: datetime,
                catalog: Catalog, *, zone: tzinfo) -> list[ClinicCheck]:
    """The rules of one patient's date (all but KX, which sums the year): they need only
    the records' sessions and rows of the dates from `first` to `last`."""
    keys = [record.therapist for record in records]
    if len(set(keys)) != len(keys):
        twice = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"two records share the therapist key {twice!r}")
    checks: list[ClinicCheck] = []
    for seen in _shared_dates(records, first, last, now, catalog, zone):
        checks += co_treatment(seen) + duplicate_lines(seen) + clock_time(seen) + pooling(seen)
    return checks


def _shared_dates(records: Sequence[TherapistRecord], first: date, last: date, now: datetime,
                  catalog: Catalog, zone: tzinfo) -> list[_Date]:
    """The patients' dates in the window that two or more therapists have records of."""
    sessions: dict[tuple[date, str], dict[int, list[SessionData]]] = {}
    rows: dict[tuple[date, str], dict[int, list[ClaimRow]]] = {}
    for index, record in enumerate(records):
        for session, segments in record.sessions:
            if first <= session.date_of_service <= last:
                key = (session.date_of_service, session.patient)
                sessions.setdefault(key, {}).setdefault(index, []).append((session, segments))
        for row in record.rows:
            if first <= row.date_of_service <= last:
                key = (row.date_of_service, row.patient)
                rows.setdefault(key, {}).setdefault(index, []).append(row)
    shared = []
    for key in sorted(sessions.keys() | rows.keys()):
        mine_s, mine_r = sessions.get(key, {}), rows.get(key, {})
        indexes = sorted(mine_s.keys() | mine_r.keys())
        if len(indexes) < 2:
            continue
        visits = tuple(_Visit(
            record=records[i], sessions=tuple(mine_s.get(i, ())), rows=tuple(mine_r.get(i, ())),
            timed=tuple(seg for _, segs in mine_s.get(i, ()) for seg in segs
                        if catalog.is_timed(seg.code))) for i in indexes)
        shared.append(_Date(key[0], key[1], visits, now, catalog, zone))
    return shared


def _common(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The time both sets of disjoint intervals cover (touching ends share none)."""
    found = [(max(s1, s2), min(e1, e2)) for s1, e1 in a for s2, e2 in b]
    return sorted((start, end) for start, end in found if start < end)


def _minutes(intervals: Iterable[Interval]) -> int:
    """Whole minutes, rounded down once (billing-spec section 2)."""
    return int(sum((end - start).total_seconds() for start, end in intervals)) // 60


@dataclass(frozen=True)
class Way:
    """One lawful way for two co-treating therapists to bill: each one's timed units."""

    first: int
    second: int


def co_treatment_ways(first_minutes: int, second_minutes: int, overlap: int
                      ) -> tuple[Way, Way, Way]:
    """The ways to bill two therapists' timed minutes when `overlap` of them were the same
    time: the first bills the whole overlap (the second only its own minutes), the second
    does, or they split the overlap's units (8-minute table), the larger half to the first,
    neither billing more than its own minutes with the whole overlap allow."""
    alone_first = units_for_minutes(max(first_minutes - overlap, 0))
    alone_second = units_for_minutes(max(second_minutes - overlap, 0))
    whole_first, whole_second = (units_for_minutes(first_minutes),
                                 units_for_minutes(second_minutes))
    shared = units_for_minutes(overlap)
    return (Way(whole_first, alone_second), Way(alone_first, whole_second),
            Way(min(alone_first + (shared + 1) // 2, whole_first),
                min(alone_second + shared // 2, whole_second)))


def co_treatment(seen: _Date) -> list[ClinicCheck]:
    """Each pair of therapists whose timed segments of the patient overlap, when the units
    they bill together are more than any lawful way gives."""
    checks = []
    visits = seen.visits
    for index, a in enumerate(visits):
        for b in visits[index + 1:]:
            common = _common(covered(a.timed, seen.now), covered(b.timed, seen.now))
            overlap = _minutes(common)
            if not overlap:
                continue
            minutes_a, minutes_b = a.timed_minutes(seen.now), b.timed_minutes(seen.now)
            units_a, units_b = a.timed_units(seen.catalog), b.timed_units(seen.catalog)
            ways = co_treatment_ways(minutes_a, minutes_b, overlap)
            if units_a + units_b <= max(way.first + way.second for way in ways):
                continue
            whole_a, whole_b, split = ways
            most = units_for_minutes(overlap)
            checks.append(seen.check(ClinicCheckKind.CO_TREATMENT, (a, b), (
                f"{a.name} and {b.name} treated the patient at the same time "
                f"({seen.spans(common)}: {overlap} min, at most "
                f"{plural(most, 'timed unit')}), yet bill {units_a + units_b} timed units "
                f"that day ({a.name} {units_a}, {b.name} {units_b}): the shared time is billed "
                f"twice. Billed once, the day's timed units are {a.name} {whole_a.first} and "
                f"{b.name} {whole_a.second} ({a.name} bills the shared time), {a.name} "
                f"{whole_b.first} and {b.name} {whole_b.second} ({b.name} bills it), or "
                f"{a.name} {split.first} and {b.name} {split.second} (they split its "
                f"{plural(most, 'unit')})"),
                CO_TREATMENT_SOURCE))
    return checks


def duplicate_lines(seen: _Date) -> list[ClinicCheck]:
    """One code and payer on the patient's date billed by two therapists or more."""
    by_line: dict[tuple[str, str], list[_Visit]] = {}
    for visit in seen.visits:
        for code, payer in dict.fromkeys((row.code, row.payer) for row in visit.rows):
            by_line.setdefault((code, payer), []).append(visit)
    checks = []
    for (code, payer), visits in by_line.items():
        if len(visits) < 2:
            continue
        each = "; ".join(f"{v.name} " + ", ".join(describe(row) for row in v.rows
                                                   if (row.code, row.payer) == (code, payer))
                         for v in visits)
        checks.append(seen.check(ClinicCheckKind.DUPLICATE_LINE, visits, (
            f"{code} ({payer}) is billed by {len(visits)} therapists ({each}): the claim "
            "takes one line per code and date, so check that these are distinct services "
            "and not one service billed twice"), DUPLICATE_SOURCE))
    return checks


def clock_time(seen: _Date) -> list[ClinicCheck]:
    """The therapists' timed units need more minutes than the patient's clock time on timed
    codes: each therapist's units need the 8-minute table's least minutes (23 for 2)."""
    billing = [(v, v.timed_units(seen.catalog)) for v in seen.visits]
    billing = [(v, units) for v, units in billing if units]
    if len(billing) < 2:
        return []  # one therapist's own clock-time check covers it
    clock = covered((seg for v in seen.visits for seg in v.timed), seen.now)
    minutes = _minutes(clock)
    least = [unit_range(units)[0] for _, units in billing]
    if sum(least) <= minutes:
        return []
    units = sum(u for _, u in billing)
    each = ", ".join(f"{v.name} {u}" for v, u in billing)
    return [seen.check(ClinicCheckKind.CLOCK_TIME, [v for v, _ in billing], (
        f"{plural(units, 'timed unit')} billed by {len(billing)} therapists ({each}) need at "
        f"least {sum(least)} min ({' + '.join(str(m) for m in least)} by the 8-minute table), "
        f"but the patient's timed treatment covers {minutes} min of clock time"
        + (f" ({seen.spans(clock)})" if clock else "")), CLOCK_TIME_SOURCE)]


def pooling(seen: _Date) -> list[ClinicCheck]:
    """Two therapists or more of one billing entity saw the patient in one discipline under
    one payer at different times: the entity's claim bills their pooled minutes, which may
    give other units than each therapist's own bill."""
    entities: dict[str, list[_Visit]] = {}
    for visit in seen.visits:
        if visit.sessions:
            entities.setdefault(visit.record.billing_entity.strip().casefold(), []).append(visit)
    checks = []
    for visits in entities.values():
        if len(visits) < 2 or _co_treated(visits, seen.now):
            continue  # pooling co-treated time would count it twice: co_treatment says how
        for group in day_groups([s for v in visits for s in v.closed()], seen.now,
                                seen.catalog):
            billing = [v for v in visits if any(
                (s.discipline, s.payer.name) == (group.discipline, group.payer)
                for s, _ in v.closed())]
            one_by_one = sum(r.units for v in billing for r in v.rows
                             if (r.discipline, r.payer) == (group.discipline, group.payer)
                             and seen.catalog.is_timed(r.code))
            if len(billing) < 2 or one_by_one == group.timed_units:
                continue  # the common case, told from the claim rows without billing again
            parts = [(v, g) for v in billing
                     for g in day_groups(v.closed(), seen.now, seen.catalog)
                     if (g.discipline, g.payer) == (group.discipline, group.payer)]
            entity = visits[0].record.billing_entity.strip() or "the clinic"
            each = ", ".join(f"{v.name} {g.timed_minutes} min, "
                             f"{plural(g.timed_units, 'timed unit')}" for v, g in parts)
            checks.append(seen.check(ClinicCheckKind.POOLING, [v for v, _ in parts], (
                f"{group.discipline} ({group.payer}) by {len(parts)} therapists billing as "
                f"{entity} ({each}): {one_by_one} timed units one by one, but the "
                f"entity's claim bills the date's pooled {group.timed_minutes} min: "
                f"{plural(group.timed_units, 'timed unit')}"), POOLING_SOURCE))
    return checks


def _co_treated(visits: Sequence[_Visit], now: datetime) -> bool:
    """Whether two of the visits' timed segments share time."""
    spans = [covered(v.timed, now) for v in visits]
    return any(_common(a, b) for i, a in enumerate(spans) for b in spans[i + 1:])


def kx_across(records: Sequence[TherapistRecord], first: date, last: date
              ) -> list[ClinicCheck]:
    """Each patient's Medicare allowed amounts summed over the clinic per bucket and year,
    lines in date order (on one date, the records' order, then each therapist's own): on each
    date of the window, the lines without KX once the sum has passed the threshold, one check
    per patient, bucket and date (so a date's summary shows its own). What therapists entered
    as used at other providers counts once (the largest entry: two may have entered the same
    eligibility figure). A check names the sessions of the records that lack KX that date
    (none when the records carry only rows)."""
    lines = sorted(((row.date_of_service, order, index, record, row)
                    for order, record in enumerate(records)
                    for index, row in enumerate(record.rows) if row.medicare),
                   key=lambda line: line[:3])
    running: dict[tuple[str, int, TherapyBucket], dict[str, Decimal]] = {}
    found: dict[tuple[str, TherapyBucket, date], _Lacking] = {}
    for day, _, _, record, row in lines:
        key = (row.patient, day.year, therapy_bucket(row.discipline))
        if day.year not in KX_THRESHOLDS:
            continue  # each therapist's day already says the year's threshold is unknown
        if key not in running:
            running[key] = {r.therapist: r.before[key] for r in records if key in r.before}
        amounts = running[key]
        amounts[record.therapist] = amounts.get(record.therapist, Decimal(0)) + (
            row.allowed or Decimal(0))
        if "KX" in row.modifiers or not first <= day <= last:
            continue
        elsewhere = max((r.elsewhere.get(key, Decimal(0)) for r in records),
                        default=Decimal(0))
        total = sum(amounts.values(), elsewhere)
        if total <= KX_THRESHOLDS[day.year]:
            continue
        lacking = found.setdefault((row.patient, key[2], day),
                                   _Lacking(dict(amounts), elsewhere, total))
        lacking.lines.append((record, row))
    return [_kx_check(records, lacking) for lacking in found.values()]


@dataclass
class _Lacking:
    """A patient's lines of one date past the clinic's KX threshold without KX, with the
    sum as it stood at the first of them."""

    amounts: dict[str, Decimal]
    elsewhere: Decimal
    total: Decimal
    lines: list[tuple[TherapistRecord, ClaimRow]] = field(default_factory=list)


def _kx_check(records: Sequence[TherapistRecord], lacking: _Lacking) -> ClinicCheck:
    (record, row), others = lacking.lines[0], lacking.lines[1:]
    year = row.date_of_service.year
    parts = [(r, lacking.amounts[r.therapist]) for r in records
             if lacking.amounts.get(r.therapist)]
    made_of = "; ".join(f"{r.name} ${amount:,.2f}" for r, amount in parts)
    if lacking.elsewhere:
        made_of += f"; used elsewhere ${lacking.elsewhere:,.2f}"
    need = "this line needs" if not others else "this line and " + "; ".join(
        f"{describe(line)} by {by.name}" for by, line in others) + " need"
    billing = {by.therapist for by, _ in lacking.lines}
    ids = tuple(s.id for r in records if r.therapist in billing for s, _ in r.sessions
                if (s.date_of_service, s.patient) == (row.date_of_service, row.patient))
    return ClinicCheck(
        kind=ClinicCheckKind.KX, date_of_service=row.date_of_service, patient=row.patient,
        therapists=tuple(r.therapist for r, _ in parts), session_ids=ids, message=(
            f"{row.patient}: {therapy_bucket(row.discipline)} {year}: the clinic's Medicare "
            f"allowed amounts reach ${lacking.total:,.2f} with {describe(row)} by "
            f"{record.name}, past the ${KX_THRESHOLDS[year]:,} KX threshold ({made_of}): "
            f"{need} KX, and the record must show medical necessity"),
        source=KX_SOURCE)
