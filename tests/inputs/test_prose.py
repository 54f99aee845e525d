"""Copy: Markdown without raw HTML, placeholders filled from the data, no hand-typed figures."""

from __future__ import annotations

import re
from pathlib import Path

from report.inputs.prose import CopyFile, render_copy


def _render(text: str, tmp_path: Path, facts: dict[str, str] | None = None) -> tuple[str, list[str]]:
    files = {"startup": CopyFile("startup", "data/copy/startup.md", text)}
    html, problems = render_copy(files, facts or {"startup.best": "Go", "startup.best_value": "3.7 ms"}, tmp_path)
    return str(html["startup"]), [str(p) for p in problems]


def test_placeholders_are_filled_and_escaped(tmp_path: Path) -> None:
    html, problems = _render(
        "{startup.best} starts in {startup.best_value}.",
        tmp_path,
        {"startup.best": "<Go>", "startup.best_value": "3.7 ms"},
    )
    assert problems == []
    assert html == "<p>&lt;Go&gt; starts in 3.7 ms.</p>\n"


def test_raw_html_is_text(tmp_path: Path) -> None:
    html, _ = _render("Hello <script>alert(1)</script>", tmp_path)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_headings_nest_below_the_section_title_without_skipping_a_level(tmp_path: Path) -> None:
    html, _ = _render("# Why\n\ntext", tmp_path)
    assert html.startswith("<h2>Why</h2>")
    # whatever number of # the author typed: the shallowest is h2, each deeper one a single step down
    html, _ = _render("### A\n\n##### B\n\n###### C\n\n#### D\n\n### E\n\ntext", tmp_path)
    assert [m[1] for m in re.finditer(r"<(h\d)>", html)] == ["h2", "h3", "h4", "h3", "h2"]


def test_unknown_placeholder_and_typed_figures_are_reported_with_lines(tmp_path: Path) -> None:
    _, problems = _render("Intro.\n\nGo is {startup.bset}\nand 12.5 MB, 3x faster, 40% less.", tmp_path)
    assert problems == [
        "data/copy/startup.md:3: {startup.bset}: unknown placeholder; did you mean {startup.best}?",
        "data/copy/startup.md:4: a figure typed by hand ('12.5 MB') goes stale when the data changes; use a "
        "placeholder such as {startup.best_value} instead",
        "data/copy/startup.md:4: a figure typed by hand ('3x') goes stale when the data changes; use a placeholder "
        "such as {startup.best_value} instead",
        "data/copy/startup.md:4: a figure typed by hand ('40%') goes stale when the data changes; use a placeholder "
        "such as {startup.best_value} instead",
    ]


def test_versions_and_counts_are_not_mistaken_for_figures(tmp_path: Path) -> None:
    _, problems = _render("Go 1.22 on 2 cores, Python 3.11, HTTP/2, p99 and 20 runs.", tmp_path)
    assert problems == []


def test_links_must_be_web_links(tmp_path: Path) -> None:
    _, problems = _render("[a](https://example.com) [b](javascript:alert(1)) [c](ftp://x/y)", tmp_path)
    assert sorted(problems) == [
        "data/copy/startup.md:1: link: expected a link starting with https://, found 'ftp://x/y'",
        "data/copy/startup.md:1: link: expected a link starting with https://, found 'javascript:alert(1'",
    ]
