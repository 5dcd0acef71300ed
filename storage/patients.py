"""patients.json: what the user entered about patients (the Medicare amount used at other
providers this year, a payer's authorizations, episodes of care). Its own truth, not
derived from the day files, so it is backed up and restored with them; reading never
writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from pydantic import ValidationError

from core.billing.modifiers import TherapyBucket
from core.care.patients import (
    CERTIFICATION_DAYS,
    Authorization,
    Episode,
    UsedElsewhere,
    authorization_key,
    elsewhere_key,
    episode_key,
)
from core.models import Discipline, problem
from storage import layout
from storage.errors import InvalidChange
from storage.store import Store

Entered = TypeVar("Entered", UsedElsewhere, Authorization, Episode)


class Patients:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.path = layout.patients_path(store.root)

    def used_elsewhere(self, year: int) -> dict[tuple[str, TherapyBucket], Decimal]:
        """Each patient's amount used at other providers in `year`, per KX bucket."""
        return {(entry.patient, entry.bucket): entry.amount
                for entry in self._store.records(self.path, "elsewhere") if entry.year == year}

    def entries(self, patient: str) -> list[UsedElsewhere]:
        """A patient's amounts used elsewhere, newest year first."""
        found = [e for e in self._store.records(self.path, "elsewhere") if e.patient == patient]
        return sorted(found, key=lambda e: (-e.year, e.bucket))

    def set_used_elsewhere(self, patient: str, year: int, bucket: TherapyBucket,
                           amount: Decimal, now: datetime, note: str = "") -> UsedElsewhere:
        """Record (or replace) what the patient used at other providers; durable on return."""
        return self._save("elsewhere", lambda: UsedElsewhere(
            id=elsewhere_key(patient.strip(), year, bucket), patient=patient, year=year,
            bucket=bucket, amount=amount, entered_at=now, note=note))

    def authorizations(self, patient: str | None = None) -> list[Authorization]:
        """Every authorization (of one patient), by patient and payer."""
        found = [a for a in self._store.records(self.path, "authorizations")
                 if patient is None or a.patient == patient]
        return sorted(found, key=lambda a: (a.patient, a.payer))

    def set_authorization(self, patient: str, payer: str, *, visits: int | None,
                          units: int | None, start: date, until: date, now: datetime,
                          note: str = "") -> Authorization:
        """Record (or replace) a payer's authorization for the patient; durable on return."""
        return self._save("authorizations", lambda: Authorization(
            id=authorization_key(patient.strip(), payer), patient=patient, payer=payer,
            visits=visits, units=units, start=start, until=until, entered_at=now, note=note))

    def episodes(self, patient: str | None = None) -> list[Episode]:
        """Every entered episode of care (of one patient), oldest start first."""
        found = [e for e in self._store.records(self.path, "episodes")
                 if patient is None or e.patient == patient]
        return sorted(found, key=lambda e: (e.patient, e.discipline, e.start))

    def set_episode(self, patient: str, discipline: Discipline, start: date, *,
                    certified_until: date | None, signed: date | None, now: datetime,
                    note: str = "") -> Episode:
        """Record (or replace: same patient, discipline and start) an episode of care; the
        plan of care is certified for 90 days unless a shorter end is given."""
        until = certified_until or start + timedelta(days=CERTIFICATION_DAYS - 1)
        return self._save("episodes", lambda: Episode(
            id=episode_key(patient.strip(), discipline, start), patient=patient,
            discipline=discipline, start=start, certified_until=until, signed=signed,
            entered_at=now, note=note))

    def _save(self, table: str, entered: Callable[[], Entered]) -> Entered:
        """What the user `entered`, built (InvalidChange, in words, when a model refuses
        it) and put in its table; durable on return."""
        try:
            entry = entered()
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None
        with self._store.change(self.path) as change:
            change.put(table, entry)
        return entry
