"""The clinic's settings: who bills, in which zone, with which favourites and payers."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from core.catalog import Catalog, CatalogEntry, CodeError, default_catalog
from core.models import (
    Discipline,
    Frozen,
    FurnishedBy,
    Method,
    Name,
    NpiNumber,
    PayerProfile,
    PlaceOfService,
    ProviderCode,
)
from core.place import OFFICE

DEFAULT_FAVOURITES = ("97110", "97140", "97530", "97112", "97116", "97535", "97035", "97010",
                      "G0283")
DEFAULT_PAYERS = (
    PayerProfile(name="Medicare", method=Method.CMS, medicare=True),
    PayerProfile(name="Medicare Advantage", method=Method.CMS, medicare=True),
    PayerProfile(name="Medicaid", method=Method.CMS),
    PayerProfile(name="TRICARE", method=Method.CMS),
    PayerProfile(name="Commercial", method=Method.PER_CODE),
)


DEFAULT_ZONE = "America/New_York"
_ZONE_NAME = re.compile(r"^[A-Z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}$")
NOT_ZONES = frozenset({"Factory"})


def is_zone_name(name: str) -> bool:
    """An IANA zone name such as America/Chicago or UTC: not `localtime`, `posixrules`, a
    path, or a name the zone database does not have. (Listing every zone takes 0.4 s.)"""
    if not _ZONE_NAME.match(name) or name in NOT_ZONES or name.startswith(("posix/", "right/")):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


class Settings(Frozen):
    therapist: Name = Field(default="",
                            description="Name shown on chart notes and the audit trail.")
    credentials: Name = Field(default="", description="e.g. PT, DPT or OTR/L.")
    discipline: Discipline = Discipline.PT
    role: FurnishedBy = Field(default=FurnishedBy.THERAPIST, description="therapist or assistant")
    timezone: str = Field(default=DEFAULT_ZONE, description="The clinic's IANA time zone.")
    favourites: tuple[str, ...] = Field(default=DEFAULT_FAVOURITES, min_length=1, max_length=9)
    payers: tuple[PayerProfile, ...] = Field(default=DEFAULT_PAYERS, min_length=1)
    forgotten_timer_minutes: Annotated[int, Field(ge=5, le=600)] = 60
    alert: Literal["bell", "visual", "off"] = Field(
        default="bell", description="When a unit is reached: the bell and a flash, a flash, or "
        "nothing.")
    alert_seconds: Annotated[int, Field(ge=0, le=600)] = Field(
        default=0, description="How long the flash of a unit reached stays lit: 0 until the "
        "next key.")
    theme: Annotated[str, Field(max_length=60)] = Field(
        default="textual-dark", description="The app's colours, as last chosen.")
    custom_codes: tuple[CatalogEntry, ...] = ()
    npi: NpiNumber = Field(default="", description="The therapist's NPI (10 digits), on every "
                           "claim line as the rendering provider.")
    provider_code: ProviderCode = Field(default="", description="The therapist's code in the "
                                        "practice's billing system.")
    billing_entity: Name = Field(default="", description="The practice or group that bills.")
    place_of_service: PlaceOfService = Field(default=OFFICE, description="Where sessions "
                                             "are furnished unless a session says otherwise.")
    productivity_target: Annotated[int, Field(ge=1, le=100)] | None = Field(
        default=None, description="The billable share of clock time aimed for, in percent.")
    scheduled_hours: Annotated[Decimal, Field(gt=0, le=24, decimal_places=2)] | None = Field(
        default=None, description="The hours of a scheduled treatment day, for productivity.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        if not is_zone_name(name):
            raise ValueError(
                f"unknown time zone {name!r} (use an IANA name like America/Chicago)"
            )
        return name

    @field_validator("favourites")
    @classmethod
    def _upper_codes(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(code.strip().upper() for code in codes)

    @model_validator(mode="after")
    def _codes_and_payers_exist(self) -> Self:
        catalog = self.catalog()
        for code in self.favourites:
            try:
                catalog.get(code)
            except CodeError as error:
                raise ValueError(f"favourites: {error}") from None
        names = [payer.name for payer in self.payers]
        if len(set(names)) != len(names):
            raise ValueError("payers: two payer profiles share a name")
        codes = [entry.code for entry in self.custom_codes]
        if len(set(codes)) != len(codes):
            raise ValueError("custom_codes: two custom codes share a code")
        for payer in self.payers:
            if payer.fee_year is not None and payer.fee_year not in catalog.conversion_factors:
                known = ", ".join(str(year) for year in sorted(catalog.conversion_factors))
                raise ValueError(f"payers: {payer.name}: no fee data for fee_year "
                                 f"{payer.fee_year} (known: {known})")
            for code in payer.fee_table:
                try:
                    catalog.get(code)
                except CodeError as error:
                    raise ValueError(f"payers: {payer.name}: fee_table: {error}") from None
        return self

    @property
    def signature(self) -> str:
        """Name and credentials, as a clinic check names the therapist: `Dana Reyes, PT`."""
        return ", ".join(part for part in (self.therapist, self.credentials) if part)

    @property
    def who(self) -> str:
        """A therapist among several: `Dana Reyes, PT, DPT (NPI 1234567893)`."""
        return f"{self.signature} (NPI {self.npi})".strip() if self.npi else self.signature

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def catalog(self) -> Catalog:
        return default_catalog().with_custom(self.custom_codes)

    def payer(self, name: str) -> PayerProfile:
        for payer in self.payers:
            if payer.name == name:
                return payer
        raise KeyError(f"no payer profile named {name!r}")
