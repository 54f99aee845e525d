"""manifest.json: the documented set of files it describes, its schema, and the runtime check of a tampered one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from report import __version__
from report.inputs.options import BuildOptions
from report.output import manifest
from report.output.atomic import file_sha256
from report.output.cover import COVER_WIDTH, pdf_pages
from report.output.sources import for_build
from tests.conftest import DATA, SharedBuilds

PDF, COVER, MANIFEST = manifest.PDF_NAME, manifest.COVER_NAME, manifest.MANIFEST_NAME
EDITION_PDF = "backend-language-comparison-2026.11.pdf"


def manifest_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def base(shared: SharedBuilds) -> Path:
    """The shared build of the sample data (A4); read it, never change it."""
    return shared.out("default-a4")


def test_build_writes_the_documented_set(base: Path) -> None:
    names = sorted(p.name for p in base.iterdir())
    pdf_sha = file_sha256(base / PDF)
    cover_sha = file_sha256(base / COVER)
    addressed_pdf = f"backend-language-comparison-{pdf_sha[:12]}.pdf"
    addressed_cover = f"backend-language-comparison-cover-{cover_sha[:12]}.png"
    assert names == sorted([PDF, EDITION_PDF, COVER, MANIFEST, manifest.RESULTS_NAME, addressed_pdf, addressed_cover])
    assert (base / PDF).read_bytes() == (base / EDITION_PDF).read_bytes() == (base / addressed_pdf).read_bytes()
    assert (base / COVER).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (base / COVER).read_bytes() == (base / addressed_cover).read_bytes()
    assert manifest_of(base)["content_addressed"] == {"pdf": addressed_pdf, "cover": addressed_cover}
    assert manifest.edition_name("2026.11") == EDITION_PDF


def test_manifest_describes_the_build_and_matches_its_schema(base: Path) -> None:
    found = manifest_of(base)
    schema = json.loads(manifest.SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(found, schema)
    pdf = (base / PDF).read_bytes()
    assert found["file"] == PDF
    assert found["sha256"] == file_sha256(base / PDF)
    assert found["bytes"] == len(pdf)
    assert found["pages"] == pdf_pages(pdf, PDF) > 10
    assert (found["name"], found["title"], found["edition"]) == (
        "backend-language-comparison",
        "Backend Language Comparison",
        "2026.11",
    )
    assert found["page_size"] == "a4"
    assert found["sample_data"] is True
    assert found["generator"] == {"name": "lead-magnet", "version": __version__}
    assert found["inputs_sha256"] == for_build(BuildOptions(DATA, base)).digest()
    assert found["cover"]["width"] == COVER_WIDTH
    assert 1600 < found["cover"]["height"] < 1800  # A4 proportions
    assert [e["file"] for e in found["files"]][-1] == PDF  # the stable name is renamed last before the manifest
    assert manifest.check(found, MANIFEST) == []
    assert manifest.read(base) == found
    assert manifest.mismatches(base, found) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda m: m.update(schema_version=2), "schema_version"),
        (lambda m: m.update(sha256="abc"), "sha256"),
        (lambda m: m.update(pages=True), "pages"),
        (lambda m: m.update(sample_data="yes"), "sample_data"),
        (lambda m: m["files"][0].update(file="../../etc/passwd"), "files[0].file"),
        (lambda m: m["files"][0].update(file="/etc/passwd"), "files[0].file"),
        (lambda m: m.update(files=[]), "files"),
        (lambda m: m["cover"].update(width=0), "cover"),
    ],
)
def test_a_tampered_manifest_fails_both_the_schema_and_the_runtime_check(
    base: Path, change: Callable[[dict[str, Any]], None], where: str
) -> None:
    found = manifest_of(base)
    change(found)
    schema = json.loads(manifest.SCHEMA_FILE.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(found, schema)
    assert where in [p.where for p in manifest.check(found, MANIFEST)]


def test_the_manifest_is_written_with_sorted_keys_and_a_final_newline() -> None:
    assert manifest.manifest_bytes({"b": 1, "a": "é"}) == '{\n  "a": "é",\n  "b": 1\n}\n'.encode()


def test_built_at_follows_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    assert manifest.built_at() == "2026-09-21T14:13:20Z"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert manifest.built_at().endswith("Z")


def test_describe_says_what_happened_in_one_line(base: Path) -> None:
    line = manifest.describe(base, manifest_of(base), "verified")
    assert line.startswith(f"verified {base / PDF} (edition 2026.11, ")
    assert line.endswith("with 6 files and manifest.json") and "\n" not in line
