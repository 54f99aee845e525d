"""The one error family the library raises; the CLI turns it into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where it is and what to change."""

    file: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        location = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{location}: {self.where}: {self.message}" if self.where else f"{location}: {self.message}"
        # one problem, one line, whatever a parser or a file name put in it
        return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


class ReportError(Exception):
    """Base of every error the report library raises on purpose."""

    def problems(self) -> list[Problem]:
        """The problems behind this error, one per message line."""
        return [Problem("lead-magnet", None, "", str(self))]


class InputError(ReportError):
    """The input files are invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self._problems = sorted(set(problems), key=_problem_order)
        super().__init__("\n".join(str(p) for p in self._problems))

    def problems(self) -> list[Problem]:
        return list(self._problems)


class BuildError(ReportError):
    """Rendering or writing failed for a reason other than bad input."""


class PublishError(ReportError):
    """The output set is missing, incomplete or does not match its manifest."""

    def __init__(self, problems: list[Problem]) -> None:
        self._problems = list(problems)
        super().__init__("\n".join(str(p) for p in self._problems))

    def problems(self) -> list[Problem]:
        return list(self._problems)


def _problem_order(p: Problem) -> tuple[str, int, str, str]:
    return (p.file, p.line or 0, p.where, p.message)


def display_path(path: Path, root: Path | None = None) -> str:
    """A short path for messages: relative to the current directory when possible."""
    for base in (Path.cwd(), root):
        if base is None:
            continue
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


class Collector:
    """Gathers problems across every file so they are all reported at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, file: str, line: int | None, where: str, message: str) -> None:
        """Record one problem."""
        self.items.append(Problem(file, line, where, message))

    def extend(self, problems: list[Problem]) -> None:
        """Record several problems."""
        self.items.extend(problems)

    def raise_if_any(self) -> None:
        """Raise an InputError when anything was recorded."""
        if self.items:
            raise InputError(self.items)
