"""What the command-line tests share: a data folder with one closed session."""

from datetime import timedelta

import pytest

from storage.repository import Repository
from storage.settings_file import save_settings


@pytest.fixture
def data(tmp_path, clock, settings):
    folder = tmp_path / "data"
    with Repository.open(folder, clock, settings) as repo:
        session = repo.commands.create_session("AB12", "Medicare")
        repo.commands.add_segment(session.id, "97110", clock.now - timedelta(minutes=30),
                                  clock.now - timedelta(minutes=7))
        repo.commands.close_session(session.id)
    save_settings(folder, settings)
    return folder
