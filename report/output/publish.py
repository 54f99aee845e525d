"""Publishing a build: write the set (content-addressed copies, PDF, cover, manifest last), check it, copy it.

Also the no-op path: `quick_check` finds the output current without rendering. Light on purpose: no WeasyPrint,
matplotlib, pandas or pydantic here, and PDFium only inside the functions that open a PDF.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from report.errors import Problem, PublishError, display_path
from report.inputs.options import BuildOptions
from report.output import immutable
from report.output.atomic import commit, file_sha256, stale_temps
from report.output.cover import cover_png, pdf_pages, png_size
from report.output.lock import locked
from report.output.manifest import (
    COVER_NAME,
    MANIFEST_NAME,
    PDF_NAME,
    STEM,
    Edition,
    edition_name,
    make,
    manifest_bytes,
    mismatches,
    read,
)
from report.output.sources import Sources, for_build


def publish_build(
    folder: Path,
    pdf: bytes,
    about: Edition,
    inputs_sha256: str,
    extra: Sequence[tuple[str, bytes, str]] = (),
) -> dict[str, Any]:
    """Render the cover, then write the content-addressed copies, the PDF, its edition copy, the cover, any extras
    and the manifest; then prune content-addressed copies older than the last few builds."""
    pages = pdf_pages(pdf, "the rendered PDF")
    cover = cover_png(pdf)
    pdf_sha, cover_sha = hashlib.sha256(pdf).hexdigest(), hashlib.sha256(cover[0]).hexdigest()
    addressed = {"pdf": immutable.pdf_name(STEM, pdf_sha), "cover": immutable.cover_name(STEM, cover_sha)}
    # Order matters: the content-addressed copies exist before anything names them; the stable PDF is renamed
    # just before the manifest, so the window in which a reader can see a PDF that the manifest does not
    # describe is as short as it can be (and a reader that follows the content-addressed names never sees one).
    files = [
        (addressed["pdf"], pdf, "pdf-content-addressed"),
        (addressed["cover"], cover[0], "cover-content-addressed"),
        (edition_name(about.edition), pdf, "edition"),
        (COVER_NAME, cover[0], "cover"),
        *extra,
        (PDF_NAME, pdf, "pdf"),
    ]
    manifest = make(about, pdf, pages, cover, addressed, inputs_sha256, files)
    commit(folder, [*((name, data) for name, data, _role in files), (MANIFEST_NAME, manifest_bytes(manifest))])
    immutable.prune(folder, STEM, addressed.values())
    return manifest


def up_to_date(folder: Path, sources: Sources) -> dict[str, Any] | None:
    """The manifest, when it was built from exactly these inputs and every file still matches it."""
    try:
        manifest = read(folder)
    except PublishError:
        return None
    try:
        if manifest["inputs_sha256"] != sources.digest():
            return None
        if mismatches(folder, manifest):
            return None
    except OSError:
        return None
    return manifest


def quick_check(options: BuildOptions) -> tuple[dict[str, Any], Sources] | None:
    """The no-render path: (manifest, sources) when the output is current and has no leftovers, else None."""
    try:
        found = for_build(options)
        if stale_temps(options.out_dir):
            return None  # the full build path cleans them up under the lock
        manifest = up_to_date(options.out_dir, found)
    except OSError:
        return None  # let the full build report the problem properly
    return None if manifest is None else (manifest, found)


def verify(folder: Path) -> dict[str, Any]:
    """Check the latest set: every file's size and sha256, the PDF opens with the stated page count."""
    manifest = read(folder)
    problems = mismatches(folder, manifest)
    pdf_path = folder / PDF_NAME
    if not problems:
        try:
            pages = pdf_pages(pdf_path.read_bytes(), display_path(pdf_path))
        except PublishError as exc:
            problems += exc.problems()
        else:
            if pages != manifest["pages"]:
                problems.append(
                    Problem(
                        display_path(pdf_path),
                        None,
                        "",
                        f"expected {manifest['pages']} pages as {MANIFEST_NAME} says, found {pages}",
                    )
                )
        cover = folder / COVER_NAME
        size = png_size(cover.read_bytes()[:24] if cover.is_file() else b"")
        stated = (manifest["cover"]["width"], manifest["cover"]["height"])
        if size != stated:
            found = "no PNG" if size is None else f"{size[0]}×{size[1]}"
            message = f"expected a {stated[0]}×{stated[1]} PNG as {MANIFEST_NAME} says, found {found}"
            problems.append(Problem(display_path(cover), None, "", message))
    if problems:
        raise PublishError(problems)
    return manifest


def publish(folder: Path, dest: Path) -> tuple[dict[str, Any], list[str]]:
    """Copy the verified latest set into dest with the same atomic rule; returns the manifest and files written."""
    if dest.resolve() == folder.resolve():
        raise PublishError(
            [Problem(display_path(dest), None, "", "expected a folder other than the build folder to publish into")]
        )
    with locked(folder):
        manifest = verify(folder)
        payload = []
        for entry in manifest["files"]:
            data = (folder / entry["file"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:  # changed since verify: refuse, copy nothing
                raise PublishError(
                    [
                        Problem(
                            display_path(folder / entry["file"]), None, "", "changed while being published; try again"
                        )
                    ]
                )
            payload.append((entry["file"], data))
        manifest_data = (folder / MANIFEST_NAME).read_bytes()
    addressed = list(manifest["content_addressed"].values())
    with locked(dest):
        before = {name: _sha_or_none(dest / name) for name, _data in payload}
        commit(dest, [*payload, (MANIFEST_NAME, manifest_data)], skip_identical=True)
        immutable.refresh(dest, STEM, addressed)  # an identical copy left alone still belongs to the latest build
        immutable.prune(dest, STEM, addressed)
        written = [name for name, data in payload if before[name] != hashlib.sha256(data).hexdigest()]
    return manifest, written


def _sha_or_none(path: Path) -> str | None:
    return file_sha256(path) if path.is_file() else None
