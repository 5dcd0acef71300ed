"""Errors a user can cause through the store; each message names the problem in plain words."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every refusal by the store: nothing was written when one is raised."""


class NotFound(StorageError):
    pass


class InvalidChange(StorageError):
    """A change that the rules forbid (a closed session, an end before a start, a future time)."""


class OverlapError(InvalidChange):
    """Two timed segments of one therapist would overlap: one pair of hands."""


class MissingDataFolder(StorageError):
    """A command that only reads was pointed at a folder that does not exist."""

    def __init__(self, folder: object) -> None:
        super().__init__(f"there is no data folder {folder}: nothing has been recorded there "
                         "(check --data-dir or TABLETIME_DATA_DIR)")
