"""The brand typefaces come from the pinned font packages: every face the design uses exists, in the font folders."""

from __future__ import annotations

from report.view.fonts import FACES, FONT_DIRS, FONT_FILES, MONO_FAMILY, TEXT_FAMILY


def test_every_face_is_a_truetype_file_in_a_font_folder() -> None:
    for (family, weight, style), path in FACES.items():
        assert family in (TEXT_FAMILY, MONO_FAMILY)
        assert 100 <= weight <= 900 and style in ("normal", "italic")
        assert path.is_file() and path.read_bytes()[:4] == b"\x00\x01\x00\x00", path
        assert any(path.is_relative_to(folder) for folder in FONT_DIRS), path


def test_font_files_name_each_face_once() -> None:
    assert sorted(FONT_FILES.values()) == sorted(FACES.values())
    assert set(FONT_FILES) == {path.stem for path in FACES.values()}
