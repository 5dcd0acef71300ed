"""Errors a user can cause through the store; each message names the problem in plain words."""

from __future__ import annotations

import errno


class StorageError(Exception):
    """Base of every refusal by the store: nothing was written when one is raised."""


class UnwritableFile(StorageError):
    """A file this process could not read as it is: writing it would lose what it holds."""


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


def disk_problem(error: OSError) -> str:
    """An operating-system error in a user's words ("no space left on device: FILE")."""
    words = {errno.ENOSPC: "no space left on device", errno.EROFS: "the disk is read-only",
             errno.EACCES: "permission denied", errno.EDQUOT: "disk quota exceeded"}
    text = words.get(error.errno or 0) or error.strerror or str(error)
    return f"{text}: {error.filename}" if error.filename else text


class BadPath(StorageError):
    """A file the user named that Tabletime will not write (it exists, it is not a regular
    file, it lies inside the data folder...): nothing was written."""


class DataFolderLocked(StorageError):
    """Another running Tabletime writes this data folder."""

    def __init__(self, folder: object) -> None:
        super().__init__(
            f"the data folder {folder} is in use by another running Tabletime: close it "
            "first (tabletime summary and tabletime export can read it meanwhile)"
        )
        self.folder = folder


class SettingsError(Exception):
    """The settings file is unreadable or holds a bad value: the message names file and key."""


class SettingsChanged(StorageError):
    """settings.toml was changed by someone else since Tabletime read it: it is kept as it is,
    never overwritten from memory."""

    def __init__(self, path: object) -> None:
        super().__init__(f"{path} changed since Tabletime read it: your file was kept")


class FolderReplaced(StorageError):
    """The data folder at the path is no longer the one this process locked (moved away, or
    copied back by a sync client): writing there could overwrite another writer's work."""

    def __init__(self, folder: object) -> None:
        super().__init__(f"the data folder {folder} was moved or replaced while Tabletime ran: "
                         "nothing was written; quit and start Tabletime again")


class DiskReadOnly(StorageError):
    """The data folder is on a read-only disk: it is shown, never written."""

    def __init__(self) -> None:
        super().__init__("not saved: the disk is read-only")


class IncompleteExport(StorageError):
    """An export would lack records that could not be read: nothing was written."""
