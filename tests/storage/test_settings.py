"""settings.toml: defaults on first run, every bad value named by key and file."""

import stat

import pytest

from core.models import Method
from storage.errors import SettingsError
from storage.layout import settings_path
from storage.settings_file import load_settings, save_settings


def test_without_the_file_the_defaults_are_used_and_written_only_when_saved(tmp_path):
    settings = load_settings(tmp_path)
    path = settings_path(tmp_path)
    assert not path.exists()  # reading writes nothing: the first run's answer will
    assert settings.favourites[:3] == ("97110", "97140", "97530") and len(settings.favourites) == 9
    assert settings.payer("Commercial").method is Method.PER_CODE
    save_settings(tmp_path, settings)
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(tmp_path) == settings


def test_edited_values_are_read(tmp_path):
    settings_path(tmp_path).write_text(
        'therapist = "Sam Lee"\ndiscipline = "OT"\ntimezone = "America/Chicago"\n'
        'favourites = ["97530", "g0283"]\n'
        'custom_codes = [{code = "S9131", descriptor = "Own code", timed = true, '
        'disciplines = ["OT"]}]\n'
    )
    settings = load_settings(tmp_path)
    assert settings.therapist == "Sam Lee" and settings.favourites == ("97530", "G0283")
    assert settings.catalog().get("S9131").timed


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('timezone = "Mars/Olympus"\n', "timezone: unknown time zone 'Mars/Olympus'"),
        ('discipline = "PTA"\n', "discipline:"),
        ('favourites = ["97532"]\n', "favourites: 97532 is a deleted code"),
        ('forgotten_timer_minutes = 0\n', "forgotten_timer_minutes:"),
        ('colour = "blue"\n', "colour:"),
        ('payers = [{name = "X", method = "weekly"}]\n', "payers.0.method:"),
        ("therapist = \n", "not valid TOML"),
    ],
)
def test_bad_values_name_the_key_and_the_file(tmp_path, text, named):
    settings_path(tmp_path).write_text(text)
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path)
    assert named in str(caught.value) and str(settings_path(tmp_path)) in str(caught.value)
