"""Publishing: verify, publish, the no-op build, kills mid-build and concurrent builds.

Every test works on real files and real processes: builds run as `python -m report` subprocesses, kills are
real SIGKILLs at named steps (LEAD_MAGNET_TEST_KILL_AT), and concurrent builds are eight processes started together.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from report.output.atomic import KILL_AT_ENV, TMP_SUFFIX, file_sha256
from report.output.manifest import COVER_NAME, MANIFEST_NAME, PDF_NAME, RESULTS_NAME, manifest_bytes
from tests.conftest import DATA, CliResult, SharedBuilds, lm, snapshot, start_lm

PDF, COVER, MANIFEST = PDF_NAME, COVER_NAME, MANIFEST_NAME
EDITION_PDF = "backend-language-comparison-2026.11.pdf"


def manifest_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return data


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(TMP_SUFFIX)]


@pytest.fixture
def out(shared: SharedBuilds, tmp_path: Path) -> Path:
    """A private copy of the shared sample build (A4) that a test may change."""
    target = tmp_path / "output"
    shutil.copytree(shared.out("default-a4"), target)
    return target


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
    (out / MANIFEST).write_bytes(manifest_bytes(manifest))
    result = run_cli("verify", "--out", out)
    assert result.code == 1
    assert f"{out / PDF}: expected {pages + 1} pages as manifest.json says, found {pages}" in result.err


def test_verify_checks_the_cover_size(out: Path, run_cli: Callable[..., CliResult]) -> None:
    manifest = manifest_of(out)
    height = manifest["cover"]["height"]
    manifest["cover"]["height"] = height + 1
    (out / MANIFEST).write_bytes(manifest_bytes(manifest))
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
    for name in (PDF, EDITION_PDF, COVER, MANIFEST, RESULTS_NAME, *manifest_of(out)["content_addressed"].values()):
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
    (out / MANIFEST).write_bytes(manifest_bytes(manifest))
    dest = tmp_path / "dest"
    result = run_cli("publish", "--out", out, "--dest", dest)
    assert result.code == 1
    assert "files[0].file: expected a file name inside the output folder" in result.err
    assert not dest.exists()


def test_publish_refuses_to_publish_into_the_build_folder(out: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("publish", "--out", out, "--dest", out)
    assert result.code == 1
    assert "expected a folder other than the build folder" in result.err


# --- incremental builds ---------------------------------------------------------------------------------


def test_an_up_to_date_build_renders_nothing_and_touches_nothing(out: Path, tmp_path: Path) -> None:
    before = snapshot(out)
    # -X importtime lists every module the process imported: the no-op must not load the PDF worker's libraries
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


@pytest.mark.slow
def test_force_renders_again_and_gets_the_same_bytes(out: Path) -> None:
    old = manifest_of(out)
    done = lm("build", "--data", DATA, "--out", out, "--force")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out / PDF}")
    new = manifest_of(out)
    assert {k: v for k, v in new.items() if k != "built_at"} == {k: v for k, v in old.items() if k != "built_at"}


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


# --- SIGKILL at several points --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_build_leaves_a_verifying_set(out: Path) -> None:
    """Kill a real build (with different inputs, so the new set differs) before, during and after staging."""
    old = manifest_of(out)
    rebuild: list[str | Path] = ["build", "--data", DATA, "--out", out, "--page-size", "letter"]

    # 1. while the PDF worker lays out the PDF: nothing is staged yet
    killed = lm(*rebuild, env={KILL_AT_ENV: "rendering"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert leftovers(out) == []
    assert lm("verify", "--out", out).returncode == 0
    assert manifest_of(out) == old

    # 2. with every file staged but none renamed. (Killing after the first staged file proves nothing more:
    # staging writes only temporary names, so any file it touched in place would show here too.)
    killed = lm(*rebuild, env={KILL_AT_ENV: f"staged:{MANIFEST}"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = leftovers(out)  # the kill really happened mid-write, with every file of the new set staged
    assert all(any(n.startswith(f".{name}.") for n in left) for name in (PDF, EDITION_PDF, COVER, MANIFEST)), left
    assert lm("verify", "--out", out).returncode == 0
    assert manifest_of(out) == old  # the previous set, intact
    assert file_sha256(out / PDF) == old["sha256"]

    # the next run tidies up even when it has nothing to render
    tidy = lm("build", "--data", DATA, "--out", out)
    assert tidy.returncode == 0, tidy.stderr
    assert tidy.stdout.startswith("up to date")
    assert leftovers(out) == []
    assert manifest_of(out) == old

    # 3. inside the rename burst: the PDF is new, the manifest still old; readers comparing sha256 see it
    killed = lm(*rebuild, env={KILL_AT_ENV: f"renamed:{PDF}"})
    assert killed.returncode == -signal.SIGKILL
    assert lm("verify", "--out", out).returncode == 1

    # the next run cleans up and leaves the new complete set
    done = lm(*rebuild)
    assert done.returncode == 0, done.stderr
    assert leftovers(out) == []
    assert lm("verify", "--out", out).returncode == 0
    assert manifest_of(out)["page_size"] == "letter"


# --- concurrency ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_eight_concurrent_builds_end_with_one_verifying_set(tmp_path: Path) -> None:
    target = tmp_path / "output"
    processes = [start_lm("build", "--data", DATA, "--out", target) for _ in range(8)]
    results = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0] * 8, [err for _out, err in results]
    wrote = [out for out, _err in results if out.startswith("wrote ")]
    assert len(wrote) == 1  # the lock serialized them; the other seven found the set current
    assert lm("verify", "--out", target).returncode == 0
    assert leftovers(target) == []
    addressed = manifest_of(target)["content_addressed"].values()
    assert sorted(p.name for p in target.iterdir()) == sorted(
        [PDF, EDITION_PDF, COVER, MANIFEST, RESULTS_NAME, *addressed]
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
