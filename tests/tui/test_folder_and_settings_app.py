"""Issue 15 in the app: a theme change never overwrites an edited settings.toml and says so;
a data folder replaced under the app is said at once and never written; a read-only disk
opens, says once that nothing can be saved, and every change says "not saved"."""

import os
import shutil
from contextlib import contextmanager

import pytest

from core.settings import Settings
from storage.errors import DataFolderLocked
from storage.layout import settings_path
from storage.repository import Repository
from storage.settings_file import save_settings
from tui.app import make_app
from tui.screens.session import SessionScreen
from tui.screens.today import TodayScreen

from .conftest import SIZE


@contextmanager
def app_on_folder(data_dir, clock):
    """The app with the folder's own settings, as `tabletime` opens it."""
    with Repository.open(data_dir, clock) as repo:
        yield make_app(clock, repo)


@pytest.fixture
def folder(data_dir):
    data_dir.mkdir(mode=0o700)
    save_settings(data_dir, Settings(therapist="Dana Reyes", timezone="America/New_York"))
    return data_dir


async def test_a_theme_change_keeps_a_settings_file_edited_meanwhile_and_says_so(
        folder, clock, told):
    with app_on_folder(folder, clock) as app:
        async with app.run_test(size=SIZE) as pilot:
            edited = settings_path(folder).read_text().replace("Dana Reyes", "Sam Lee")
            settings_path(folder).write_text(edited)  # in an editor, while the app runs
            app.theme = "nord"
            await pilot.pause()
    assert settings_path(folder).read_text() == edited
    assert ("settings.toml changed since Tabletime read it: your file was kept; the theme "
            "was not saved") in " ".join(message for message, _ in told)


async def test_a_theme_change_is_saved_over_the_file_as_it_was_read(folder, clock, told):
    with app_on_folder(folder, clock) as app:
        async with app.run_test(size=SIZE) as pilot:
            app.theme = "nord"
            await pilot.pause()
            app.theme = "gruvbox"  # saved over its own save
            await pilot.pause()
    assert 'theme = "gruvbox"' in settings_path(folder).read_text()
    assert not any("not saved" in message for message, _ in told)


async def test_a_folder_replaced_under_the_app_is_said_at_once_and_never_written(
        open_app, data_dir, clock, tmp_path, told):
    app = open_app()
    session = app.repo.commands.create_session("AB12", "Medicare")
    async with app.run_test(size=SIZE) as pilot:
        away = tmp_path / "away"
        os.rename(data_dir, away)  # what a sync client's restore does
        shutil.copytree(away, data_dir)
        copied = {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
        app.check_folder()  # what the app's timer runs every few seconds
        app.check_folder()
        said = [m for m, severity in told if "moved or replaced" in m and severity == "error"]
        assert len(said) == 1 and "quit and start Tabletime again" in said[0]
        with pytest.raises(DataFolderLocked):  # no second writer gets in meanwhile
            Repository.open(data_dir, clock)
        app.open_session(session.id)
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        await pilot.press("1")
        await pilot.pause()
        assert sum("moved or replaced" in m for m, _ in told) == 2  # the key said it too
    assert {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()} == copied


async def test_the_app_opens_on_a_read_only_disk_and_every_change_says_not_saved(
        data_dir, clock, settings, told, monkeypatch):
    with Repository.open(data_dir, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
    monkeypatch.setattr("storage.repository.on_read_only_disk", lambda folder: True)
    before = {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    with Repository.open(data_dir, clock, settings) as repo:
        app = make_app(clock, repo)
        async with app.run_test(size=SIZE) as pilot:
            assert isinstance(app.screen, TodayScreen)
            assert sum("read-only disk" in m for m, _ in told) == 1
            app.open_session(session.id)
            await pilot.pause()
            await pilot.press("1")
            await pilot.pause()
            assert ("not saved: the disk is read-only", "error") in told
            app.theme = "nord"
            await pilot.pause()
    assert {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()} == before
