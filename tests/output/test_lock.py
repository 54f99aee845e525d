"""The output folder's lock: outside the folder, one per folder, and a clear message when it is held too long."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.errors import BuildError
from report.output.lock import lock_path, locked


def test_the_lock_lives_outside_the_output_folder(tmp_path: Path) -> None:
    lock = lock_path(tmp_path / "output")
    assert not lock.is_relative_to(tmp_path)
    assert lock == lock_path(tmp_path / "x" / ".." / "output")
    assert lock != lock_path(tmp_path / "other")


def test_a_held_lock_makes_the_second_writer_give_up_with_a_clear_message(tmp_path: Path) -> None:
    folder = tmp_path / "output"
    with locked(folder), pytest.raises(BuildError) as refused, locked(folder, timeout=0):
        pass
    assert "another build or publish has held the lock" in str(refused.value)
    assert str(refused.value).endswith("nothing was written")
    assert not folder.exists()  # taking the lock creates nothing in the folder
    with locked(folder):  # released: the next writer gets it at once
        pass


def test_a_file_where_the_folder_should_be_is_refused_before_locking(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(BuildError, match="expected a folder to write the report into, found a file"), locked(blocker):
        pass
