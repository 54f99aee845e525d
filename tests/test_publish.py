"""Publishing: the manifest, verify, publish, the depfile, the no-op build, kills mid-build and concurrent builds.

Every test works on real files and real processes: builds run as `python -m report` subprocesses, kills are
real SIGKILLs, and concurrent builds are eight processes started together.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from report import __version__, publish
from tests.conftest import DATA, ROOT, CliResult, snapshot

PDF = publish.PDF_NAME
EDITION_PDF = "backend-language-comparison-2026.11.pdf"
COVER = publish.COVER_NAME
MANIFEST = publish.MANIFEST_NAME


def lm(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "report", *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def start(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "report", *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def manifest_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return data


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(publish.TMP_SUFFIX)]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real build of the bundled data (A4), made once for the module; tests copy it."""
    out = tmp_path_factory.mktemp("base") / "output"
    done = lm("build", "--data", DATA, "--out", out)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture
def out(base: Path, tmp_path: Path) -> Path:
    """A private copy of the base build that a test may change."""
    target = tmp_path / "output"
    shutil.copytree(base, target)
    return target


# --- the layout and the manifest -----------------------------------------------------------------------


def test_build_writes_the_documented_set(base: Path) -> None:
    names = sorted(p.name for p in base.iterdir())
    pdf_sha = publish.file_sha256(base / PDF)
    cover_sha = publish.file_sha256(base / COVER)
    addressed_pdf = f"backend-language-comparison-{pdf_sha[:12]}.pdf"
    addressed_cover = f"backend-language-comparison-cover-{cover_sha[:12]}.png"
    assert names == sorted([PDF, EDITION_PDF, COVER, MANIFEST, publish.RESULTS_NAME, addressed_pdf, addressed_cover])
    assert (base / PDF).read_bytes() == (base / EDITION_PDF).read_bytes() == (base / addressed_pdf).read_bytes()
    assert (base / COVER).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (base / COVER).read_bytes() == (base / addressed_cover).read_bytes()
    assert manifest_of(base)["content_addressed"] == {"pdf": addressed_pdf, "cover": addressed_cover}


def test_manifest_describes_the_build_and_matches_its_schema(base: Path) -> None:
    manifest = manifest_of(base)
    schema = json.loads(publish.SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(manifest, schema)
    pdf = (base / PDF).read_bytes()
    assert manifest["file"] == PDF
    assert manifest["sha256"] == publish.file_sha256(base / PDF)
    assert manifest["bytes"] == len(pdf)
    assert manifest["pages"] == publish.pdf_pages(pdf, PDF) > 10
    assert (manifest["name"], manifest["title"], manifest["edition"]) == (
        "backend-language-comparison",
        "Backend Language Comparison",
        "2026.11",
    )
    assert manifest["page_size"] == "a4"
    assert manifest["sample_data"] is True
    assert manifest["generator"] == {"name": "lead-magnet", "version": __version__}
    assert manifest["inputs_sha256"] == publish.sources(DATA, page_size="a4", html=False).digest()
    assert manifest["cover"]["width"] == publish.COVER_WIDTH
    assert 1600 < manifest["cover"]["height"] < 1800  # A4 proportions
    assert [e["file"] for e in manifest["files"]][-1] == PDF  # the stable name is renamed last before the manifest
    assert publish.check_manifest(manifest, MANIFEST) == []


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
    manifest = manifest_of(base)
    change(manifest)
    schema = json.loads(publish.SCHEMA_FILE.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(manifest, schema)
    assert where in [p.where for p in publish.check_manifest(manifest, MANIFEST)]


def test_the_cover_is_page_one_at_1200_pixels(base: Path) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument((base / PDF).read_bytes())
    from PIL import Image

    image = Image.open(base / COVER)
    assert image.size == (1200, manifest_of(base)["cover"]["height"])
    page_width, page_height = document[0].get_size()
    assert abs(image.height / image.width - page_height / page_width) < 0.002
    # the cover's dark background fills page 1 (a blank render would be white)
    assert image.convert("RGB").getpixel((600, 5)) == (0x14, 0x21, 0x3D)
    document.close()


def test_the_cover_encoder_writes_a_plain_png_that_decodes_to_its_pixels(base: Path) -> None:
    from PIL import Image

    rows = [bytes([x * 40, y * 60, 200, 0, 0, 0]) for y in range(3) for x in range(1)]
    png = publish.png_rgb(rows, 2)
    image = Image.open(io.BytesIO(png))
    assert (image.size, image.mode) == ((2, 3), "RGB")
    assert image.getpixel((0, 2)) == (0, 120, 200)
    assert b"tEXt" not in png and b"tIME" not in png  # no metadata that could vary
    pdf = (base / PDF).read_bytes()
    assert publish.cover_png(pdf)[0] == publish.cover_png(pdf)[0] == (base / COVER).read_bytes()


# --- verify ---------------------------------------------------------------------------------------------


def test_verify_passes_on_a_fresh_build(out: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("verify", "--out", out)
    assert result.code == 0, result.err
    assert result.out.startswith(f"verified {out / PDF} (edition 2026.11, {manifest_of(out)['pages']} pages")


def test_verify_fails_on_a_changed_pdf(out: Path, run_cli: Callable[..., CliResult]) -> None:
    pdf = out / PDF
    pdf.write_bytes(pdf.read_bytes().replace(b"%%EOF", b"%%EOX"))
    result = run_cli("verify", "--out", out)
    assert result.code == 1
    assert f"{pdf}: expected sha256 {manifest_of(out)['sha256']} as manifest.json says, found " in result.err


def test_verify_fails_on_a_truncated_pdf_and_a_missing_cover(out: Path, run_cli: Callable[..., CliResult]) -> None:
    pdf = out / PDF
    size = pdf.stat().st_size
    pdf.write_bytes(pdf.read_bytes()[: size // 2])
    (out / COVER).unlink()
    result = run_cli("verify", "--out", out)
    assert result.code == 1
    assert f"error: {pdf}: expected {size} bytes as manifest.json says, found {size // 2}" in result.err
    assert f"error: {out / COVER}: missing; manifest.json lists it" in result.err
    assert "2 problems found" in result.err


def test_verify_checks_the_page_count(out: Path, run_cli: Callable[..., CliResult]) -> None:
    manifest = manifest_of(out)
    pages = manifest["pages"]
    manifest["pages"] = pages + 1
    (out / MANIFEST).write_bytes(publish.manifest_bytes(manifest))
    result = run_cli("verify", "--out", out)
    assert result.code == 1
    assert f"{out / PDF}: expected {pages + 1} pages as manifest.json says, found {pages}" in result.err


def test_verify_checks_the_cover_size(out: Path, run_cli: Callable[..., CliResult]) -> None:
    manifest = manifest_of(out)
    height = manifest["cover"]["height"]
    manifest["cover"]["height"] = height + 1
    (out / MANIFEST).write_bytes(publish.manifest_bytes(manifest))
    result = run_cli("verify", "--out", out)
    assert result.code == 1
    assert f"{out / COVER}: expected a 1200×{height + 1} PNG as manifest.json says, found 1200×{height}" in result.err


def test_verify_fails_clearly_without_a_manifest(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("verify", "--out", tmp_path)
    assert result.code == 1
    assert f"error: {tmp_path / MANIFEST}: not found; run `lead-magnet build` first" in result.err
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    result = run_cli("verify", "--out", tmp_path)
    assert result.code == 1
    assert "expected JSON written by lead-magnet, found unreadable content" in result.err
    assert "Traceback" not in result.err


# --- publish --------------------------------------------------------------------------------------------


def test_publish_copies_the_verified_set(out: Path, tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    dest = tmp_path / "blog" / "static" / "downloads"
    result = run_cli("publish", "--out", out, "--dest", dest)
    assert result.code == 0, result.err
    assert "published 6 changed file(s) to" in result.out
    for name in (
        PDF,
        EDITION_PDF,
        COVER,
        MANIFEST,
        publish.RESULTS_NAME,
        *manifest_of(out)["content_addressed"].values(),
    ):
        assert (dest / name).read_bytes() == (out / name).read_bytes()
    assert run_cli("verify", "--out", dest).code == 0
    assert leftovers(dest) == []
    before = snapshot(dest)
    again = run_cli("publish", "--out", out, "--dest", dest)
    assert again.code == 0
    assert "published 0 changed file(s)" in again.out
    assert snapshot(dest) == before  # identical files are not rewritten, so their mtimes stay


def test_publish_leaves_other_files_in_the_destination_alone(
    out: Path, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    dest = tmp_path / "static"
    dest.mkdir()
    (dest / "index.html").write_text("<p>blog</p>", encoding="utf-8")
    assert run_cli("publish", "--out", out, "--dest", dest).code == 0
    assert (dest / "index.html").read_text(encoding="utf-8") == "<p>blog</p>"


def test_publish_refuses_a_pdf_that_does_not_match_its_manifest(
    out: Path, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    dest = tmp_path / "dest"
    assert run_cli("publish", "--out", out, "--dest", dest).code == 0
    before = snapshot(dest)
    (out / PDF).write_bytes(b"%PDF-1.7 not the real thing")
    result = run_cli("publish", "--out", out, "--dest", dest)
    assert result.code == 1
    assert f"error: {out / PDF}: expected" in result.err
    assert snapshot(dest) == before


def test_publish_refuses_a_manifest_naming_files_outside_the_folder(
    out: Path, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    manifest = manifest_of(out)
    manifest["files"][0]["file"] = "../secret.txt"
    (out / MANIFEST).write_bytes(publish.manifest_bytes(manifest))
    dest = tmp_path / "dest"
    result = run_cli("publish", "--out", out, "--dest", dest)
    assert result.code == 1
    assert "files[0].file: expected a file name inside the output folder" in result.err
    assert not dest.exists()


def test_publish_refuses_to_publish_into_the_build_folder(out: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("publish", "--out", out, "--dest", out)
    assert result.code == 1
    assert "expected a folder other than the build folder" in result.err


# --- incremental builds and the depfile -----------------------------------------------------------------


def test_an_up_to_date_build_renders_nothing_and_touches_nothing(out: Path, tmp_path: Path) -> None:
    before = snapshot(out)
    # -X importtime lists every module the process imported: the no-op must not load the renderer
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "report", "build", "--data", str(DATA), "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("up to date, nothing rendered")
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert not {"weasyprint", "matplotlib", "pypdfium2"} & imported
    assert snapshot(out) == before


def test_force_renders_again_and_gets_the_same_bytes(out: Path) -> None:
    old = manifest_of(out)
    done = lm("build", "--data", DATA, "--out", out, "--force")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out / PDF}")
    new = manifest_of(out)
    assert {k: v for k, v in new.items() if k != "built_at"} == {k: v for k, v in old.items() if k != "built_at"}


def test_the_up_to_date_check_notices_changed_inputs_and_changed_outputs(out: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    found = publish.sources(data, page_size="a4", html=False)
    assert publish.up_to_date(out, found) is not None
    (data / "copy" / "about.md").write_text(
        (data / "copy" / "about.md").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    assert publish.up_to_date(out, publish.sources(data, page_size="a4", html=False)) is None
    assert publish.up_to_date(out, publish.sources(DATA, page_size="letter", html=False)) is None
    (out / COVER).write_bytes(b"\x89PNG not the cover")
    assert publish.up_to_date(out, publish.sources(DATA, page_size="a4", html=False)) is None


def test_inputs_sha256_does_not_depend_on_where_the_data_lives(tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "data"
    shutil.copytree(DATA, copy)
    assert publish.sources(copy, page_size="a4", html=False).digest() == (
        publish.sources(DATA, page_size="a4", html=False).digest()
    )


def test_the_depfile_lists_every_input(out: Path, tmp_path: Path) -> None:
    depfile = tmp_path / "deps" / "report.d"
    done = lm("build", "--data", DATA, "--out", out, "--depfile", depfile)
    assert done.returncode == 0, done.stderr
    expected = [str(p) for p in publish.sources(DATA, page_size="a4", html=False).paths]
    assert {str(DATA / "report.yaml"), str(ROOT / "templates" / "report.html.j2")} <= set(expected)
    assert any(p.endswith("FiraSans-Regular.ttf") for p in expected)
    assert str(DATA / "benchmarks" / "startup.csv") in expected
    # Make itself reads the file: the PDF's prerequisites are exactly the inputs
    makefile = tmp_path / "check.mk"
    makefile.write_text(f"include {depfile}\n{out / PDF}:\n\t@printf '%s\\n' $^\n", encoding="utf-8")
    listed = subprocess.run(
        ["make", "-s", "-B", "-f", str(makefile), str(out / PDF)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(listed) == sorted(expected)


def test_make_escapes_what_make_would_misread() -> None:
    assert publish._make_escape("a b$c#d:e%f") == "a\\ b$$c\\#d\\:e\\%f"


# --- failures leave --out alone -------------------------------------------------------------------------


def test_bad_input_creates_nothing_under_out(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "report.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    target = tmp_path / "out"
    done = lm("build", "--data", data, "--out", target, "--depfile", target / "report.d")
    assert done.returncode == 1
    assert "report.yaml" in done.stderr
    assert "Traceback" not in done.stderr
    assert not target.exists()


def test_bad_input_leaves_a_previous_build_untouched(out: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "benchmarks" / "startup.csv").write_text("nonsense\n", encoding="utf-8")
    before = snapshot(out)
    done = lm("build", "--data", data, "--out", out, "--force")
    assert done.returncode == 1
    assert snapshot(out) == before


def test_the_lock_lives_outside_the_output_folder(tmp_path: Path) -> None:
    lock = publish.lock_path(tmp_path / "output")
    assert not lock.is_relative_to(tmp_path)
    assert lock == publish.lock_path(tmp_path / "x" / ".." / "output")


# --- SIGKILL at several points --------------------------------------------------------------------------


def _kill_after(seconds: float, args: Sequence[str | Path]) -> None:
    process = start(*args)
    time.sleep(seconds)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL


def test_a_killed_build_leaves_a_verifying_set(out: Path) -> None:
    """Kill a real build (with different inputs, so the new set differs) before, during and after staging."""
    old = manifest_of(out)
    rebuild: list[str | Path] = ["build", "--data", DATA, "--out", out, "--page-size", "letter"]

    # 1. while rendering, 2. after the first temporary file, 3. with every file staged but none renamed
    _kill_after(1.5, rebuild)
    for step in (f"staged:{EDITION_PDF}", f"staged:{MANIFEST}"):
        killed = lm(*rebuild, env={publish.KILL_AT_ENV: step})
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert leftovers(out), step  # the kill really happened mid-write
        assert lm("verify", "--out", out).returncode == 0, step
        assert manifest_of(out) == old  # the previous set, intact
        assert publish.file_sha256(out / PDF) == old["sha256"]

    # the next run tidies up even when it has nothing to render
    tidy = lm("build", "--data", DATA, "--out", out)
    assert tidy.returncode == 0, tidy.stderr
    assert tidy.stdout.startswith("up to date")
    assert leftovers(out) == []
    assert manifest_of(out) == old

    # 4. inside the rename burst: the PDF is new, the manifest still old; readers comparing sha256 see it
    killed = lm(*rebuild, env={publish.KILL_AT_ENV: f"renamed:{PDF}"})
    assert killed.returncode == -signal.SIGKILL
    assert lm("verify", "--out", out).returncode == 1

    # the next run cleans up and leaves the new complete set
    done = lm(*rebuild)
    assert done.returncode == 0, done.stderr
    assert leftovers(out) == []
    assert lm("verify", "--out", out).returncode == 0
    assert manifest_of(out)["page_size"] == "letter"


# --- concurrency ----------------------------------------------------------------------------------------


def test_eight_concurrent_builds_end_with_one_verifying_set(tmp_path: Path) -> None:
    target = tmp_path / "output"
    processes = [start("build", "--data", DATA, "--out", target) for _ in range(8)]
    results = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0] * 8, [err for _out, err in results]
    wrote = [out for out, _err in results if out.startswith("wrote ")]
    assert len(wrote) == 1  # the lock serialized them; the other seven found the set current
    assert lm("verify", "--out", target).returncode == 0
    assert leftovers(target) == []
    addressed = manifest_of(target)["content_addressed"].values()
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [PDF, EDITION_PDF, COVER, MANIFEST, publish.RESULTS_NAME, *addressed]
    )


def test_an_output_path_that_is_a_file_is_refused_before_rendering(
    tmp_path: Path, out: Path, run_cli: Callable[..., CliResult]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli("build", "--data", DATA, "--out", blocker)
    assert result.code == 1
    assert f"{blocker}: expected a folder to write the report into, found a file" in result.err
    result = run_cli("publish", "--out", out, "--dest", blocker)
    assert result.code == 1
    assert blocker.read_text(encoding="utf-8") == "x"
