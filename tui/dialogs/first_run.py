"""The first start on a new data folder asks who bills and where (skippable: escape keeps the
defaults; the settings (SETTINGS_KEY) change them later, and while no name signs the chart
notes, Today says so). The claim and productivity questions (NPI, provider code, billing
entity, default place of service, productivity target, scheduled hours) may stay empty."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from core.models import Discipline
from core.settings import Settings
from tui.dialogs.form import FieldError, FormField
from tui.keys import SETTINGS_KEY
from tui.screens.settings import RowsDialog, claim_fields, claim_values, settings_refusal

if TYPE_CHECKING:
    from tui.app import TabletimeApp


def first_run_dialog(app: TabletimeApp) -> RowsDialog:
    settings = app.repo.settings

    def submit(values: dict[str, str]) -> str | None:
        if not values["therapist"].strip():
            return FieldError("therapist", "your name, as chart notes sign it (escape skips "
                                           "these questions)")
        claims = claim_values(values)
        if isinstance(claims, FieldError):
            return claims
        try:
            chosen = Settings.model_validate({
                **settings.model_dump(mode="json"), "therapist": values["therapist"].strip(),
                "credentials": values["credentials"].strip(),
                "discipline": values["discipline"], "timezone": values["timezone"].strip(),
                **claims})
        except ValidationError as error:
            return settings_refusal(error, set(values))
        refused = app.refusal(lambda: app.use_settings(chosen))
        if refused is not None:
            return refused
        app.tell(f"Saved in {app.repo.data_dir / 'settings.toml'}: chart notes are signed "
                 f"{chosen.therapist or '(no name yet)'}")
        return None

    return RowsDialog(f"Welcome to Tabletime: who bills, and where? (esc skips, "
                      f"{SETTINGS_KEY} later)", [
        FormField("therapist", "Your name (signs chart notes)", settings.therapist,
                  placeholder="Dana Reyes"),
        FormField("credentials", "Credentials", settings.credentials, placeholder="PT, DPT"),
        FormField("discipline", "Discipline", settings.discipline.value,
                  options=[(d.value, d.value) for d in Discipline]),
        FormField("timezone", "Time zone (dates follow it)", settings.timezone,
                  placeholder="America/Chicago"),
        *claim_fields(settings),
    ], submit)
