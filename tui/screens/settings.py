"""Settings in the app: who signs the chart notes, the favourite codes on keys 1-9 (evaluation
codes too), which payer new sessions offer first, how a unit reached is announced, and (all
optional, below the keys) who renders and bills on claims, where sessions are furnished and
the productivity aimed for: the NPI, the provider code, the billing entity, the default place
of service, the productivity target and the scheduled hours.

A form (FormDialog): enter saves from any field, escape asks before discarding a change. It
is saved the way the first run saves, atomically and only over the settings file as
Tabletime read it; a refusal is said in the form, with everything typed kept."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.widgets import Input, Label

from core.catalog import Catalog, CodeError, normalise_code
from core.kinds import MedicareStatus
from core.models import Discipline, problem
from core.npi import npi
from core.settings import Settings
from tui.dialogs.details import pos_field, typed_pos
from tui.dialogs.form import FieldError, FormDialog, FormField

if TYPE_CHECKING:
    from tui.app import TabletimeApp

SLOTS = 9
ALERTS = (("bell and flash", "bell"), ("flash only, no bell", "visual"), ("off", "off"))


CLAIM_LABELS = {"npi": "NPI (10 digits)", "provider_code": "Provider code (billing system)",
                "billing_entity": "Billing entity (the practice)",
                "place_of_service": "Default place of service",
                "productivity_target": "Productivity target (%)",
                "scheduled_hours": "Scheduled hours a day"}
"""The optional claim and productivity settings, by their settings.toml keys."""


def claim_fields(settings: Settings) -> list[FormField]:
    """The claim and productivity settings as form fields named by their keys."""
    def shown(value: object) -> str:
        return "" if value is None else str(value)

    return [
        FormField("npi", CLAIM_LABELS["npi"], settings.npi, placeholder="1234567893"),
        FormField("provider_code", CLAIM_LABELS["provider_code"], settings.provider_code,
                  placeholder="DREYES"),
        FormField("billing_entity", CLAIM_LABELS["billing_entity"], settings.billing_entity,
                  placeholder="Reyes Therapy LLC"),
        pos_field(settings.place_of_service, "place_of_service",
                  CLAIM_LABELS["place_of_service"]),
        FormField("productivity_target", CLAIM_LABELS["productivity_target"],
                  shown(settings.productivity_target), placeholder="85"),
        FormField("scheduled_hours", CLAIM_LABELS["scheduled_hours"],
                  shown(settings.scheduled_hours), placeholder="7.5"),
    ]


def claim_values(values: dict[str, str]) -> dict[str, Any] | FieldError:
    """The claim and productivity fields as settings keys (an empty one unset), or a refusal
    naming the field and what is wrong."""
    try:
        chosen: dict[str, Any] = {"npi": npi(values["npi"])}
    except ValueError as error:
        return FieldError("npi", f"NPI: {error}")
    try:
        chosen["place_of_service"] = typed_pos(values["place_of_service"])
    except ValueError as error:
        return FieldError("place_of_service", f"default place of service: {error}")
    target = values["productivity_target"].strip().removesuffix("%").strip()
    if target and not (target.isascii() and target.isdigit() and 1 <= int(target) <= 100):
        return FieldError("productivity_target", "productivity target: a whole percent from "
                          "1 to 100 (e.g. 85), or empty for none")
    hours = scheduled_hours(values["scheduled_hours"])
    if isinstance(hours, FieldError):
        return hours
    return {**chosen, "provider_code": values["provider_code"].strip(),
            "billing_entity": values["billing_entity"].strip(),
            "productivity_target": int(target) if target else None,
            "scheduled_hours": None if hours is None else str(hours)}


def scheduled_hours(text: str) -> Decimal | FieldError | None:
    """Hours of a treatment day as typed (`8`, `7.5`), or None when left empty."""
    cleaned = text.strip()
    if not cleaned:
        return None
    try:
        hours = Decimal(cleaned) if cleaned.isascii() else None
    except InvalidOperation:
        hours = None
    if (hours is None or not hours.is_finite() or not 0 < hours <= 24
            or hours != hours.quantize(Decimal("0.01"))):
        return FieldError("scheduled_hours", "scheduled hours: the hours of a treatment day, "
                          "more than 0 and at most 24, to the hundredth (e.g. 7.5), or empty "
                          "for none")
    return hours


def settings_refusal(error: ValidationError, shown: set[str]) -> FieldError | str:
    """A setting the model refuses, said in the form: at its field, named as the form names
    it, when the form shows it."""
    location = error.errors()[0]["loc"]
    where = str(location[0]) if location else ""
    message = problem(error)
    if where in CLAIM_LABELS:
        message = f"{CLAIM_LABELS[where]}{message.removeprefix(where)}"
    return FieldError(where, message) if where in shown else message


def evaluation_codes(catalog: Catalog, discipline: Discipline) -> list[str]:
    """The evaluation codes a therapist of `discipline` bills (untimed ones: 97161-97164 for
    PT), to offer for a key."""
    return [entry.code for entry in catalog if entry.evaluation and not entry.timed
            and discipline in entry.disciplines and entry.medicare_status is not MedicareStatus.N]


def favourite(slot: int) -> str:
    return f"fav{slot}"


class RowsDialog(FormDialog):
    """A form laid out one line a field (label, then value): the settings, the first run."""

    def rows(self, names: Collection[str]) -> ComposeResult:
        """The fields of `names`, in the form's order."""
        for spec in self.fields:
            if spec.name not in names:
                continue
            with Horizontal(classes="settings-row"):
                yield Label(spec.label, classes="field-label", markup=False)
                yield self.field_widget(spec)

    def compose_fields(self) -> ComposeResult:
        yield from self.rows({spec.name for spec in self.fields})


class SettingsDialog(RowsDialog):
    """The settings as a form, laid out to fit 80 x 24: one line a setting, the nine keys in
    a grid of three with each code's name beside it (the optional claim settings below them:
    the fields scroll)."""

    def __init__(self, app: TabletimeApp) -> None:
        self.tabletime = app
        settings = app.settings
        catalog = app.repo.catalog
        self.catalog = catalog
        codes = [entry.code for entry in catalog]
        payers = [(f"{payer.name} ({payer.method.value})", payer.name)
                  for payer in settings.payers]
        fields = [
            FormField("therapist", "Your name (signs chart notes)", settings.therapist,
                      placeholder="Dana Reyes"),
            FormField("credentials", "Credentials", settings.credentials,
                      placeholder="PT, DPT"),
            FormField("discipline", "Discipline", settings.discipline.value,
                      options=[(d.value, d.value) for d in Discipline]),
            FormField("alert", "When a unit is reached", settings.alert, options=ALERTS),
        ]
        fields.append(FormField("alert_seconds", "Flash lasts (s; 0: next key)",
                                str(settings.alert_seconds), placeholder="0"))
        fields.append(FormField("payer", "Payer offered first", settings.payers[0].name,
                                options=payers))
        favourites = settings.favourites
        fields += [FormField(favourite(slot), f"Key {slot}",
                             favourites[slot - 1] if slot <= len(favourites) else "",
                             suggestions=codes)
                   for slot in range(1, SLOTS + 1)]
        fields += claim_fields(settings)
        super().__init__("Settings: who signs and bills, the keys 1-9, the alert", fields,
                         self.save_settings)

    def compose_fields(self) -> ComposeResult:
        by_name = {spec.name: spec for spec in self.fields}
        yield from self.rows({spec.name for spec in self.fields if spec.name not in CLAIM_LABELS
                              and not spec.name.startswith("fav")})
        evaluations = evaluation_codes(self.catalog, self.tabletime.settings.discipline)
        shown = " ".join(evaluations[:4]) + (" ..." if len(evaluations) > 4 else "")
        yield Label("Keys 1-9, the last may stay empty"
                    + (f" (evaluations: {shown})" if evaluations else ""),
                    classes="field-label settings-note", markup=False)
        with Grid(id="favourites"):
            for slot in range(1, SLOTS + 1):
                spec = by_name[favourite(slot)]
                with Horizontal(classes="favourite"):
                    yield Label(str(slot), classes="slot")
                    yield self.field_widget(spec)
                    yield Label(self.code_name(spec.value), id=f"name-{spec.name}",
                                classes="code-name", markup=False)
        names = ", ".join(payer.name for payer in self.tabletime.settings.payers)
        yield Label(f"Payers: {names} (fees, new payers: settings.toml)",
                    classes="field-label settings-note", id="payers", markup=False)
        yield Label("On claims and for productivity (all optional):",
                    classes="field-label settings-note", markup=False)
        yield from self.rows(set(CLAIM_LABELS))

    def code_name(self, text: str) -> str:
        if not text.strip():
            return ""
        entry = self.catalog.find(text)
        return "unknown" if entry is None else entry.label

    @on(Input.Changed)
    def show_code_name(self, event: Input.Changed) -> None:
        """Beside each key, the name of the code typed there (or `unknown`)."""
        name = (event.input.id or "").removeprefix("field-")
        if name.startswith("fav"):
            self.query_one(f"#name-{name}", Label).update(self.code_name(event.value))

    def chosen_favourites(self, values: dict[str, str]) -> tuple[str, ...] | FieldError:
        """The codes typed on the keys, each in the catalog, once, keys filled from 1."""
        typed = [normalise_code(values[favourite(slot)]) for slot in range(1, SLOTS + 1)]
        last = max((slot for slot, code in enumerate(typed, start=1) if code), default=0)
        if last == 0:
            return FieldError(favourite(1), "key 1 needs a code: at least one favourite")
        seen: dict[str, int] = {}
        for slot, code in enumerate(typed[:last], start=1):
            if not code:
                return FieldError(favourite(slot), f"key {slot} is empty but key {last} is "
                                  "not: keys are filled from 1 (leave the last ones empty)")
            try:
                self.catalog.get(code)
            except CodeError as error:
                return FieldError(favourite(slot), f"key {slot}: {error}")
            if code in seen:
                return FieldError(favourite(slot), f"{code} is on key {seen[code]} and key "
                                  f"{slot}: one key is enough")
            seen[code] = slot
        return tuple(typed[:last])

    def save_settings(self, values: dict[str, str]) -> str | None:
        favourites = self.chosen_favourites(values)
        if isinstance(favourites, FieldError):
            return favourites
        settings = self.tabletime.settings  # as it is now (the theme may have changed)
        payers = sorted(settings.payers, key=lambda payer: payer.name != values["payer"])
        changes: dict[str, Any] = {
            "therapist": values["therapist"].strip(),
            "credentials": values["credentials"].strip(),
            "discipline": values["discipline"], "alert": values["alert"],
            "favourites": list(favourites),
            "payers": [payer.model_dump(mode="json") for payer in payers]}
        seconds = values["alert_seconds"].strip() or "0"
        if not (seconds.isascii() and seconds.isdigit()):  # "²" is a digit to Python
            return FieldError("alert_seconds", "how long the flash lasts: a whole number of "
                              "seconds (0: until the next key)")
        changes["alert_seconds"] = int(seconds)
        claims = claim_values(values)
        if isinstance(claims, FieldError):
            return claims
        try:
            chosen = Settings.model_validate({**settings.model_dump(mode="json"), **changes,
                                              **claims})
        except ValidationError as error:
            return settings_refusal(error, {spec.name for spec in self.fields})
        refused = self.tabletime.refusal(lambda: self.tabletime.use_settings(chosen))
        if refused is not None:
            return refused
        self.tabletime.tell(f"Saved in {self.tabletime.repo.data_dir / 'settings.toml'}: keys "
                            f"1-{len(chosen.favourites)} {' '.join(chosen.favourites)}; chart "
                            f"notes signed {chosen.therapist or '(no name yet)'}")
        return None


def settings_dialog(app: TabletimeApp) -> SettingsDialog:
    return SettingsDialog(app)
