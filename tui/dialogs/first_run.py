"""The first start on a new data folder asks who bills and where (skippable: escape keeps the
defaults; the settings (SETTINGS_KEY) change them later, and while no name signs the chart
notes, Today says so)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from core.models import Discipline, problem
from core.settings import Settings
from tui.dialogs.form import FieldError, FormDialog, FormField
from tui.keys import SETTINGS_KEY

if TYPE_CHECKING:
    from tui.app import TabletimeApp


def first_run_dialog(app: TabletimeApp) -> FormDialog:
    settings = app.repo.settings

    def submit(values: dict[str, str]) -> str | None:
        if not values["therapist"].strip():
            return FieldError("therapist", "your name, as chart notes sign it (escape skips "
                                           "these questions)")
        try:
            chosen = Settings.model_validate({
                **settings.model_dump(mode="json"), "therapist": values["therapist"].strip(),
                "credentials": values["credentials"].strip(),
                "discipline": values["discipline"], "timezone": values["timezone"].strip()})
        except ValidationError as error:
            return problem(error)
        refused = app.refusal(lambda: app.use_settings(chosen))
        if refused is not None:
            return refused
        app.tell(f"Saved in {app.repo.data_dir / 'settings.toml'}: chart notes are signed "
                 f"{chosen.therapist or '(no name yet)'}")
        return None

    return FormDialog(f"Welcome to Tabletime: who bills, and where? (esc skips, "
                      f"{SETTINGS_KEY} later)", [
        FormField("therapist", "Your name, as chart notes show it", settings.therapist,
                  placeholder="Dana Reyes"),
        FormField("credentials", "Credentials", settings.credentials, placeholder="PT, DPT"),
        FormField("discipline", "Discipline", settings.discipline.value,
                  options=[(d.value, d.value) for d in Discipline]),
        FormField("timezone", "The clinic's time zone (dates of service follow it)",
                  settings.timezone, placeholder="America/Chicago"),
    ], submit)
