"""The report's prose: data/copy/*.md, Markdown with raw HTML off and {placeholders} for figures."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from report.errors import Problem
from report.inputs.validation import not_utf8, read_text

COPY_DIR = "copy"
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")
# A number with a unit typed into prose goes stale when the data changes; such figures must be placeholders.
TYPED_FIGURE = re.compile(
    r"(?<![\w.{])\d+(?:[.,]\d+)*\s?(?:ms|µs|s|sec|seconds|MB|MiB|GB|GiB|KB|KiB|req/s|rps|%|×|x)(?![\w/])"
)
IMAGE_TYPES = {".svg", ".png", ".jpg", ".jpeg"}
LINK_SCHEMES = ("https://", "http://", "mailto:", "#")


@dataclass(frozen=True)
class CopyFile:
    """One section's Markdown source."""

    section: str
    shown: str
    text: str


def expected_sections(fixed: Sequence[str], categories: Sequence[str]) -> list[str]:
    """Every copy file the report needs: the fixed sections and one per rubric category."""
    return [*fixed, *categories]


def load_copy(
    data_dir: Path, shown_dir: str, sections: Sequence[str], *, complete: bool = True, optional: Sequence[str] = ()
) -> tuple[dict[str, CopyFile], list[Problem]]:
    """Read every expected copy file; unknown files are reported (they are usually typos).

    With complete=False (the rubric could not be read, so its categories are unknown) extra files are not judged.
    """
    folder = data_dir / COPY_DIR
    shown_folder = f"{shown_dir}/{COPY_DIR}"
    problems: list[Problem] = []
    files: dict[str, CopyFile] = {}
    present = sorted(p.stem for p in folder.glob("*.md")) if folder.is_dir() else []
    for stem in present if complete else ():
        if stem not in sections and stem not in optional:  # optional: used only when their data is present
            close = difflib.get_close_matches(stem, sections, n=1)
            hint = (
                f"did you mean {close[0]}.md?" if close else f"expected only: {', '.join(s + '.md' for s in sections)}"
            )
            problems.append(
                Problem(f"{shown_folder}/{stem}.md", None, "", f"this file is not used by the report; {hint}")
            )
    for section in sections:
        path = folder / f"{section}.md"
        shown = f"{shown_folder}/{section}.md"
        try:
            files[section] = CopyFile(section, shown, read_text(path))
        except FileNotFoundError:
            problems.append(Problem(shown, None, "", "file not found; every section needs its copy file"))
        except UnicodeDecodeError as exc:
            problems.append(not_utf8(shown, exc))
    return files, problems


def _parser() -> MarkdownIt:
    # commonmark with raw HTML off: copy is untrusted text, never markup
    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
        ["table", "replacements", "smartquotes"]
    )


def render_copy(
    files: Mapping[str, CopyFile],
    facts: Mapping[str, str],
    data_dir: Path,
    top_heading: int = 2,
    link: Callable[[str], str] | None = None,
) -> tuple[dict[str, Markup], list[Problem]]:
    """Render each copy file to safe HTML, filling placeholders; every problem is collected.

    The copy's headings nest under its section's h1 without skipping a level (PDF/UA-1 7.4.2): see _nest.
    """
    md = _parser()
    out: dict[str, Markup] = {}
    problems: list[Problem] = []
    html = MarkdownIt("commonmark", {"html": True})  # only to find raw HTML the real parser would print as typed
    for section, copy in files.items():
        _check_html(html.parse(copy.text), copy, problems)
        tokens = md.parse(copy.text)
        _nest(tokens, top_heading)
        _check_and_fill(tokens, copy, facts, data_dir, problems)
        if link is not None:
            for child in (c for t in tokens for c in (t.children or []) if c.type == "link_open"):
                child.attrs["href"] = link(str(child.attrs.get("href", "")))
        out[section] = Markup(md.renderer.render(tokens, md.options, {}))
    return out, problems


def _nest(tokens: list[Token], top: int) -> None:
    """Renumber headings by nesting: the first is `top`, a deeper one one level below the heading it follows.

    So `### A` then `##### B` become h2 and h3 (no skipped level), however many # the copy's author typed.
    """
    open_levels: list[int] = []  # the typed levels of the headings enclosing the current one
    level = top
    for token in tokens:
        if token.type == "heading_open":
            typed = int(token.tag[1])
            while open_levels and open_levels[-1] >= typed:
                open_levels.pop()
            open_levels.append(typed)
            level = min(6, top + len(open_levels) - 1)
            token.tag = f"h{level}"
        elif token.type == "heading_close":
            token.tag = f"h{level}"


def _check_and_fill(
    tokens: list[Token],
    copy: CopyFile,
    facts: Mapping[str, str],
    data_dir: Path,
    problems: list[Problem],
) -> None:
    block_line = 1
    for token in tokens:
        if token.map:
            block_line = token.map[0] + 1
        for child in token.children or []:
            line = block_line + _lines_before(token.content, child)
            if child.type == "text":
                _check_figures(child.content, copy, line, problems)
                child.content = _fill(child.content, copy, line, facts, problems)
            elif child.type == "image":
                _check_image(child, copy, line, data_dir, problems)
            elif child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                if not href.startswith(LINK_SCHEMES):
                    problems.append(
                        Problem(copy.shown, line, "link", f"expected a link starting with https://, found '{href}'")
                    )
        if token.type == "inline" and not token.children:
            _check_figures(token.content, copy, block_line, problems)
        # markdown-it leaves links it refuses (file:, javascript:) as plain text; say so instead
        if token.type == "inline":
            for match in re.finditer(r"\]\(((?:file|javascript|vbscript|data):[^)\s]*)", token.content):
                problems.append(
                    Problem(
                        copy.shown, block_line, "link", f"expected a link starting with https://, found '{match[1]}'"
                    )
                )


# What to write in Markdown instead of a tag; {text} is what the tag wrapped, when it wrapped plain words.
HTML_INSTEAD = {
    **dict.fromkeys(("b", "strong"), "**{text}**"),
    **dict.fromkeys(("i", "em"), "*{text}*"),
    "a": "[{text}](https://…)",
    **dict.fromkeys(("code", "kbd", "tt", "samp"), "`{text}`"),
    **dict.fromkeys(("h1", "h2", "h3", "h4", "h5", "h6"), "### {text} (a heading on its own line)"),
    "p": "a blank line between paragraphs",
    "br": "a blank line to start a new paragraph",
    **dict.fromkeys(("ul", "li"), "a line starting with - for each item"),
    "ol": "a line starting with 1. for each item",
    **dict.fromkeys(("table", "tr", "td", "th", "thead", "tbody"), "a Markdown table: | a | b | rows"),
    "blockquote": "> at the start of the line",
    "pre": "a line with ``` before and after the code",
}
HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)|<!--|<![A-Za-z]|<\?")


def _check_html(tokens: list[Token], copy: CopyFile, problems: list[Problem]) -> None:
    """Raw HTML is not applied (copy is untrusted): say what to write in Markdown instead."""
    block_line = 1
    for token in tokens:
        if token.map:
            block_line = token.map[0] + 1
        if token.type == "html_block":
            _html_problem(token.content, "", copy, block_line, problems)
        children = token.children or []
        for i, child in enumerate(children):
            if child.type != "html_inline" or child.content.startswith("</"):
                continue
            closing = next((j for j in range(i + 1, len(children)) if children[j].type == "html_inline"), None)
            inner = children[i + 1 : closing] if closing is not None else []
            text = "".join(c.content for c in inner) if all(c.type == "text" for c in inner) else ""
            _html_problem(child.content, text, copy, block_line + _lines_before(token.content, child), problems)


def _html_problem(html: str, text: str, copy: CopyFile, line: int, problems: list[Problem]) -> None:
    match = HTML_TAG.search(html)
    if match is None:
        return
    tag = f"<{match[1]}{match[2]}>" if match.lastindex else ("<!-- … -->" if match[0] == "<!--" else match[0])
    name = (match[2] or "").lower() if match.lastindex else ""
    if name == "img":
        advice = "images are written ![what it shows](images/picture.png), with the file inside the data folder"
    elif tag.startswith("<!--"):
        advice = "comments are not hidden in the PDF; delete it"
    elif name in HTML_INSTEAD:
        advice = "write " + HTML_INSTEAD[name].format(text=text.strip() or "text") + " instead"
    else:
        advice = "write plain text, with Markdown for **bold**, *emphasis* and [links](https://…)"
    problems.append(
        Problem(copy.shown, line, "html", f"raw HTML ({tag}) would print as typed, not be applied; {advice}")
    )


def _lines_before(content: str, child: Token) -> int:
    # inline children carry no line map; count the soft breaks before this child
    index = content.find(child.content) if child.content else -1
    return content.count("\n", 0, index) if index > 0 else 0


def _fill(text: str, copy: CopyFile, line: int, facts: Mapping[str, str], problems: list[Problem]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name in facts:
            return facts[name]
        close = difflib.get_close_matches(name, list(facts), n=1, cutoff=0.6)
        hint = f"did you mean {{{close[0]}}}?" if close else "see docs/editing-the-report.md for the list"
        problems.append(Problem(copy.shown, line, f"{{{name}}}", f"unknown placeholder; {hint}"))
        return match[0]

    filled = PLACEHOLDER.sub(replace, text)
    # A brace left over is a placeholder typed wrong; it would print as typed in the PDF.
    stray = re.search(r"\{\s*[\w.\-]*\s*\}|\{[\w.\-]*|\}", PLACEHOLDER.sub("", text))
    if stray:
        problems.append(
            Problem(
                copy.shown,
                line,
                "",
                f"'{stray[0].strip()}' is not a placeholder; placeholders look like "
                "{startup.best}: a name in braces, with no spaces",
            )
        )
    return filled


def _check_figures(text: str, copy: CopyFile, line: int, problems: list[Problem]) -> None:
    for match in TYPED_FIGURE.finditer(PLACEHOLDER.sub("", text)):
        problems.append(
            Problem(
                copy.shown,
                line,
                "",
                f"a figure typed by hand ('{match[0]}') goes stale when the data changes; "
                "use a placeholder such as {startup.best_value} instead",
            )
        )


def _check_image(child: Token, copy: CopyFile, line: int, data_dir: Path, problems: list[Problem]) -> None:
    src = str(child.attrs.get("src", ""))
    root = data_dir.resolve()
    target = (root / src).resolve()
    if "://" in src or ":" in src or src.startswith("/") or not target.is_relative_to(root):
        problems.append(
            Problem(copy.shown, line, "image", f"expected an image path inside the data folder, found '{src}'")
        )
    elif target.suffix.lower() not in IMAGE_TYPES:
        problems.append(Problem(copy.shown, line, "image", f"expected an .svg, .png or .jpg image, found '{src}'"))
    elif not target.is_file():
        problems.append(Problem(copy.shown, line, "image", f"image not found: '{src}'"))
    else:
        child.attrs["src"] = target.as_uri()
