"""The output folder's lock: concurrent builds and publishes into one folder take turns."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from report.errors import BuildError, display_path
from report.output.atomic import require_folder

LOCK_TIMEOUT_S = 600.0


def lock_path(folder: Path) -> Path:
    """Where the lock for an output folder lives: outside it, so a failed build leaves the folder untouched."""
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / f"lead-magnet-{key}.lock"


@contextmanager
def locked(folder: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the folder's lock, so concurrent builds and publishes into it take turns."""
    from filelock import FileLock, Timeout

    require_folder(folder)  # fail before a long render, not after it
    lock = FileLock(str(lock_path(folder)), timeout=timeout, mode=0o666)
    try:
        lock.acquire()
    except Timeout:
        raise BuildError(
            f"{display_path(folder)}: another build or publish has held the lock for "
            f"{timeout:.0f} s ({lock.lock_file}); nothing was written"
        ) from None
    try:
        yield
    finally:
        lock.release()
