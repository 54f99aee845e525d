"""A build's inputs: every file and setting that shapes the output, their one hash, and the Make depfile.

`for_build` is the one list of a build's inputs: the no-op check (`publish.quick_check`) and the build
(`pipeline.build`) both hash it. Light on purpose: the no-op build imports it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from report import __version__
from report.errors import BuildError, Problem, PublishError, display_path
from report.inputs.options import BuildOptions
from report.inputs.paths import PACKAGE_DIR
from report.output.atomic import atomic_write, file_sha256
from report.output.manifest import COVER_NAME, GENERATOR, MANIFEST_NAME, PDF_NAME, RESULTS_NAME

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
    "opentelemetry-semantic-conventions",  # the stable attribute names the trace tables list
)


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


def for_build(options: BuildOptions) -> Sources:
    """Everything a build reads: the data folder, the templates, the font files and the tool itself."""
    from report.view.fonts import FONT_FILES  # the font packages are light; only their paths are needed

    files: list[tuple[str, Path]] = []
    files += [(f"data/{name}", path) for name, path in _tree(options.data_dir)]
    files += [(f"templates/{name}", path) for name, path in _tree(options.templates)]
    files += [(f"fonts/{path.name}", path) for path in sorted(set(FONT_FILES.values()))]
    # The tool's own code: an edited chart or layout must not count as "up to date".
    files += [
        (f"tool/{name}", path)
        for name, path in _tree(PACKAGE_DIR)
        if name.endswith((".py", ".json", ".yaml")) and not name.startswith("bench/")
    ]
    settings = [
        ("generator", f"{GENERATOR} {__version__}"),
        ("page_size", options.page_size),
        ("html", str(options.html).lower()),
    ]
    settings += sorted(options.output.settings().items())  # every other option that shapes the bytes
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
    targets = " ".join(make_escape(str(out_dir / name)) for name in outputs)
    deps = [make_escape(str(p)) for p in sources.paths]
    lines = [f"{targets}: \\", *(f"  {d} \\" for d in deps[:-1]), f"  {deps[-1]}" if deps else "", ""]
    lines += [f"{d}:" for d in deps]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))
    except OSError as exc:
        raise BuildError(f"{display_path(path)}: could not write the dependency file: {exc.strerror or exc}") from exc


def make_escape(text: str) -> str:
    """A path as Make reads it literally."""
    # `%` would turn an input's empty rule into a pattern rule; spaces, `#`, `:` and `$` mean something to Make
    for char in ("%", "#", " ", ":"):
        text = text.replace(char, "\\" + char)
    return text.replace("$", "$$")
