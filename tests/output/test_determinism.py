"""Determinism: the same inputs give byte-identical PDF and cover bytes in separate processes.

The two builds differ in everything that must not matter: the process, the working directory, PYTHONHASHSEED, the
output folder, how --data is spelled (relative vs absolute), whether charts came from the cache, whether matplotlib's
font list was cached, and the time of day.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from report.output import manifest
from report.output.manifest import PDF_NAME
from report.view.fonts import FONT_FILES
from tests.conftest import BUNDLED, ROOT, SharedBuilds

pytestmark = pytest.mark.slow  # a full build in a separate process


@pytest.fixture(scope="module")
def pair(shared: SharedBuilds) -> tuple[Path, Path]:
    """Two builds of the bundled data in separate processes that differ in everything irrelevant: the run's shared
    build (in a test process, from the absolute data path, charts possibly from the cache) and a fresh
    `python -m report` in another folder, with a relative data path, another PYTHONHASHSEED, every chart
    drawn anew and empty cache folders."""
    fresh, _tmp = shared.fresh_process()
    return shared.out("bundled-a4"), fresh


def test_two_processes_build_identical_bytes(pair: tuple[Path, Path]) -> None:
    first, second = pair
    one, two = manifest.read(first), manifest.read(second)
    # every file of the set, charts and HTML included, has the same bytes
    assert {e["file"]: e["sha256"] for e in one["files"]} == {e["file"]: e["sha256"] for e in two["files"]}
    for entry in one["files"]:
        assert (first / entry["file"]).read_bytes() == (second / entry["file"]).read_bytes(), entry["file"]
    # and so does the manifest, apart from when it was written
    one.pop("built_at")
    two.pop("built_at")
    assert one == two


def test_the_pdf_carries_no_build_time_or_random_identifier(pair: tuple[Path, Path]) -> None:
    out = pair[1]
    pdf = (out / PDF_NAME).read_bytes()
    import pypdf

    info = pypdf.PdfReader(out / PDF_NAME).metadata
    assert info is not None
    # the dates come from report.yaml's `published`, not the clock
    import yaml

    published = yaml.safe_load((BUNDLED / "report.yaml").read_text(encoding="utf-8"))["published"]
    assert str(info["/CreationDate"]) == str(info["/ModDate"]) == f"D:{published:%Y%m%d}"
    assert b"/ID [" not in pdf
    assert str(out).encode() not in pdf  # no absolute path of this machine leaks into the bytes
    assert str(ROOT).encode() not in pdf


def _head_modified(font: bytes) -> int:
    """The `modified` date of a TrueType font's head table (seconds since 1904), read from the table directory."""
    (tables,) = struct.unpack_from(">H", font, 4)
    for n in range(tables):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", font, 12 + 16 * n)
        if tag == b"head":
            (modified,) = struct.unpack_from(">q", font, offset + 28)
            return int(modified)
    raise AssertionError("no head table")


def test_the_embedded_fonts_carry_their_own_dates_not_the_build_time(pair: tuple[Path, Path]) -> None:
    """Subset by HarfBuzz, each embedded font keeps its file's head.modified. WeasyPrint's fallback subsetter
    (fontTools, used when libharfbuzz-subset is missing, as on a fresh Debian machine) sets it to the clock: the
    first builds on this machine differed from every later one, and from each other, until the library came in
    with Chromium."""
    import pypdf

    sources = {_head_modified(path.read_bytes()) for path in FONT_FILES.values()}
    reader = pypdf.PdfReader(pair[1] / PDF_NAME)
    numbers = {n for ids in reader.xref.values() for n in ids} | set(reader.xref_objStm)
    embedded = {}
    for number in sorted(numbers):
        obj = reader.get_object(number)
        if isinstance(obj, pypdf.generic.DictionaryObject) and "/FontFile2" in obj:
            program = obj["/FontFile2"].get_object()
            assert isinstance(program, pypdf.generic.StreamObject)
            embedded[str(obj["/FontName"])] = _head_modified(program.get_data())
    assert {name.split("+")[1] for name in embedded} >= {"Fira-Sans", "IBM-Plex-Mono"}  # the text and code faces
    assert {name: when for name, when in embedded.items() if when not in sources} == {}
