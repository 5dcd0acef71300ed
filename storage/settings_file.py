"""settings.toml in the data folder: read and validated at start, defaults written on first run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tomli_w
from pydantic import ValidationError

from core.settings import Settings
from storage.atomic import write_atomic

SETTINGS_NAME = "settings.toml"
HEADER = """\
# Tabletime settings. Edit with any text editor while Tabletime is closed.
# therapist, credentials: shown on chart notes.  discipline: PT, OT or SLP.
# role: therapist or assistant.  timezone: the clinic's IANA zone (dates of service use it).
# favourites: the codes on keys 1-9.  payers: name, method (cms or per-code), medicare (true
# for GP/GO/GN, KX and the fee reductions), optional fee_year and fee_table (code = amount).
# custom_codes: your own codes, e.g. {code = "S9131", descriptor = "...", timed = true,
# disciplines = ["PT"]}.

"""


class SettingsError(Exception):
    """The settings file is unreadable or holds a bad value: the message names file and key."""


def settings_path(data_dir: Path) -> Path:
    return data_dir / SETTINGS_NAME


def load_settings(data_dir: Path) -> Settings:
    """Read settings, writing the defaults on first run so that a user can find and edit them."""
    path = settings_path(data_dir)
    if not path.exists():
        settings = Settings()
        save_settings(data_dir, settings)
        return settings
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    try:
        return Settings.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(file)"
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{path}: {key}: {message}") from None


def save_settings(data_dir: Path, settings: Settings) -> None:
    body = tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True))
    write_atomic(settings_path(data_dir), HEADER + body)
