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
from storage import layout
from storage.atomic import NotAFile, read_regular, write_atomic
from storage.errors import SettingsChanged, SettingsError

HEADER = """\
# Tabletime settings. Edit with any text editor while Tabletime is closed.
# therapist, credentials: shown on chart notes.  discipline: PT, OT or SLP.
# role: therapist or assistant.  timezone: the clinic's IANA zone (dates of service use it).
# favourites: the codes on keys 1-9.  payers: name, method (cms or per-code), medicare (true
# for GP/GO/GN, KX and the fee reductions), optional fee_year and fee_table (code = amount).
# alert: bell, visual or off, when a timer reaches a unit; alert_seconds: how long its flash
# stays lit (0: until the next key).  theme: the app's colours.
# custom_codes: your own codes, e.g. {code = "S9131", descriptor = "...", timed = true,
# disciplines = ["PT"]}.

"""


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


def settings_content(data_dir: Path) -> bytes | None:
    """settings.toml as it is now (None: there is none). SettingsError when it is not a file
    that can be read (a folder, a named pipe: looked at first, never waited on)."""
    path = layout.settings_path(data_dir)
    try:
        return read_regular(path, follow_links=True)
    except FileNotFoundError:
        return None
    except NotAFile as error:
        raise SettingsError(f"{path} {error}: put your settings file there") from None
    except OSError as error:
        raise SettingsError(f"{path}: cannot be read: {error.strerror}") from None


def parse_settings(content: bytes, where: str) -> Settings:
    """The settings a settings.toml holds, validated whole. A file without any setting, or
    without the time zone, is refused: taking the defaults would silently move the clinic's
    time zone (dates of service), reset the payers' fee tables and unsign chart notes."""
    try:
        raw = tomllib.loads(content.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"{where}: not valid TOML: {error}") from None
    except RecursionError:
        raise SettingsError(f"{where}: not valid TOML: nested too deeply") from None
    if not raw:
        raise SettingsError(f"{where} holds no settings (it is empty or only comments): "
                            "Tabletime will not guess the time zone, payers and fees; put "
                            "your settings back, or delete the file to start from the defaults")
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as error:
        raise SettingsError(f"{where}: {problem(error)}") from None
    if "timezone" not in raw:  # a file cut short (a sync, a paste) must not move the dates
        raise SettingsError(f"{where} names no timezone: dates of service follow the clinic's "
                            'zone; add it, e.g. timezone = "America/Chicago"')
    return settings


def read_settings(data_dir: Path) -> tuple[Settings, bytes | None]:
    """The settings and the file's content as read (what a later save compares against);
    without the file, the defaults (the machine's time zone) and None. Nothing is written
    here: the first run's answers (or its skip) write the file, so that an app closed
    before they were given asks again, never leaving the machine's zone unasked."""
    content = settings_content(data_dir)
    if content is None:
        return Settings(timezone=system_zone()), None
    return parse_settings(content, str(layout.settings_path(data_dir))), content


def load_settings(data_dir: Path) -> Settings:
    """The settings alone, for a caller that never saves them."""
    return read_settings(data_dir)[0]


def save_settings(data_dir: Path, settings: Settings) -> bytes:
    """Write the settings (atomically); returns the file's new content."""
    body = tomli_w.dumps(settings.model_dump(mode="json", exclude_none=True))
    content = (HEADER + body).encode("utf-8")
    write_atomic(layout.settings_path(data_dir), content)
    return content


def replace_settings(data_dir: Path, settings: Settings, read: bytes | None) -> bytes:
    """Save the settings only over the file as it was `read`: an edit made meanwhile (in an
    editor, by a sync) is the user's and is kept (SettingsChanged)."""
    try:
        now = settings_content(data_dir)
    except SettingsError:
        now = b""  # not a file we could compare: not ours to replace either
    if now != read:
        raise SettingsChanged(layout.settings_path(data_dir))
    return save_settings(data_dir, settings)
