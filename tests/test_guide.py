"""docs/editing-the-report.md stays true: its commands exist, its messages are the real ones, its lists complete."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from report import pipeline
from report.cli import parser
from report.view.model import facts
from tests.conftest import DATA, ROOT
from tests.inputs.test_messages import CASES

GUIDE = ROOT / "docs" / "editing-the-report.md"
TEXT = GUIDE.read_text(encoding="utf-8")


def _commands() -> list[str]:
    """Every command line in the guide's code blocks and inline code."""
    lines, fenced = [], False
    for line in TEXT.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            lines.append(line.split("#", 1)[0].strip())
    inline = re.findall(r"`((?:make |\.venv/bin/)[^`]*)`", TEXT)
    return [c for c in [*lines, *inline] if c.startswith(("make ", ".venv/bin/"))]


def test_every_make_target_in_the_guide_exists() -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))
    used = {shlex.split(c)[1] for c in _commands() if c.startswith("make ")}
    assert used >= {"preview", "check", "pdf", "verify", "new-edition"}
    assert used <= targets


def test_every_lead_magnet_command_in_the_guide_parses() -> None:
    commands = [c for c in _commands() if c.startswith(".venv/bin/lead-magnet")]
    assert commands
    for command in commands:
        try:
            parser().parse_args(shlex.split(command)[1:])
        except SystemExit as exc:
            pytest.fail(f"{command!r} is not a valid command (exit {exc.code})")


def test_scripts_the_guide_names_exist() -> None:
    for command in _commands():
        if command.startswith(".venv/bin/python "):
            assert (ROOT / shlex.split(command)[1]).is_file(), command


def test_every_placeholder_is_listed() -> None:
    listed = set(re.findall(r"`\{([a-z_]+\.[a-z_]+)\}`", TEXT))
    available = set(facts(pipeline.check(DATA)))
    assert available - listed == set(), "placeholders missing from the guide"
    table = set(re.findall(r"^\| `\{([a-z_]+\.[a-z_]+)\}`", TEXT, re.MULTILINE))
    assert table <= available, "the table lists placeholders that do not exist"


def test_quoted_messages_are_the_ones_check_prints() -> None:
    section = TEXT.split("## When something is wrong", 1)[1].split("## Placeholders", 1)[0]
    quoted = re.findall(r"^\| `([^`]+)`", section, re.MULTILINE)
    printed = "".join(expected for _case, _breaker, expected in CASES)
    checked = [q for q in quoted if "…" not in q and not q.startswith("KEY")]
    assert len(checked) >= 25
    for message in checked:
        assert message in printed, f"the guide quotes a message check does not print: {message}"


def test_pictures_exist_and_stay_small() -> None:
    pictures = re.findall(r'<img src="([^"]+)"', TEXT)
    assert len(pictures) >= 6
    for picture in pictures:
        assert (GUIDE.parent / picture).is_file(), picture
    total = sum((GUIDE.parent / p).stat().st_size for p in set(pictures))
    assert total < 1_500_000


def test_default_port_matches_the_guide() -> None:
    from report.inputs.options import DEFAULT_PORT

    assert f"http://127.0.0.1:{DEFAULT_PORT}/" in TEXT
    assert Path(ROOT / "Makefile").read_text(encoding="utf-8").count(f"PORT = {DEFAULT_PORT}") == 1
