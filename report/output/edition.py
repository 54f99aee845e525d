"""`lead-magnet new-edition`: start the next edition by editing two lines of report.yaml, nothing else.

The file is edited as text, not re-dumped from YAML, so marketing's comments, quoting and key order survive.
The result is validated before it replaces the file. The previous edition's PDF is kept under its own name.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from report.errors import InputError, Problem, display_path
from report.inputs.config import ReportConfig, load_config
from report.inputs.validation import read_text
from report.output.atomic import atomic_write
from report.output.lock import locked
from report.output.manifest import PDF_NAME, edition_name

EDITION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")
# A top-level `key: value  # comment` line; the value may be quoted.
_LINE = r"^{key}:[ \t]*(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^#\s][^#\n]*?)(?P<rest>[ \t]*(?:#[^\n]*)?)$"


@dataclass(frozen=True)
class NewEdition:
    """What `new-edition` changed, for the summary it prints."""

    previous: str
    edition: str
    published: dt.date
    config_file: str
    kept: str | None
    note: str | None

    def summary(self) -> str:
        """What happened and what to do next, in plain words."""
        lines = [
            f"Started edition {self.edition} (was {self.previous}): {self.config_file} now says "
            f'edition: "{self.edition}" and published: {self.published.isoformat()}.'
        ]
        if self.kept:
            lines.append(f"The {self.previous} PDF is kept as {self.kept}.")
        if self.note:
            lines.append(self.note)
        lines += [
            "",
            "Next:",
            "  1. Put the new benchmark results in data/benchmarks/ and update the text in data/copy/",
            "     and the scores in data/rubric.yaml (docs/editing-the-report.md shows where everything is).",
            "  2. See the report change as you edit:  make preview   (then open http://127.0.0.1:8000/)",
            "  3. Check every file is valid:           make check",
            "  4. Build the PDF:                        make pdf",
            "  5. If you ship on another day than the one set above, change published: in "
            f"{self.config_file} to that day.",
        ]
        return "\n".join(lines)


def new_edition(data_dir: Path, out_dir: Path, edition: str, published: dt.date | None = None) -> NewEdition:
    """Bump `edition` and `published` in report.yaml and keep the previous edition's PDF."""
    published = published or dt.date.today()
    path = data_dir / "report.yaml"
    shown = display_path(path)
    if not EDITION_PATTERN.match(edition):
        raise InputError(
            [
                Problem(
                    "new-edition",
                    None,
                    "EDITION",
                    "expected letters, digits, '.', '-' or '_' "
                    f"(like 2027.01), at most 32 characters, found '{edition}'",
                )
            ]
        )
    config, problems = load_config(data_dir, display_path(data_dir))
    if config is None:
        raise InputError(problems)  # fix the current edition first; the messages say how
    if edition == config.edition:
        raise InputError(
            [
                Problem(
                    shown,
                    _line_of(read_text(path), "edition"),
                    "edition",
                    f"this is already edition {edition}; give the new edition a different name",
                )
            ]
        )
    published_copy = out_dir / edition_name(edition)
    if published_copy.exists():
        raise InputError(
            [
                Problem(
                    "new-edition",
                    None,
                    "EDITION",
                    f"edition {edition} was already published "
                    f"({display_path(published_copy)} exists); choose a new edition name",
                )
            ]
        )
    text = read_text(path)
    updated = _set_line(text, shown, "edition", f'"{edition}"')
    updated = _set_line(updated, shown, "published", published.isoformat())
    _validate(updated, shown, edition, published)
    kept, note = _keep_previous_pdf(out_dir, config.edition)
    atomic_write(path, _as_saved(updated, path.read_bytes()))
    return NewEdition(config.edition, edition, published, shown, kept, note)


_EXAMPLES = {"edition": "'edition: \"2026.11\"'", "published": "'published: 2026-11-21'"}


def _as_saved(text: str, original: bytes) -> bytes:
    """The edited text with the original file's line endings and byte-order mark, so only two lines differ."""
    bom = codecs.BOM_UTF8 if original.startswith(codecs.BOM_UTF8) else b""
    newline = "\r\n" if b"\r\n" in original else "\n"
    return bom + text.replace("\n", newline).encode("utf-8")


def _set_line(text: str, shown: str, key: str, value: str) -> str:
    pattern = re.compile(_LINE.format(key=key), re.MULTILINE)
    matches = list(pattern.finditer(text))
    if len(matches) != 1:
        raise InputError(
            [
                Problem(
                    shown,
                    None,
                    key,
                    f"expected one line like {_EXAMPLES[key]} at the left margin, found {len(matches)}; "
                    f"put the {key} on one such line and run new-edition again",
                )
            ]
        )
    match = matches[0]
    return text[: match.start("value")] + value + text[match.end("value") :]


def _validate(text: str, shown: str, edition: str, published: dt.date) -> None:
    # The edit is textual, so prove the file still means what we think before replacing it.
    try:
        raw = yaml.safe_load(io.StringIO(text))
        config = ReportConfig.model_validate(raw)
    except Exception as exc:
        raise InputError(
            [Problem(shown, None, "", f"the edited file would not be valid ({exc}); it was left as it was")]
        ) from exc
    if config.edition != edition or config.published != published:
        raise InputError(
            [
                Problem(
                    shown,
                    None,
                    "",
                    "the edited file would not say the new edition and date; "
                    "it was left as it was; edit edition and published by hand",
                )
            ]
        )


def _keep_previous_pdf(out_dir: Path, previous: str) -> tuple[str | None, str | None]:
    latest = out_dir / PDF_NAME
    kept = out_dir / edition_name(previous)
    if kept.exists():
        return display_path(kept), None
    if not latest.exists():
        return None, f"No PDF of edition {previous} was found in {display_path(out_dir)}/, so none was kept."
    found = _pdf_edition(latest)
    if found is not None and found != previous:
        return None, (
            f"{display_path(latest)} is edition {found}, not {previous}, so it was not kept as the {previous} PDF."
        )
    # under the build lock and with publish's writer: a concurrent build never sees a half-copied file, and a
    # killed copy leaves a temporary name the next build recognises and removes
    with locked(out_dir):
        atomic_write(kept, latest.read_bytes())
    return display_path(kept), None


def _pdf_edition(pdf: Path) -> str | None:
    """The edition a built PDF says it is (its subject ends '(edition X)'), or None if it does not say."""
    from pypdf import PdfReader

    try:
        metadata = PdfReader(pdf).metadata
        subject = metadata.get("/Subject") if metadata is not None else None
    except Exception:
        return None
    match = re.search(r"\(edition ([^)]+)\)\s*$", str(subject or ""))
    return match.group(1) if match else None


def _line_of(text: str, key: str) -> int | None:
    match = re.search(_LINE.format(key=key), text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None
