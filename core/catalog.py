"""The code catalog: which codes exist, which are timed and in what units, their Medicare status
and RVUs.

The data ships as files, so that a new fee year is a data change, not a code change:
`core/data/catalog.json` (codes in our words, unit lengths and families with their source) and
`core/data/pprrvu-therapy.csv` (CMS's PPRRVU rows, copied verbatim: work, practice-expense
(non-facility and facility) and malpractice RVUs, status, multiple-procedure indicator,
conversion factor). Custom codes from settings extend it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any, ClassVar

from core.kinds import Discipline, MedicareStatus
from core.text import bounded

CODE = re.compile(r"^[0-9A-Z]{5}$")
STRICT: dict[str, Any] = {"extra": "forbid"}
"""How pydantic validates these dataclasses where a model holds one (settings' custom codes)."""


class CodeError(ValueError):
    """A code the app cannot bill: the message names the code and what to use instead."""


MPPR_INDICATOR = 5
"""PPRRVU's multiple-procedure indicator of the therapy codes Medicare reduces together."""


@dataclass(frozen=True)
class Rvu:
    """National relative value units of one code for one fee year (`pe` and `total` at the
    non-facility rate, `pe_fac` and `total_fac` at the facility rate), and whether Medicare's
    multiple-procedure reduction applies to it (PPRRVU indicator 5). A custom code without
    facility RVUs is priced at its one rate everywhere."""

    work: Decimal
    pe: Decimal
    mp: Decimal
    total: Decimal
    mult_proc: int = 0
    pe_fac: Decimal | None = None
    total_fac: Decimal | None = None
    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT

    @property
    def reduced(self) -> bool:
        return self.mult_proc == MPPR_INDICATOR

    def at(self, facility: bool) -> Rvu:
        """The RVUs paid at a facility place of service (`facility`) or elsewhere, as `pe` and
        `total`: the fee arithmetic is the same at both rates."""
        if not facility or self.pe_fac is None or self.total_fac is None:
            return self
        return replace(self, pe=self.pe_fac, total=self.total_fac)

    def __post_init__(self) -> None:
        parts = [self.work, self.pe, self.mp, self.total, self.pe_fac, self.total_fac]
        if min(part for part in parts if part is not None) < 0:
            raise ValueError("relative value units cannot be negative")
        if (self.pe_fac is None) != (self.total_fac is None):
            raise ValueError("facility RVUs come as a pair: practice expense and total")


@dataclass(frozen=True)
class CatalogEntry:
    """A code as the rules see it. A plain dataclass (checked on construction): the units
    calculator runs without pydantic; settings validate custom codes through it all the same."""

    code: str
    descriptor: str
    timed: bool
    disciplines: tuple[Discipline, ...]
    short: str = ""
    medicare_status: MedicareStatus = MedicareStatus.A
    rvus: Mapping[int, Rvu] = field(default_factory=dict)
    medicare_alternative: str | None = None
    custom: bool = False
    unit_minutes: int = 15
    """The length of one unit of a timed code (of its only unit, for a family's first code)."""
    add_on: str | None = None
    """On a family's first code: the code of each further unit (97129 -> 97130)."""
    follows: str | None = None
    """On an add-on code: the family's first code (97130 -> 97129)."""
    per_date_limit: int | None = None
    unit_source: str = ""
    """Where the unit length, the family and the limit come from."""
    group: bool = False
    """Therapy to two or more patients at once (97150, 92508): one unit a patient a date,
    treatment minutes only, and no one-on-one timed time beside it (section 11)."""
    evaluation: bool = False
    """An evaluation, re-evaluation or assessment: only a therapist furnishes it, never an
    assistant (Pub. 100-02 ch.15 §230.1, §230.2; catalog.json's `evaluation_source`)."""
    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT

    def __post_init__(self) -> None:
        if not CODE.match(self.code):
            raise ValueError(f"{self.code!r} is not a code: five letters or digits")
        bounded(200)(self.descriptor)
        bounded(11)(self.short)
        if not 1 <= self.unit_minutes <= 240:
            raise ValueError(f"{self.code}: a unit of {self.unit_minutes} minutes")

    @property
    def threshold(self) -> int:
        """Minutes that make one unit: more than half of it (8 of 15, 16 of 30, 31 of 60)."""
        return self.unit_minutes // 2 + 1

    @property
    def pooled(self) -> bool:
        """Counted by Medicare's total-time method with the other 15-minute codes (a code in
        hours, or a family whose first unit is longer, is counted on its own)."""
        return self.timed and self.unit_minutes == 15 and self.follows is None

    @property
    def label(self) -> str:
        """A name that fits a narrow tile."""
        return self.short or self.descriptor[:11]


@dataclass(frozen=True)
class DeletedCode:
    code: str
    replaced_by: tuple[str, ...]
    note: str


def normalise_code(text: str) -> str:
    """Codes are compared upper-case and without surrounding blanks (`g0283` is G0283)."""
    return text.strip().upper()


class Catalog:
    """Look-up of billable codes; unknown and deleted codes raise CodeError with a clear message."""

    def __init__(
        self,
        entries: Iterable[CatalogEntry],
        deleted: Iterable[DeletedCode] = (),
        conversion_factors: dict[int, Decimal] | None = None,
        fee_sources: dict[int, str] | None = None,
    ) -> None:
        self._entries = {entry.code: entry for entry in entries}
        self._timed: dict[str, bool] = {}
        self._deleted = {entry.code: entry for entry in deleted}
        self.conversion_factors = dict(conversion_factors or {})
        self.fee_sources = dict(fee_sources or {})

    def get(self, code: str) -> CatalogEntry:
        key = normalise_code(code)
        if key in self._deleted:
            gone = self._deleted[key]
            use = " or ".join(gone.replaced_by)
            raise CodeError(f"{key} is a deleted code ({gone.note}): use {use}")
        try:
            return self._entries[key]
        except KeyError:
            raise CodeError(f"unknown code {code!r}: not in the catalog") from None

    def find(self, code: str) -> CatalogEntry | None:
        """The entry of a recorded code, or None when neither the catalog nor the settings
        define it any more (a custom code removed from settings): what was recorded stays
        shown and is named in a check, never billed on a guess."""
        return self._entries.get(normalise_code(code))

    def is_timed(self, code: str) -> bool:
        """Whether a recorded code is a defined timed code (an undefined one never is)."""
        timed = self._timed.get(code)
        if timed is None:
            entry = self.find(code)
            timed = self._timed[code] = entry is not None and entry.timed
        return timed

    def is_group(self, code: str) -> bool:
        entry = self.find(code)
        return entry is not None and entry.group

    def is_evaluation(self, code: str) -> bool:
        entry = self.find(code)
        return entry is not None and entry.evaluation

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and normalise_code(code) in self._entries

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self._entries.values())

    def with_custom(self, entries: Iterable[CatalogEntry]) -> Catalog:
        """The catalog plus the clinic's own codes; a custom code never hides a real one."""
        extra = list(entries)
        for entry in extra:
            if entry.code in self._entries or entry.code in self._deleted:
                raise CodeError(f"custom code {entry.code} clashes with a catalog code")
        merged = [*self._entries.values(), *(replace(e, custom=True) for e in extra)]
        return Catalog(merged, self._deleted.values(), self.conversion_factors, self.fee_sources)

    def family(self, entry: CatalogEntry) -> tuple[CatalogEntry, CatalogEntry] | None:
        """(first, add-on) of the family `entry` belongs to, or None."""
        first = self.find(entry.follows) if entry.follows else entry
        if first is None or first.add_on is None:
            return None
        add_on = self.find(first.add_on)
        return None if add_on is None else (first, add_on)


@cache
def default_catalog() -> Catalog:
    """The shipped catalog, read once per process."""
    data = files("core").joinpath("data")
    raw = json.loads(data.joinpath("catalog.json").read_text(encoding="utf-8"))
    rows = list(csv.DictReader(data.joinpath(raw["fee_source"]["file"]).read_text(
        encoding="utf-8").splitlines()))
    fees = _fee_rows(rows)
    factors = {int(row["year"]): Decimal(row["conv_factor"]) for row in rows
               if row["conv_factor"]}
    return Catalog(
        entries=(_entry(item, fees.get(item["code"], {}), raw["timed_unit"])
                 for item in raw["codes"]),
        deleted=(DeletedCode(code=item["code"], replaced_by=tuple(item["replaced_by"]),
                             note=item["note"]) for item in raw["deleted"]),
        conversion_factors=factors,
        fee_sources={year: raw["fee_source"][str(year)] for year in factors},
    )


def _fee_rows(rows: list[dict[str, str]]) -> dict[str, dict[int, dict[str, str]]]:
    found: dict[str, dict[int, dict[str, str]]] = {}
    for row in rows:
        found.setdefault(row["hcpcs"], {})[int(row["year"])] = row
    return found


def _entry(item: dict[str, Any], fee_rows: dict[int, dict[str, str]],
           timed_unit: dict[str, Any]) -> CatalogEntry:
    """A catalog.json record with its PPRRVU rows (the file ships with the program: read as
    it is). A year whose RVUs are all zero (a code Medicare does not price) has no fee data;
    the status is the newest year's."""
    unit = item.get("unit", timed_unit if item["timed"] else {})
    rvus = {}
    for year, row in fee_rows.items():
        rvu = Rvu(work=Decimal(row["work_rvu"]), pe=Decimal(row["pe_nonfac_rvu"]),
                  mp=Decimal(row["mp_rvu"]), total=Decimal(row["total_nonfac"]),
                  mult_proc=int(row["mult_proc"]), pe_fac=Decimal(row["pe_fac_rvu"]),
                  total_fac=Decimal(row["total_fac"]))
        if rvu.total:
            rvus[year] = rvu
    status = fee_rows[max(fee_rows)]["status"] if fee_rows else item.get("medicare_status", "A")
    return CatalogEntry(
        code=item["code"], descriptor=item["descriptor"], timed=item["timed"],
        disciplines=tuple(Discipline(d) for d in item["disciplines"]),
        short=item.get("short", ""), medicare_status=MedicareStatus(status), rvus=rvus,
        medicare_alternative=item.get("medicare_alternative"),
        unit_minutes=unit.get("minutes", 15), add_on=unit.get("add_on"),
        follows=unit.get("follows"), per_date_limit=unit.get("per_date"),
        unit_source=unit.get("source", ""), group=item.get("group", False),
        evaluation=item.get("evaluation", False))
