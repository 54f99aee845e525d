"""manifest.json, the output folder's contract: the names it uses, what it says, and the check a reader runs.

See docs/publishing.md and manifest.schema.json; `check` below applies the same rules without jsonschema.
Light on purpose: the no-op build reads the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report import __version__
from report.errors import Problem, PublishError, display_path
from report.inputs.paths import PACKAGE_DIR
from report.output import immutable
from report.output.atomic import file_sha256

GENERATOR = "lead-magnet"
STEM = "backend-language-comparison"
PDF_NAME = f"{STEM}.pdf"
COVER_NAME = f"{STEM}-cover.png"
MANIFEST_NAME = "manifest.json"
RESULTS_NAME = f"{STEM}.json"  # the computed results, written by report.results.export
SCHEMA_VERSION = 1
SCHEMA_FILE = PACKAGE_DIR / "output" / "manifest.schema.json"
# What a manifest may name: a file in the folder, or one level down (charts/…); never absolute or "..".
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Edition:
    """What the manifest says about the report itself."""

    title: str
    edition: str
    page_size: str
    sample_data: bool
    pdf_variant: str = "pdf/ua-1"  # the conformance the PDF was built to (--pdf-variant)


def edition_name(edition: str) -> str:
    """The per-edition copy of the PDF, e.g. backend-language-comparison-2026.11.pdf."""
    return f"{STEM}-{edition}.pdf"


def built_at() -> str:
    """Now in UTC as ISO 8601 (or SOURCE_DATE_EPOCH, when set, for fully reproducible manifests)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    moment = (
        dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        if epoch.isdigit()
        else dt.datetime.now(dt.UTC).replace(microsecond=0)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def file_entry(name: str, data: bytes, role: str) -> dict[str, Any]:
    """One file as the manifest lists it."""
    return {"file": name, "role": role, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def make(
    about: Edition,
    pdf: bytes,
    pages: int,
    cover: tuple[bytes, int, int],
    addressed: Mapping[str, str],
    inputs_sha256: str,
    files: Sequence[tuple[str, bytes, str]],
) -> dict[str, Any]:
    """The manifest of one build: the PDF, its cover (bytes, width, height), every file written, in order."""
    cover_png, width, height = cover
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "name": STEM,
        "title": about.title,
        "edition": about.edition,
        "file": PDF_NAME,
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "bytes": len(pdf),
        "pages": pages,
        "page_size": about.page_size,
        "sample_data": about.sample_data,
        "pdf_variant": about.pdf_variant,
        "edition_file": edition_name(about.edition),
        "cover": {**file_entry(COVER_NAME, cover_png, "cover"), "width": width, "height": height},
        "content_addressed": dict(addressed),
        "inputs_sha256": inputs_sha256,
        "generator": {"name": GENERATOR, "version": __version__},
        "built_at": built_at(),
        "files": [file_entry(name, data, role) for name, data, role in files],
    }
    results = next((file_entry(name, data, role) for name, data, role in files if role == "results"), None)
    if results is not None:
        manifest["results"] = results
    return manifest


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest as written: sorted keys, two-space indent, a final newline."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read(folder: Path) -> dict[str, Any]:
    """Load and structurally check manifest.json; raise PublishError naming every problem."""
    path = folder / MANIFEST_NAME
    shown = display_path(path)
    if not path.is_file():
        raise PublishError([Problem(shown, None, "", "not found; run `lead-magnet build` first")])
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise PublishError(
            [Problem(shown, line, "", f"expected JSON written by lead-magnet, found unreadable content ({exc})")]
        ) from None
    problems = check(raw, shown)
    if problems or not isinstance(raw, dict):  # check() reports anything but an object
        raise PublishError(problems)
    return raw


def check(raw: object, shown: str) -> list[Problem]:
    """The same rules as manifest.schema.json, in plain words, without needing jsonschema at run time."""
    if not isinstance(raw, dict):
        return [Problem(shown, None, "", f"expected a JSON object, found {type(raw).__name__}")]
    problems: list[Problem] = []

    def need(where: str, value: object, kind: type | tuple[type, ...], what: str, ok: bool = True) -> bool:
        if (isinstance(value, bool) and kind is int) or not isinstance(value, kind) or not ok:
            problems.append(Problem(shown, None, where, f"expected {what}, found {json.dumps(value)[:80]}"))
            return False
        return True

    if raw.get("schema_version") != SCHEMA_VERSION:
        problems.append(
            Problem(
                shown,
                None,
                "schema_version",
                f"expected {SCHEMA_VERSION}, found "
                f"{json.dumps(raw.get('schema_version'))}; rebuild with this lead-magnet",
            )
        )
        return problems
    for key in ("name", "title", "edition", "page_size", "built_at"):
        need(key, raw.get(key), str, "text")
    need("file", raw.get("file"), str, f"'{PDF_NAME}'", raw.get("file") == PDF_NAME)
    for key in ("sha256", "inputs_sha256"):
        value = raw.get(key)
        need(key, value, str, "64 lowercase hex digits", isinstance(value, str) and bool(SHA256.match(value)))
    for key in ("bytes", "pages"):
        value = raw.get(key)
        need(key, value, int, "a positive whole number", isinstance(value, int) and value > 0)
    need("sample_data", raw.get("sample_data"), bool, "true or false")
    generator = raw.get("generator")
    need(
        "generator",
        generator,
        dict,
        "an object with name and version",
        isinstance(generator, dict)
        and isinstance(generator.get("name"), str)
        and isinstance(generator.get("version"), str),
    )
    cover = raw.get("cover")
    need(
        "cover",
        cover,
        dict,
        f"an object describing {COVER_NAME} with its width and height in pixels",
        isinstance(cover, dict)
        and cover.get("file") == COVER_NAME
        and all(
            isinstance(cover.get(k), int) and not isinstance(cover.get(k), bool) and cover[k] > 0
            for k in ("width", "height")
        ),
    )
    files = raw.get("files")
    listed_ok = need("files", files, list, "a list of files", isinstance(files, list) and len(files) > 0)
    if listed_ok and isinstance(files, list):
        for i, entry in enumerate(files):
            where = f"files[{i}]"
            if not need(where, entry, dict, "an object with file, role, sha256 and bytes"):
                continue
            name, sha, size = entry.get("file"), entry.get("sha256"), entry.get("bytes")
            need(
                f"{where}.file",
                name,
                str,
                "a file name inside the output folder",
                isinstance(name, str) and bool(SAFE_NAME.match(name)) and ".." not in name,
            )
            need(
                f"{where}.sha256", sha, str, "64 lowercase hex digits", isinstance(sha, str) and bool(SHA256.match(sha))
            )
            need(f"{where}.bytes", size, int, "a whole number", isinstance(size, int) and size >= 0)
        names = [e.get("file") for e in files if isinstance(e, dict)]
        for required in (PDF_NAME, COVER_NAME):
            if required not in names:
                problems.append(Problem(shown, None, "files", f"expected an entry for {required}"))
        if len(set(map(str, names))) != len(names):
            problems.append(Problem(shown, None, "files", "expected each file once"))
        pdf_entry = next((e for e in files if isinstance(e, dict) and e.get("file") == PDF_NAME), None)
        if pdf_entry and (pdf_entry.get("sha256"), pdf_entry.get("bytes")) != (raw.get("sha256"), raw.get("bytes")):
            problems.append(Problem(shown, None, "files", f"the entry for {PDF_NAME} disagrees with sha256/bytes"))
        problems += _check_addressed(raw, files, shown)
        results = raw.get("results")
        listed = next((e for e in files if isinstance(e, dict) and e.get("file") == RESULTS_NAME), None)
        if not isinstance(results, dict) or results.get("file") != RESULTS_NAME or listed is None:
            problems.append(Problem(shown, None, "results", f"expected {RESULTS_NAME}, listed in files"))
        elif results.get("sha256") != listed.get("sha256"):
            problems.append(Problem(shown, None, "results", f"the entry for {RESULTS_NAME} disagrees with files"))
    return problems


def _check_addressed(raw: Mapping[str, Any], files: list[Any], shown: str) -> list[Problem]:
    """content_addressed names the copies of this build's PDF and cover, each listed in files with its sha256."""
    addressed = raw.get("content_addressed")
    cover = raw.get("cover")
    cover_sha = cover.get("sha256") if isinstance(cover, dict) else None
    expected = {
        "pdf": immutable.pdf_name(STEM, str(raw.get("sha256"))),
        "cover": immutable.cover_name(STEM, str(cover_sha)),
    }
    if addressed != expected:
        found = json.dumps(addressed)[:120]
        return [Problem(shown, None, "content_addressed", f"expected {json.dumps(expected)}, found {found}")]
    entries = {e.get("file"): e for e in files if isinstance(e, dict)}
    problems = []
    for kind, sha in (("pdf", raw.get("sha256")), ("cover", cover_sha)):
        entry = entries.get(expected[kind])
        if entry is None or entry.get("sha256") != sha:
            problems.append(Problem(shown, None, "files", f"expected an entry for {expected[kind]} with its sha256"))
    return problems


def mismatches(folder: Path, manifest: Mapping[str, Any]) -> list[Problem]:
    """Every listed file that is missing or differs in size or sha256 from what the manifest says."""
    problems = []
    for entry in manifest["files"]:
        path = folder / entry["file"]
        shown = display_path(path)
        if not path.is_file():
            problems.append(Problem(shown, None, "", f"missing; {MANIFEST_NAME} lists it"))
            continue
        size = path.stat().st_size
        if size != entry["bytes"]:
            problems.append(
                Problem(shown, None, "", f"expected {entry['bytes']} bytes as {MANIFEST_NAME} says, found {size}")
            )
            continue
        sha = file_sha256(path)
        if sha != entry["sha256"]:
            problems.append(
                Problem(shown, None, "", f"expected sha256 {entry['sha256']} as {MANIFEST_NAME} says, found {sha}")
            )
    return problems


def describe(folder: Path, manifest: Mapping[str, Any], state: str) -> str:
    """One line for the terminal: what happened to which set."""
    return (
        f"{state} {display_path(folder / PDF_NAME)} (edition {manifest['edition']}, {manifest['pages']} pages, "
        f"{int(manifest['bytes']) / 1024:.0f} KiB, sha256 {str(manifest['sha256'])[:12]}…) "
        f"with {len(manifest['files'])} files and {MANIFEST_NAME}"
    )
