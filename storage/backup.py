"""A lossless backup: one archive of the settings, what the user entered about patients and
every day file, and its restore.

The day files are the whole truth of the sessions (segments, tie choices, payer snapshots,
the audit trail) and patients.json of what was entered about patients; the index is derived
again on restore. A backup only reads and takes no lock, so
it never blocks the app; each file is read whole (the app replaces files atomically), and a
file that changed while the archive was being written is added again, until one pass finds
every file as archived: the archive is then a state the folder was really in.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import BinaryIO

import orjson

from core.text import printable
from storage.atomic import ensure_private_dir, write_atomic
from storage.documents import (
    PATIENTS_NAME,
    DocumentError,
    document_kind,
    upgrade,
    validate,
)
from storage.errors import BadPath
from storage.settings_file import SETTINGS_NAME
from storage.store import file_stamp

FORMAT = 1
ROOT = "tabletime-backup"
MANIFEST = "manifest.json"
MAX_PASSES = 20
MAX_MEMBER = 256 * 1024 * 1024


def _files(data_dir: Path) -> dict[str, Path]:
    """What a backup holds, by name in the archive: settings, patients.json, the day files."""
    found = {}
    for name in (SETTINGS_NAME, PATIENTS_NAME):
        if (data_dir / name).is_file():
            found[name] = data_dir / name
    for path in sorted((data_dir / "days").glob("*/*.json")):
        try:
            day = date.fromisoformat(path.stem)
        except ValueError:
            continue
        if path.parent.name == f"{day.year:04d}":
            found[f"days/{day.year:04d}/{path.name}"] = path
    return found


def write_backup(data_dir: Path, out: BinaryIO) -> int:
    """Write the archive into `out`; returns how many day files it holds."""
    archived: dict[str, tuple[str | None, str]] = {}  # name -> (stamp, sha256) as archived
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for _ in range(MAX_PASSES):
            files = _files(data_dir)
            changed = {name: path for name, path in files.items()
                       if name not in archived or archived[name][0] != file_stamp(path)}
            gone = set(archived) - set(files)
            if not changed and not gone:
                break
            for name in gone:
                del archived[name]
            for name, path in changed.items():
                stamp = file_stamp(path)
                try:
                    content = path.read_bytes()
                except FileNotFoundError:
                    continue  # removed meanwhile: the next pass sees it gone
                if file_stamp(path) != stamp:
                    continue  # replaced while being read: the next pass reads it again
                _add(archive, name, content)
                archived[name] = (stamp, hashlib.sha256(content).hexdigest())
        else:
            raise BadPath("the data folder kept changing while it was being archived; try "
                          "again in a quiet moment")
        manifest = {"format": FORMAT, "tabletime": version("tabletime"),
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "files": {name: sha for name, (_, sha) in sorted(archived.items())}}
        _add(archive, MANIFEST, json.dumps(manifest, indent=1).encode())
    return sum(1 for name in archived if name.startswith("days/"))


def _add(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(f"{ROOT}/{name}")
    info.size = len(content)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(content))


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, content) of each member, refusing anything a backup does not hold."""
    try:
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


def verify_backup(path: Path) -> int:
    """Check an archive without writing anything: only the names a backup writes, regular
    files, each matching the manifest's checksum, each day file valid. Returns how many day
    files it holds; BadPath names the first problem."""
    sums: dict[str, str] = {}
    manifest = None
    for name, content in _members(path):
        if name == MANIFEST:
            manifest = json.loads(content)
            continue
        if name.startswith("days/") or name == PATIENTS_NAME:
            _check_document(name, content)
        sums[name] = hashlib.sha256(content).hexdigest()  # a file added again: the later one
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
    return sum(1 for name in sums if name.startswith("days/"))


def _allowed(name: str) -> bool:
    if name in (MANIFEST, SETTINGS_NAME, PATIENTS_NAME):
        return True
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != "days" or not parts[2].endswith(".json"):
        return False
    try:
        day = date.fromisoformat(parts[2].removesuffix(".json"))
    except ValueError:
        return False
    return parts[1] == f"{day.year:04d}"


def _check_document(name: str, content: bytes) -> None:
    kind, context = document_kind(Path("/"), Path("/") / name)
    try:
        validate(upgrade(orjson.loads(content)), kind, context)
    except (orjson.JSONDecodeError, DocumentError) as error:
        raise BadPath(f"the backup's {name} is not a valid file of its kind: {error}") from None


def refuse_unless_empty(data_dir: Path) -> None:
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BadPath(f"{printable(str(data_dir))} is not empty: restore into a new or empty "
                      "folder (nothing was written)")


def restore_backup(path: Path, data_dir: Path) -> None:
    """Write a verified archive's files into the data folder (its later copy of a file that
    was added twice replaces the earlier one)."""
    for name, content in _members(path):
        if name == MANIFEST:
            continue
        target = data_dir / name
        ensure_private_dir(target.parent)
        write_atomic(target, content)
