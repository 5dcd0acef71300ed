"""A lossless backup: one archive of the settings, what the user entered about patients and
every day file, and its restore.

The day files are the whole truth of the sessions (segments, tie choices, payer snapshots,
the audit trail) and patients.json of what was entered about patients; the index is derived
again on restore. A backup only reads and takes no lock, so
it never blocks the app; each file is read whole (the app replaces files atomically), and a
file that changed while the archive was being written is added again, until one pass finds
every file as archived: the archive is then a state the folder was really in. Anything but a
regular file where a data file belongs is refused by name (a pipe would block the backup, a
link would archive its target).

A restore is all or nothing: every member is checked first (settings with the app's own
loader), then written into a folder beside the target (`.NAME.restoring-XXXX`, marked as
Tabletime's), made durable and renamed onto the new or empty target in one step. A restore
stopped before that leaves the target as it was; the next restore removes the leftover, and
the app and `check` name it meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from core.text import printable
from storage import layout
from storage.atomic import (
    NotAFile,
    ensure_private_dir,
    file_kind,
    fsync_dir,
    read_regular,
    write_atomic,
)
from storage.document_storage import MAX_FILE_BYTES
from storage.documents import (
    DayDocument,
    Document,
    DocumentError,
    document_kind,
    upgrade,
    validate,
)
from storage.errors import BadPath, DataFolderLocked, SettingsError, disk_problem
from storage.folder import RESTORE_MARK, WriterLock, interrupted_restores, refuse_non_folder
from storage.journal import folded, journal_path
from storage.layout import LOCK_NAME, PATIENTS_NAME, SETTINGS_NAME, restoring_prefix
from storage.settings_file import parse_settings
from storage.store import file_stamp

FORMAT = 1
ROOT = "tabletime-backup"
MANIFEST = "manifest.json"
MAX_PASSES = 20
MAX_MEMBER = 256 * 1024 * 1024
MAX_TEMPLATE_BYTES = 1024 * 1024


def _files(data_dir: Path) -> dict[str, Path]:
    """What a backup holds, by name in the archive: settings, patients.json, the day files,
    the charge file templates."""
    found = {}
    for name in (SETTINGS_NAME, PATIENTS_NAME):
        if (data_dir / name).is_symlink() or (data_dir / name).exists():
            found[name] = data_dir / name
    for day, path in layout.day_files(data_dir).items():
        found[layout.day_name(day)] = path
    found.update(layout.template_files(data_dir))
    return found


def write_backup(data_dir: Path, out: BinaryIO) -> int:
    """Write the archive into `out`; returns how many day files it holds. Every file is
    checked as the app reads it in the first pass (an archive that restore would refuse is
    never written); a file changed meanwhile was written by the app and is taken as it is."""
    archived: dict[str, tuple[str | None, str]] = {}  # name -> (stamp, sha256) as archived
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for attempt in range(MAX_PASSES):
            if not _archive_pass(archive, data_dir, archived, check=attempt == 0):
                break
        else:
            raise BadPath("the data folder kept changing while it was being archived; try "
                          "again in a quiet moment")
        manifest = {"format": FORMAT, "tabletime": version("tabletime"),
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "files": {name: sha for name, (_, sha) in sorted(archived.items())}}
        _add(archive, MANIFEST, json.dumps(manifest, indent=1).encode())
    return sum(1 for name in archived if layout.day_of_name(name) is not None)


def _archive_pass(archive: tarfile.TarFile, data_dir: Path,
                  archived: dict[str, tuple[str | None, str]], *, check: bool) -> bool:
    """One pass over the folder: each file new or changed since it was archived is added
    (again; `check`ed as the app reads it), each file gone is forgotten. False when the pass
    found every file as archived: the archive is then a state the folder was really in."""
    files = _files(data_dir)
    changed = {name: path for name, path in files.items()
               if name not in archived or archived[name][0] != file_stamp(path)}
    gone = set(archived) - set(files)
    if not changed and not gone:
        return False
    for name in gone:
        del archived[name]
    for name, path in changed.items():
        read = _read_unchanged(path, follow_links=layout.template_name(name) is not None)
        if read is None:
            continue
        stamp, content = read
        if check:
            try:
                _check_member(name, content, str(path))
            except (DocumentError, SettingsError) as error:
                raise BadPath(f"{printable(str(path))} cannot be backed up: {error}; nothing "
                              "was written (tabletime check moves a damaged file aside)") from None
        _add(archive, name, content)
        archived[name] = (stamp, hashlib.sha256(content).hexdigest())
    return True


def _read_unchanged(path: Path, *, follow_links: bool = False
                    ) -> tuple[str | None, bytes] | None:
    """A file's stamp and content, read whole; None when it was removed or replaced while
    being read (the next pass sees it gone, or reads it again). BadPath for anything but a
    regular file, or a file that cannot be read."""
    stamp = file_stamp(path)
    try:
        content = read_regular(path, follow_links=follow_links)
    except FileNotFoundError:
        return None
    except NotAFile as error:
        raise BadPath(f"{printable(str(path))} {error}: a backup holds data files "
                      "only; move it away (nothing was written)") from None
    except OSError as error:
        raise BadPath(f"cannot back up {printable(str(path))}: "
                      f"{disk_problem(error)} (nothing was written)") from None
    whole = _with_journal(path, content) if journal_path(path).exists() else content
    if whole is None or file_stamp(path) != stamp:
        return None
    return stamp, whole


def _with_journal(path: Path, content: bytes) -> bytes | None:
    """A day file's content with its journal (its timer events) in it; None when the journal
    went meanwhile (the app rewrote the file: the next pass reads it again)."""
    try:
        appended = read_regular(journal_path(path))
        return folded(content, appended, DayDocument.KEYS)
    except FileNotFoundError:
        return None
    except DocumentError as error:
        raise BadPath(f"{printable(str(path))} cannot be backed up: {error}; nothing was "
                      "written (the app moves a damaged journal aside when it opens)") from None
    except (NotAFile, OSError) as error:
        raise BadPath(f"cannot back up the journal of {printable(str(path))}: "
                      f"{error} (nothing was written)") from None


def _add(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(f"{ROOT}/{name}")
    info.size = len(content)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(content))


def members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, content) of each member, refusing anything a backup does not hold (and an
    archive that is not a regular file: a named pipe would block)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise BadPath(f"{printable(str(path))}: no such file") from None
    try:
        if not stat.S_ISREG(mode):
            raise BadPath(f"{printable(str(path))} is {file_kind(mode)}, not a backup file")
        with tarfile.open(path, mode="r:*") as archive:
            for member in archive:
                name = member.name.removeprefix(f"{ROOT}/")
                if not member.isfile() or not _allowed(name) or member.size > MAX_MEMBER:
                    raise BadPath(f"{printable(str(path))} is not a Tabletime backup: it holds "
                                  f"{printable(member.name)!r}")
                handle = archive.extractfile(member)
                assert handle is not None
                yield name, handle.read()
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BadPath(f"cannot read {printable(str(path))} as a Tabletime backup: "
                      f"{error}") from None


class Verified(NamedTuple):
    """An archive found sound: how many day files, each member's checksum, the manifest's."""

    days: int
    sums: dict[str, str]
    manifest_sha256: str


Received = Callable[[str, Document | None], None]
"""A member found valid, as it is read: its name and the document it is (None for the
settings and a template), for a reader that needs it once (a clinic merge)."""


def verify_backup(path: Path, received: Received | None = None) -> Verified:
    """Check an archive without writing anything: only the names a backup writes, regular
    files, each matching the manifest's checksum, each day file valid, the settings valid as
    the app reads them. BadPath names the first problem (`received` may have had members
    before it: whoever reads them must drop them then)."""
    sums: dict[str, str] = {}
    manifest: Any = None
    manifest_sha256 = ""
    for name, content in members(path):
        if name == MANIFEST:
            manifest = read_manifest(path, content)
            manifest_sha256 = hashlib.sha256(content).hexdigest()
            continue
        try:
            document = _check_member(name, content, f"the backup's {name}")
        except DocumentError as error:
            raise BadPath(f"the backup's {name} is not a valid file of its kind: "
                          f"{error}") from None
        except SettingsError as error:
            raise BadPath(str(error)) from None
        sums[name] = hashlib.sha256(content).hexdigest()  # a file added again: the later one
        if received is not None:
            received(name, document)
    _check_manifest(path, manifest, sums)
    return Verified(sum(1 for name in sums if layout.day_of_name(name) is not None), sums,
                    manifest_sha256)


def _check_manifest(path: Path, manifest: dict[str, Any] | None, sums: dict[str, str]) -> None:
    """BadPath unless the manifest is this format's and lists exactly the members, each with
    its checksum."""
    if manifest is None:
        raise BadPath(f"{printable(str(path))} is not a Tabletime backup (no manifest)")
    if manifest.get("format") != FORMAT:
        raise BadPath(f"{printable(str(path))} was written by another version of Tabletime "
                      f"(format {manifest.get('format')!r}): update Tabletime")
    listed = manifest.get("files")
    if not isinstance(listed, dict) or set(listed) != set(sums):
        raise BadPath(f"{printable(str(path))} is incomplete: its files do not match its "
                      "manifest")
    for name, checksum in sums.items():
        if listed[name] != checksum:
            raise BadPath(f"{printable(str(path))}: {name} is damaged (its checksum differs)")


def read_manifest(path: Path, content: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(content)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested beyond reason
        manifest = None
    if not isinstance(manifest, dict):
        raise BadPath(f"{printable(str(path))} is not a Tabletime backup (its manifest is "
                      "not a JSON object)")
    return manifest


def _allowed(name: str) -> bool:
    return (name in (MANIFEST, SETTINGS_NAME, PATIENTS_NAME)
            or layout.day_of_name(name) is not None or layout.template_name(name) is not None)


def _check_member(name: str, content: bytes, where: str) -> Document | None:
    """The document `content` is (None for the settings and a template); SettingsError or
    DocumentError unless it is what the app reads back at `name` (`where`: how a settings
    error names the file)."""
    if name == SETTINGS_NAME:
        parse_settings(content, where)
    elif layout.template_name(name) is not None:
        _check_template(content)
    else:
        return _check_document(name, content)
    return None


def _check_document(name: str, content: bytes) -> Document:
    """DocumentError unless `content` is what the app reads back at `name` (the same limits:
    valid JSON of the file's kind, a schema this Tabletime wrote, at most MAX_FILE_BYTES)."""
    if len(content) > MAX_FILE_BYTES:
        raise DocumentError(f"it is {len(content):,} bytes, more than any Tabletime file")
    kind, context = document_kind(Path("/"), Path("/") / name)
    try:
        return validate(upgrade(orjson.loads(content)), kind, context)
    except orjson.JSONDecodeError as error:
        raise DocumentError(f"not valid JSON: {error}") from None


def _check_template(content: bytes) -> None:
    """A charge file template is the user's own file, kept byte for byte whatever it holds (a
    mistake in it is said when an export uses it, never a reason to refuse the patients'
    data); only a file no template could be is refused, named."""
    if len(content) > MAX_TEMPLATE_BYTES:
        raise DocumentError(f"it is {len(content):,} bytes, more than a template holds: move "
                            "it out of templates/")


def refuse_unless_empty(data_dir: Path) -> None:
    refuse_non_folder(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BadPath(f"{printable(str(data_dir))} is not empty: restore into a new or empty "
                      "folder (nothing was written)")


@contextmanager
def restore_backup(path: Path, data_dir: Path) -> Iterator[tuple[WriterLock, int]]:
    """Restore an archive into a new or empty folder, all or nothing; yields the restored
    folder's writer lock, held (open the repository with it: the index is derived before any
    other Tabletime can write there), and how many day files came back."""
    refuse_unless_empty(data_dir)
    verified = verify_backup(path)  # nothing is written before every member is checked
    created = not data_dir.exists()
    target = WriterLock(data_dir).acquire()  # no other Tabletime writes it meanwhile
    try:
        refuse_unless_empty(data_dir)  # nobody filled it meanwhile
        for leftover in interrupted_restores(data_dir):
            _discard_leftover(leftover)
        placed = _restore_beside(path, data_dir, verified, target)
    except BaseException:
        target.release()
        if created:
            _remove_empty(data_dir)
        raise
    target.release()  # the folder it locked was replaced by the restored one
    try:
        yield placed, verified.days
    finally:
        placed.release()


def _restore_beside(path: Path, data_dir: Path, verified: Verified,
                    target: WriterLock) -> WriterLock:
    """Write the members into a marked folder beside the target, durably, and rename it onto
    the target; returns the lock held on it (a restore running is never a leftover)."""
    temp = Path(tempfile.mkdtemp(dir=data_dir.parent, prefix=restoring_prefix(data_dir)))
    try:
        write_atomic(temp / RESTORE_MARK, b"a restore of Tabletime writes this folder\n")
        placed = WriterLock(temp).acquire()
    except BaseException:
        shutil.rmtree(temp)
        raise
    try:
        written: dict[str, str] = {}
        for name, content in members(path):
            if name != MANIFEST:
                ensure_private_dir((temp / name).parent)
                write_atomic(temp / name, content)
                written[name] = hashlib.sha256(content).hexdigest()
        if written != verified.sums:
            raise BadPath(f"{printable(str(path))} changed while it was being restored: "
                          "nothing was restored")
        for folder in (temp, temp / layout.DAYS, *(temp / layout.DAYS).glob("*"),
                       temp / layout.TEMPLATES):
            if folder.is_dir():
                fsync_dir(folder)  # every name in place before the rename makes it whole
        _rename_onto(temp, data_dir, target)
    except BaseException:
        placed.release()
        shutil.rmtree(temp, ignore_errors=True)
        raise
    placed.moved_to(data_dir)
    (data_dir / RESTORE_MARK).unlink()
    fsync_dir(data_dir)
    return placed


def _rename_onto(temp: Path, data_dir: Path, target: WriterLock) -> None:
    """The commit: the restored folder takes the empty target's place in one rename."""
    try:
        os.rename(temp, data_dir)  # POSIX replaces an empty folder
    except OSError:  # a system that does not: the empty target goes first
        target.release()
        (data_dir / LOCK_NAME).unlink(missing_ok=True)
        data_dir.rmdir()
        os.rename(temp, data_dir)
    fsync_dir(data_dir.parent)


def _discard_leftover(folder: Path) -> None:
    """Remove what an interrupted restore wrote (marked as ours; never a restore running)."""
    try:
        lock = WriterLock(folder).acquire()
    except DataFolderLocked:
        return
    try:
        shutil.rmtree(folder)
    finally:
        lock.release()


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty after all, or gone: left as it is
        folder.rmdir()
