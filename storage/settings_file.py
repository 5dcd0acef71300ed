"""settings.toml in the data folder: read and validated at start, defaults written on first run."""

from __future__ import annotations

import contextlib
import os
import tomllib
from pathlib import Path

import tomli_w
from pydantic import ValidationError

from core.models import problem
from core.settings import DEFAULT_ZONE, Settings, is_zone_name
from storage.atomic import write_atomic
from storage.errors import SettingsError

SETTINGS_NAME = "settings.toml"
HEADER = """\
# Tabletime settings. Edit with any text editor while Tabletime is closed.
# therapist, credentials: shown on chart notes.  discipline: PT, OT or SLP.
# role: therapist or assistant.  timezone: the clinic's IANA zone (dates of service use it).
# favourites: the codes on keys 1-9.  payers: name, method (cms or per-code), medicare (true
# for GP/GO/GN, KX and the fee reductions), optional fee_year and fee_table (code = amount).
# alert: bell, visual or off, when a timer reaches a unit.  theme: the app's colours.
# custom_codes: your own codes, e.g. {code = "S9131", descriptor = "...", timed = true,
# disciplines = ["PT"]}.

"""


def settings_path(data_dir: Path) -> Path:
    return data_dir / SETTINGS_NAME


def system_zone() -> str:
    """The machine's IANA zone ($TZ, /etc/timezone or the /etc/localtime link), else the
    previous default: a first run should not make a Pacific clinic bill Eastern dates."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    with contextlib.suppress(OSError, UnicodeDecodeError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    with contextlib.suppress(OSError):
        target = os.readlink("/etc/localtime")
        candidates.append(target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else "")
    return next((name for name in candidates if is_zone_name(name)), DEFAULT_ZONE)


def load_settings(data_dir: Path, *, first_run_writes: bool = True) -> Settings:
    """Read settings. On first run the defaults (with the machine's time zone) are written so
    that a user can find and edit them, unless the caller only reads the folder."""
    path = settings_path(data_dir)
    if not path.exists():
        settings = Settings(timezone=system_zone())
        if first_run_writes:
            save_settings(data_dir, settings)
        return settings
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise SettingsError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        return Settings.model_validate(raw)
    except ValidationError as error:
        raise SettingsError(f"{path}: {problem(error)}") from None


def save_settings(data_dir: Path, settings: Settings) -> None:
    body = tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True))
    write_atomic(settings_path(data_dir), HEADER + body)
