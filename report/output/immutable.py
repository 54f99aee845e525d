"""Content-addressed copies of the PDF and the cover: names that never change meaning.

The stable names (backend-language-comparison.pdf, …-cover.png) are replaced by every build, so a client that reads
manifest.json and then fetches a stable name can, during a publish, get the next build's bytes. A name that carries
the first 12 hex digits of the file's sha256 always holds the same bytes: a client that fetches the name the
manifest gives can never get a mismatched pair. The copies of the last few builds stay, so a client that read
the previous manifest a moment ago still finds its files; older ones are pruned by `build` and `publish`.

Imported by publish and manifest (light modules: the no-op build imports them), so it must stay light too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from report.output.atomic import file_sha256

KEEP_BUILDS = 3  # the current build's copies and those of the two before it
PREFIX_HEX = 12


def pdf_name(stem: str, sha256: str) -> str:
    """e.g. backend-language-comparison-3f2a9c01b7de.pdf"""
    return f"{stem}-{sha256[:PREFIX_HEX]}.pdf"


def cover_name(stem: str, sha256: str) -> str:
    """e.g. backend-language-comparison-cover-3f2a9c01b7de.png"""
    return f"{stem}-cover-{sha256[:PREFIX_HEX]}.png"


def _pattern(stem: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(stem)}(-cover)?-([0-9a-f]{{{PREFIX_HEX}}})\.(pdf|png)$")


def copies(folder: Path, stem: str) -> dict[str, list[Path]]:
    """The content-addressed copies in a folder, by kind ("pdf", "cover"), newest first.

    A file counts only when its name matches the pattern and its bytes hash to the name, so an edition copy that
    happens to be called like one (an edition of 12 hex digits) is never taken for it, let alone deleted.
    """
    found: dict[str, list[tuple[int, str, Path]]] = {"pdf": [], "cover": []}
    if not folder.is_dir():
        return {"pdf": [], "cover": []}
    pattern = _pattern(stem)
    for path in folder.iterdir():
        match = pattern.match(path.name)
        if match is None or not path.is_file():
            continue
        kind = "cover" if match[1] else "pdf"
        if (kind == "pdf") != (match[3] == "pdf"):
            continue
        try:
            if file_sha256(path)[:PREFIX_HEX] != match[2]:
                continue
            found[kind].append((path.stat().st_mtime_ns, path.name, path))
        except FileNotFoundError:  # pruned by another process between listing and reading: not ours to count
            continue
    return {kind: [p for _t, _n, p in sorted(items, reverse=True)] for kind, items in found.items()}


def refresh(folder: Path, stem: str, names: Iterable[str]) -> None:
    """Make the latest build's copies the newest of their kind, so pruning keeps them and drops the oldest.

    publish leaves identical files alone, mtime included; a copy that an older build already wrote (publishing
    A, then B, then A again) is touched here, and only then, so republishing the same set changes nothing.
    """
    newest = {paths[0].name for paths in copies(folder, stem).values() if paths}
    for name in names:
        path = folder / name
        if name not in newest and path.is_file():
            os.utime(path)


def prune(folder: Path, stem: str, current: Iterable[str], keep: int = KEEP_BUILDS) -> list[Path]:
    """Delete all but the `keep` newest copies of each kind; the current build's are never deleted.

    Call only while holding the folder's lock.
    """
    protected = set(current)
    removed = []
    for paths in copies(folder, stem).values():
        for path in paths[keep:]:
            if path.name in protected:
                continue
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
