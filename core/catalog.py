"""The code catalog: which codes exist, which are timed, their Medicare status and RVUs.

The data ships as `core/data/catalog.json` (source files named inside) so that a new fee year
is a data change, not a code change. Custom codes from settings extend it.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Rvu:
    """National non-facility relative value units of one code for one fee year."""

    work: Decimal
    pe: Decimal
    mp: Decimal
    total: Decimal
    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT

    def __post_init__(self) -> None:
        if min(self.work, self.pe, self.mp, self.total) < 0:
            raise ValueError("relative value units cannot be negative")


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
    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT

    def __post_init__(self) -> None:
        if not CODE.match(self.code):
            raise ValueError(f"{self.code!r} is not a code: five letters or digits")
        bounded(200)(self.descriptor)
        bounded(11)(self.short)

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
        rvu_sources: dict[int, str] | None = None,
    ) -> None:
        self._entries = {entry.code: entry for entry in entries}
        self._timed: dict[str, bool] = {}
        self._deleted = {entry.code: entry for entry in deleted}
        self.conversion_factors = dict(conversion_factors or {})
        self.rvu_sources = dict(rvu_sources or {})

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
        return Catalog(merged, self._deleted.values(), self.conversion_factors, self.rvu_sources)


@cache
def default_catalog() -> Catalog:
    """The shipped catalog, read once per process."""
    raw = json.loads(files("core").joinpath("data/catalog.json").read_text(encoding="utf-8"))
    return Catalog(
        entries=(_entry(item) for item in raw["codes"]),
        deleted=(DeletedCode(code=item["code"], replaced_by=tuple(item["replaced_by"]),
                             note=item["note"]) for item in raw["deleted"]),
        conversion_factors={int(y): Decimal(cf) for y, cf in raw["conversion_factors"].items()},
        rvu_sources={int(y): text for y, text in raw["rvu_source"].items()},
    )


def _entry(item: dict[str, Any]) -> CatalogEntry:
    """A catalog.json record as an entry (the file ships with the program: read as it is)."""
    return CatalogEntry(
        code=item["code"], descriptor=item["descriptor"], timed=item["timed"],
        disciplines=tuple(Discipline(d) for d in item["disciplines"]),
        short=item.get("short", ""),
        medicare_status=MedicareStatus(item.get("medicare_status", "A")),
        rvus={int(year): Rvu(**{part: Decimal(value) for part, value in rvu.items()})
              for year, rvu in item.get("rvus", {}).items()},
        medicare_alternative=item.get("medicare_alternative"))
