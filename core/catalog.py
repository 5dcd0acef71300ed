"""The code catalog: which codes exist, which are timed, their Medicare status and RVUs.

The data ships as `core/data/catalog.json` (source files named inside) so that a new fee year
is a data change, not a code change. Custom codes from settings extend it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Annotated

from pydantic import AfterValidator, Field

from core.models import Discipline, Frozen, MedicareStatus
from core.text import Label, bounded

CodeText = Annotated[str, Field(pattern=r"^[0-9A-Z]{5}$")]


class CodeError(ValueError):
    """A code the app cannot bill: the message names the code and what to use instead."""


class Rvu(Frozen):
    """National non-facility relative value units of one code for one fee year."""

    work: Annotated[Decimal, Field(ge=0)]
    pe: Annotated[Decimal, Field(ge=0)]
    mp: Annotated[Decimal, Field(ge=0)]
    total: Annotated[Decimal, Field(ge=0)]


class CatalogEntry(Frozen):
    code: CodeText
    descriptor: Label
    short: Annotated[str, AfterValidator(bounded(11))] = ""
    timed: bool
    disciplines: tuple[Discipline, ...]
    medicare_status: MedicareStatus = MedicareStatus.A
    rvus: dict[int, Rvu] = Field(default_factory=dict)
    medicare_alternative: str | None = None
    custom: bool = False

    @property
    def label(self) -> str:
        """A name that fits a narrow tile."""
        return self.short or self.descriptor[:11]


class DeletedCode(Frozen):
    code: CodeText
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
        merged = [*self._entries.values(), *(e.model_copy(update={"custom": True}) for e in extra)]
        return Catalog(merged, self._deleted.values(), self.conversion_factors, self.rvu_sources)


@cache
def default_catalog() -> Catalog:
    """The shipped catalog, read once per process."""
    raw = json.loads(files("core").joinpath("data/catalog.json").read_text(encoding="utf-8"))
    return Catalog(
        entries=(CatalogEntry.model_validate(item) for item in raw["codes"]),
        deleted=(DeletedCode.model_validate(item) for item in raw["deleted"]),
        conversion_factors={int(y): Decimal(cf) for y, cf in raw["conversion_factors"].items()},
        rvu_sources={int(y): text for y, text in raw["rvu_source"].items()},
    )
