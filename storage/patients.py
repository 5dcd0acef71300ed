"""patients.json: what the user entered about patients (the Medicare amount used at other
providers this year, a payer's authorizations). Its own truth, not derived from the day
files, so it is backed up and restored with them; reading never writes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import ValidationError

from core.models import problem
from core.modifiers import TherapyBucket
from core.patients import Authorization, UsedElsewhere, authorization_key, elsewhere_key
from storage.documents import PATIENTS_NAME
from storage.errors import InvalidChange
from storage.store import Store


class Patients:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.path = store.root / PATIENTS_NAME

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
        try:
            entry = UsedElsewhere(id=elsewhere_key(patient.strip(), year, bucket),
                                  patient=patient, year=year, bucket=bucket, amount=amount,
                                  entered_at=now, note=note)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None
        with self._store.change(self.path) as change:
            change.put("elsewhere", entry)
        return entry

    def authorizations(self, patient: str | None = None) -> list[Authorization]:
        """Every authorization (of one patient), by patient and payer."""
        found = [a for a in self._store.records(self.path, "authorizations")
                 if patient is None or a.patient == patient]
        return sorted(found, key=lambda a: (a.patient, a.payer))

    def set_authorization(self, patient: str, payer: str, *, visits: int | None,
                          units: int | None, start: date, until: date, now: datetime,
                          note: str = "") -> Authorization:
        """Record (or replace) a payer's authorization for the patient; durable on return."""
        try:
            entry = Authorization(id=authorization_key(patient.strip(), payer), patient=patient,
                                  payer=payer, visits=visits, units=units, start=start,
                                  until=until, entered_at=now, note=note)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None
        with self._store.change(self.path) as change:
            change.put("authorizations", entry)
        return entry
