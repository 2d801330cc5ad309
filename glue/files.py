"""Files that other processes may read while they are written: each appears whole or not at all."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from glue.errors import MlopsError


@contextlib.contextmanager
def scratch(folder: Path, name: str) -> Iterator[Path]:
    """A temporary file in `folder` (so it moves into place atomically), removed unless it was
    moved."""
    handle, path = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".partial")
    os.close(handle)
    try:
        yield Path(path)
    finally:
        Path(path).unlink(missing_ok=True)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Held by one process at a time (each opening of the file is a lock of its own, so the
    threads of a process wait for each other too)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_whole(path: Path, content: bytes) -> None:
    """Replace `path` with `content`: a reader sees the old file or the new one, never part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with scratch(path.parent, path.name) as new:
        new.write_bytes(content)
        new.replace(path)


def write_output(path: Path, content: bytes) -> None:
    """A file a person asked for (an --out): written whole, or one line saying why it cannot be
    (a folder, a path through a file, no permission)."""
    if path.is_dir():
        raise MlopsError(f"cannot write {path}: it is a folder; name a file")
    through = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if through is not None:
        raise MlopsError(f"cannot write {path}: {through} is a file, not a folder")
    try:
        write_whole(path, content)
    except OSError as error:
        raise MlopsError(f"cannot write {path}: {error.strerror or error}") from None


def mark_used(entry: Path) -> bool:
    """Whether a cache entry exists; if so it is marked used now, so that `keep_newest` keeps
    the entries in use over those unused longer."""
    try:
        os.utime(entry)
    except FileNotFoundError:
        return False
    return True


def keep_newest(folder: Path, count: int) -> None:
    """Of a cache folder's entries (files or folders; a name starting with '.' is one being
    written), delete all but the `count` written or used (`mark_used`) last. Another process
    pruning at the same time is no error."""

    def modified(entry: Path) -> int:
        try:
            return entry.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    for stale in sorted(entries, key=modified, reverse=True)[count:]:
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
