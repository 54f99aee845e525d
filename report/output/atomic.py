"""Writing files so a reader never sees half of one: temporary names, fsync, renames, leftovers of killed writers.

Light on purpose (the no-op build imports it): the standard library only.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
from collections.abc import Sequence
from pathlib import Path

from report.errors import BuildError, display_path

TMP_SUFFIX = ".lead-magnet-tmp"
# Test-only: kill this process with SIGKILL at a named step, so tests can interrupt a build exactly there.
KILL_AT_ENV = "LEAD_MAGNET_TEST_KILL_AT"


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checkpoint(step: str) -> None:
    """Die here, by SIGKILL, when a test asked for this step in LEAD_MAGNET_TEST_KILL_AT."""
    if os.environ.get(KILL_AT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def require_folder(folder: Path) -> None:
    """Refuse an output path that is a file, before any work is done for it."""
    if folder.exists() and not folder.is_dir():
        raise BuildError(f"{display_path(folder)}: expected a folder to write the report into, found a file")


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{TMP_SUFFIX}")


def _write_temp(target: Path, data: bytes) -> Path:
    tmp = _temp_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(target: Path, data: bytes) -> Path:
    """Write to a temporary file in the same folder (fsynced), then rename it into place."""
    tmp = _write_temp(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stale_temps(folder: Path) -> list[Path]:
    """Temporary files a killed build or publish left in the folder (and its charts/ subfolder)."""
    found: list[Path] = []
    for where in (folder, folder / "charts"):
        if where.is_dir():
            found += sorted(p for p in where.iterdir() if p.name.startswith(".") and p.name.endswith(TMP_SUFFIX))
    return found


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete leftover temporary files; call only while holding the folder's lock."""
    removed = []
    for path in stale_temps(folder):
        if _alive_elsewhere(path):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive_elsewhere(path: Path) -> bool:
    # Temp names carry the writer's pid; a live writer that somehow bypassed the lock keeps its files.
    parts = path.name.split(".")
    pid = int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else 0
    if pid in (0, os.getpid()):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def commit(folder: Path, files: Sequence[tuple[str, bytes]], skip_identical: bool = False) -> None:
    """Write every file to a temporary name, then rename them into place in the order given (the manifest last).

    The slow part (writing and syncing the bytes) happens before the first rename, so a failure or kill
    before then leaves the previous set untouched; the renames that follow take microseconds.
    Call only while holding the folder's lock.
    """
    require_folder(folder)
    staged: list[tuple[Path, Path]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(folder)
        for name, data in files:
            target = folder / name
            target.parent.mkdir(exist_ok=True)
            if (
                skip_identical
                and target.is_file()
                and target.stat().st_size == len(data)
                and file_sha256(target) == hashlib.sha256(data).hexdigest()
            ):
                continue
            staged.append((_write_temp(target, data), target))
            checkpoint(f"staged:{name}")
        used = sorted({target.parent for _tmp, target in staged})
        for parent in used:
            _fsync_dir(parent)
        for tmp, target in staged:
            os.replace(tmp, target)
            checkpoint(f"renamed:{target.relative_to(folder).as_posix()}")
        for parent in used:
            _fsync_dir(parent)  # make the renames themselves durable
    except OSError as exc:
        where = display_path(Path(exc.filename)) if exc.filename else display_path(folder)
        raise BuildError(f"{where}: could not write the output: {exc.strerror or exc}") from exc
    finally:
        for tmp, _target in staged:
            tmp.unlink(missing_ok=True)  # already renamed on success; removes the staged copies on failure
