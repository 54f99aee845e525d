"""Loading and validating data/report.yaml: the report's identity, brand and stacks."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from report.errors import Problem
from report.inputs.validation import Color, PositiveFloat, StackId, Strict, Text
from report.inputs.yaml_model import load_model

WebAddress = Annotated[str, Field(pattern=r"^https?://[^\s<>\"']+$", max_length=300)]
LOGO_TYPES = {".svg", ".png", ".jpg", ".jpeg"}
MAX_STACKS = 12
# p99 a stack must stay under at an offered rate for that rate to count as sustained (open-loop runs)
SloEndpoint = Literal["json", "db"]
DEFAULT_SLO_MS: dict[SloEndpoint, float] = {"json": 10.0, "db": 25.0}


class Brand(Strict):
    """Brand name, colours, logo and website."""

    name: Text
    primary_color: Color
    accent_color: Color
    logo: Text
    website: WebAddress
    series: Text | None = None  # the blog series the report belongs to: cover, footer and PDF metadata


class Cta(Strict):
    """The call to action on the closing page."""

    text: Text
    url: WebAddress


class Stack(Strict):
    """One stack compared in the report, in display order."""

    id: StackId
    name: Annotated[str, Field(min_length=1, max_length=60)]
    framework: Text
    color: Color


class ReportConfig(Strict):
    """The whole of report.yaml."""

    title: Text
    subtitle: Text
    edition: Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")]
    published: dt.date
    author: Text
    lang: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
    brand: Brand
    cta: Cta
    stacks: Annotated[list[Stack], Field(min_length=2, max_length=MAX_STACKS)]
    latency_slo_ms: dict[SloEndpoint, PositiveFloat] = Field(default_factory=lambda: dict(DEFAULT_SLO_MS))

    @field_validator("latency_slo_ms", mode="after")
    @classmethod
    def _slo_defaults(cls, value: dict[SloEndpoint, float]) -> dict[SloEndpoint, float]:
        return {**DEFAULT_SLO_MS, **value}

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_is_text(cls, value: Any) -> Any:
        if isinstance(value, float | int):
            # YAML reads 2026.10 as the number 2026.1, silently dropping the zero
            raise ValueError(f'expected the edition in quotes, like "2026.11", found the number {value}')
        return value

    @field_validator("published", mode="before")
    @classmethod
    def _published_is_date(cls, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected a date like 2026-11-21, found '{value}'") from None
        return value

    @model_validator(mode="after")
    def _unique_stacks(self) -> ReportConfig:
        ids = [s.id for s in self.stacks]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"each stack id must appear once; repeated: {', '.join(repeated)}")
        return self

    @property
    def stack_ids(self) -> list[str]:
        """Stack ids in display order."""
        return [s.id for s in self.stacks]


def load_config(data_dir: Path, shown_dir: str) -> tuple[ReportConfig | None, list[Problem]]:
    """Read and validate report.yaml; returns the config or the problems found."""
    shown = f"{shown_dir}/report.yaml"
    config, lines, problems = load_model(data_dir / "report.yaml", shown, ReportConfig)
    if config is None:
        return None, problems
    logo_problem = check_asset(data_dir, config.brand.logo, LOGO_TYPES)
    if logo_problem:
        problems.append(Problem(shown, lines.line_for(("brand", "logo")), "brand.logo", logo_problem))
    for key in ("title", "subtitle"):
        order_problem = stack_order_problem(getattr(config, key) or "", [s.name for s in config.stacks])
        if order_problem:
            problems.append(Problem(shown, lines.line_for((key,)), key, order_problem))
    return (None if problems else config), problems


def stack_order_problem(text: str, names: list[str]) -> str | None:
    """Why a text that names every stack names them out of the order the cover and tables use, or None."""
    # whole words only: "Go" is not in "Google"
    hits = {name: re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) for name in names}
    found = {name: hit.start() for name, hit in hits.items() if hit}
    if len(found) < len(names):
        return None  # a text that names some stacks only is not a list of them
    said = sorted(found, key=found.__getitem__)
    if said == names:
        return None
    return f"expected the stacks in the order of `stacks` ({', '.join(names)}), found {', '.join(said)}"


def check_asset(data_dir: Path, relative: str, types: set[str]) -> str | None:
    """Why an asset path is unusable (outside data/, missing, wrong type), or None if it is fine."""
    if "://" in relative or relative.startswith(("/", "\\")) or ":" in relative:
        return f"expected a path inside the data folder such as brand/logo.svg, found '{relative}'"
    root = data_dir.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        return f"expected a path inside the data folder, found '{relative}', which points outside it"
    if target.suffix.lower() not in types:
        return f"expected a file ending in {', '.join(sorted(types))}, found '{relative}'"
    if not target.is_file():
        return f"file not found: '{relative}' (looked in {data_dir})"
    return None
