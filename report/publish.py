"""Publishing the output folder as a contract: stable names, atomic writes, a manifest written last, a lock.

This module is imported on the fast "already up to date" path, so it must stay cheap to import: no
WeasyPrint, matplotlib, pandas or pydantic here, and PDF/PNG libraries only inside the functions that need them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import signal
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from report import __version__, immutable
from report.errors import BuildError, Problem, ReportError, display_path

GENERATOR = "lead-magnet"
STEM = "backend-language-comparison"
PDF_NAME = f"{STEM}.pdf"
COVER_NAME = f"{STEM}-cover.png"
MANIFEST_NAME = "manifest.json"
RESULTS_NAME = "backend-language-comparison.json"  # the computed results, written by report.results
SCHEMA_VERSION = 1
COVER_WIDTH = 1200
TMP_SUFFIX = ".lead-magnet-tmp"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOCK_TIMEOUT_S = 600.0
PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES = PACKAGE_DIR.parent / "templates"
SCHEMA_FILE = PACKAGE_DIR / "manifest.schema.json"
# Installed packages whose version can change the PDF or cover bytes; part of inputs_sha256.
BYTE_SHAPERS = (
    "weasyprint",
    "pydyf",
    "fonttools",
    "pillow",
    "pyphen",
    "tinycss2",
    "cssselect2",
    "tinyhtml5",
    "matplotlib",
    "pypdfium2",
    "jinja2",
    "markdown-it-py",
)
# What a manifest may name: a file in the folder, or one level down (charts/…); never absolute or "..".
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Test-only: kill this process with SIGKILL at a named step, so tests can interrupt a build exactly there.
KILL_AT_ENV = "LEAD_MAGNET_TEST_KILL_AT"


class PublishError(ReportError):
    """The output set is missing, incomplete or does not match its manifest."""

    def __init__(self, problems: list[Problem]) -> None:
        self._problems = list(problems)
        super().__init__("\n".join(str(p) for p in self._problems))

    def problems(self) -> list[Problem]:
        return list(self._problems)


# --- inputs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """Every input of a build: the files (with the name they have in the hash) and the settings."""

    files: tuple[tuple[str, Path], ...]
    settings: tuple[tuple[str, str], ...]

    @property
    def paths(self) -> list[Path]:
        """The input files, in hash order."""
        return [path for _name, path in self.files]

    def digest(self) -> str:
        """One sha256 over every input file's name and content and every setting (inputs_sha256)."""
        total = hashlib.sha256()
        for key, value in self.settings:
            total.update(f"setting\0{key}\0{value}\n".encode())
        for name, path in self.files:
            total.update(f"file\0{name}\0{file_sha256(path)}\n".encode())
        return total.hexdigest()


def sources(
    data_dir: Path,
    *,
    page_size: str,
    html: bool,
    templates: Path = TEMPLATES,
    fonts: Iterable[Path] | None = None,
    extra: Mapping[str, str] | None = None,
) -> Sources:
    """Everything a build reads: the data folder, the templates, the font files and the tool itself."""
    if fonts is None:
        from report.fonts import FONT_FILES  # the font packages are light; only their paths are needed

        fonts = FONT_FILES.values()
    files: list[tuple[str, Path]] = []
    files += [(f"data/{name}", path) for name, path in _tree(data_dir)]
    files += [(f"templates/{name}", path) for name, path in _tree(templates)]
    files += [(f"fonts/{path.name}", path) for path in sorted(set(fonts))]
    # The tool's own code: an edited chart or layout must not count as "up to date".
    files += [
        (f"tool/{name}", path)
        for name, path in _tree(PACKAGE_DIR)
        if name.endswith((".py", ".json")) and not name.startswith("bench/")
    ]
    settings = [("generator", f"{GENERATOR} {__version__}"), ("page_size", page_size), ("html", str(html).lower())]
    if extra is None:  # a default build: its options still shape the bytes
        from report.options import OutputOptions

        extra = OutputOptions().settings()
    settings += sorted(extra.items())  # every other option that shapes the bytes (variant, UTM links)
    settings += [(f"package/{name}", _version(name)) for name in BYTE_SHAPERS]
    return Sources(tuple(sorted(files)), tuple(settings))


def _tree(root: Path) -> list[tuple[str, Path]]:
    """Every regular file under root (following no directory symlinks), as (relative posix name, path)."""
    found: list[tuple[str, Path]] = []
    if not root.is_dir():
        return found
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in names:
            path = Path(folder) / name
            if path.is_file():
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_depfile(path: Path, sources: Sources, out_dir: Path) -> Path:
    """A Make dependency file: the build's outputs depend on every input; each input also gets an empty rule."""
    bad = [p for p in sources.paths if "\n" in str(p) or "\r" in str(p)]
    if bad:
        raise PublishError(
            [
                Problem(
                    display_path(p),
                    None,
                    "",
                    "cannot be listed in a Make dependency file: its name contains a line break; rename it",
                )
                for p in bad
            ]
        )
    outputs = (PDF_NAME, MANIFEST_NAME, COVER_NAME, RESULTS_NAME)
    targets = " ".join(_make_escape(str(out_dir / name)) for name in outputs)
    deps = [_make_escape(str(p)) for p in sources.paths]
    lines = [f"{targets}: \\", *(f"  {d} \\" for d in deps[:-1]), f"  {deps[-1]}" if deps else "", ""]
    lines += [f"{d}:" for d in deps]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))
    except OSError as exc:
        raise BuildError(f"{display_path(path)}: could not write the dependency file: {exc.strerror or exc}") from exc


def _make_escape(text: str) -> str:
    # `%` would turn an input's empty rule into a pattern rule; spaces, `#`, `:` and `$` mean something to Make
    for char in ("%", "#", " ", ":"):
        text = text.replace(char, "\\" + char)
    return text.replace("$", "$$")


# --- the lock and atomic writes -----------------------------------------------------------------------


def lock_path(folder: Path) -> Path:
    """Where the lock for an output folder lives: outside it, so a failed build leaves the folder untouched."""
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / f"lead-magnet-{key}.lock"


@contextmanager
def locked(folder: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the folder's lock, so concurrent builds and publishes into it take turns."""
    from filelock import FileLock, Timeout

    _require_folder(folder)  # fail before a long render, not after it
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


def _require_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise BuildError(f"{display_path(folder)}: expected a folder to write the report into, found a file")


def _checkpoint(step: str) -> None:
    if os.environ.get(KILL_AT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


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


def commit(folder: Path, files: Sequence[tuple[str, bytes]], manifest: bytes, skip_identical: bool = False) -> None:
    """Write every file to a temporary name, then rename them into place, the manifest last.

    The slow part (writing and syncing the bytes) happens before the first rename, so a failure or kill
    before then leaves the previous set untouched; the renames that follow take microseconds.
    Call only while holding the folder's lock.
    """
    _require_folder(folder)
    staged: list[tuple[Path, Path]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(folder)
        for name, data in [*files, (MANIFEST_NAME, manifest)]:
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
            _checkpoint(f"staged:{name}")
        used = sorted({target.parent for _tmp, target in staged})
        for parent in used:
            _fsync_dir(parent)
        for tmp, target in staged:
            os.replace(tmp, target)
            _checkpoint(f"renamed:{target.relative_to(folder).as_posix()}")
        for parent in used:
            _fsync_dir(parent)  # make the renames themselves durable
    except OSError as exc:
        where = display_path(Path(exc.filename)) if exc.filename else display_path(folder)
        raise BuildError(f"{where}: could not write the output: {exc.strerror or exc}") from exc
    finally:
        for tmp, _target in staged:
            tmp.unlink(missing_ok=True)  # already renamed on success; removes the staged copies on failure


# --- the manifest -------------------------------------------------------------------------------------


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


def _entry(name: str, data: bytes, role: str) -> dict[str, Any]:
    return {"file": name, "role": role, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


@dataclass(frozen=True)
class Edition:
    """What the manifest says about the report itself."""

    title: str
    edition: str
    page_size: str
    sample_data: bool
    pdf_variant: str = "pdf/ua-1"  # the conformance the PDF was built to (--pdf-variant)


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
    cover, width, height = cover_png(pdf)
    edition_file = edition_name(about.edition)
    pdf_sha, cover_sha = hashlib.sha256(pdf).hexdigest(), hashlib.sha256(cover).hexdigest()
    addressed = {"pdf": immutable.pdf_name(STEM, pdf_sha), "cover": immutable.cover_name(STEM, cover_sha)}
    # Order matters: the content-addressed copies exist before anything names them; the stable PDF is renamed
    # just before the manifest, so the window in which a reader can see a PDF that the manifest does not
    # describe is as short as it can be (and a reader that follows the content-addressed names never sees one).
    files = [
        (addressed["pdf"], pdf, "pdf-content-addressed"),
        (addressed["cover"], cover, "cover-content-addressed"),
        (edition_file, pdf, "edition"),
        (COVER_NAME, cover, "cover"),
        *extra,
        (PDF_NAME, pdf, "pdf"),
    ]
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
        "edition_file": edition_file,
        "cover": {**_entry(COVER_NAME, cover, "cover"), "width": width, "height": height},
        "content_addressed": addressed,
        "inputs_sha256": inputs_sha256,
        "generator": {"name": GENERATOR, "version": __version__},
        "built_at": built_at(),
        "files": [_entry(name, data, role) for name, data, role in files],
    }
    results = next((_entry(name, data, role) for name, data, role in files if role == "results"), None)
    if results is not None:
        manifest["results"] = results
    commit(folder, [(name, data) for name, data, _role in files], manifest_bytes(manifest))
    immutable.prune(folder, STEM, addressed.values())
    return manifest


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest as written: sorted keys, two-space indent, a final newline."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(folder: Path) -> dict[str, Any]:
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
    problems = check_manifest(raw, shown)
    if problems:
        raise PublishError(problems)
    assert isinstance(raw, dict)
    return raw


def check_manifest(raw: object, shown: str) -> list[Problem]:
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
    if need("files", files, list, "a list of files", isinstance(files, list) and len(files) > 0):
        assert isinstance(files, list)
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


# --- checking and publishing --------------------------------------------------------------------------


def _mismatches(folder: Path, manifest: Mapping[str, Any]) -> list[Problem]:
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


def up_to_date(folder: Path, sources: Sources) -> dict[str, Any] | None:
    """The manifest, when it was built from exactly these inputs and every file still matches it."""
    try:
        manifest = read_manifest(folder)
    except PublishError:
        return None
    try:
        if manifest["inputs_sha256"] != sources.digest():
            return None
        if _mismatches(folder, manifest):
            return None
    except OSError:
        return None
    return manifest


def quick_check(
    data_dir: Path, folder: Path, page_size: str, html: bool, extra: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], Sources] | None:
    """The no-render path: (manifest, sources) when the output is current and has no leftovers, else None."""
    try:
        found = sources(data_dir, page_size=page_size, html=html, extra=extra)
        if stale_temps(folder):
            return None  # the full build path cleans them up under the lock
        manifest = up_to_date(folder, found)
    except OSError:
        return None  # let the full build report the problem properly
    return None if manifest is None else (manifest, found)


def verify(folder: Path) -> dict[str, Any]:
    """Check the latest set: every file's size and sha256, the PDF opens with the stated page count."""
    manifest = read_manifest(folder)
    problems = _mismatches(folder, manifest)
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
        head = cover.read_bytes()[:24] if cover.is_file() else b""
        size = (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"))
        stated = (manifest["cover"]["width"], manifest["cover"]["height"])
        if head[:8] != PNG_SIGNATURE or size != stated:
            found = f"{size[0]}×{size[1]}" if head[:8] == PNG_SIGNATURE else "no PNG"
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
        commit(dest, payload, manifest_data, skip_identical=True)
        immutable.refresh(dest, STEM, addressed)  # an identical copy left alone still belongs to the latest build
        immutable.prune(dest, STEM, addressed)
        written = [name for name, data in payload if before[name] != hashlib.sha256(data).hexdigest()]
    return manifest, written


def _sha_or_none(path: Path) -> str | None:
    return file_sha256(path) if path.is_file() else None


# --- PDF and PNG --------------------------------------------------------------------------------------


def pdf_pages(pdf: bytes, shown: str) -> int:
    """Open the PDF with PDFium and count its pages."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise PublishError(
            [Problem(shown, None, "", f"expected a PDF that opens, found one that does not ({exc})")]
        ) from None
    try:
        return len(document)
    finally:
        document.close()


def cover_png(pdf: bytes, width: int = COVER_WIDTH) -> tuple[bytes, int, int]:
    """Page 1 as a PNG exactly `width` pixels wide; the same PDF gives the same bytes."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        page_width, _page_height = page.get_size()
        # PDFium rounds the bitmap size up, so aim half a pixel low to land on exactly `width`
        bitmap = page.render(scale=(width - 0.5) / page_width, may_draw_forms=False, rev_byteorder=True)
        if bitmap.mode != "RGB" or bitmap.width != width:
            raise BuildError(f"the cover render came out {bitmap.width} px {bitmap.mode}, expected {width} px RGB")
        stride, height = bitmap.stride, bitmap.height
        raw = bytes(memoryview(bitmap.buffer))  # one copy: slicing the ctypes array row by row took 0.1 s
        rows = [raw[y * stride : y * stride + width * 3] for y in range(height)]
        page.close()
    finally:
        document.close()
    return png_rgb(rows, width), width, height


def png_rgb(rows: Sequence[bytes], width: int) -> bytes:
    """Encode 8-bit RGB rows as a PNG with no metadata.

    Deliberately not Pillow: its bundled zlib-ng may compress differently on another CPU, while the standard
    library's zlib is the same one that already compresses the PDF's streams.
    """
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)  # 8-bit truecolour, no interlace
    # filter 0 on each row; zlib's default level: level 9 took twice as long for a few KiB on a flat cover
    data = zlib.compress(b"".join(b"\x00" + row for row in rows), 6)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def describe(folder: Path, manifest: Mapping[str, Any], state: str) -> str:
    """One line for the terminal: what happened to which set."""
    return (
        f"{state} {display_path(folder / PDF_NAME)} (edition {manifest['edition']}, {manifest['pages']} pages, "
        f"{int(manifest['bytes']) / 1024:.0f} KiB, sha256 {str(manifest['sha256'])[:12]}…) "
        f"with {len(manifest['files'])} files and {MANIFEST_NAME}"
    )
