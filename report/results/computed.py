"""What the build computed, before any formatting: the Results every later stage reads, and a Chart's words."""

from __future__ import annotations

from dataclasses import dataclass

from report.inputs.config import ReportConfig
from report.inputs.data_schema import Environment as BenchEnvironment
from report.inputs.rubric import CategoryResult, Rubric
from report.inputs.traces import Trace
from report.results.latency import LatencyStats
from report.results.reproduction import Reproduction
from report.results.scoring import Robustness
from report.results.stats import Stats


@dataclass(frozen=True)
class Chart:
    """A chart's file name and the words that go with it."""

    file: str
    alt: str
    caption: str
    source: str


@dataclass(frozen=True)
class Results:
    """Everything computed for the report, before formatting."""

    config: ReportConfig
    environment: BenchEnvironment
    stats: Stats
    rubric: Rubric
    categories: list[CategoryResult]
    area_scores: dict[str, dict[str, float]]
    overall: dict[str, float]
    weights: dict[str, float]
    robustness: Robustness | None = None
    latency: LatencyStats | None = None
    reproduction: Reproduction | None = None
    portability: Reproduction | None = None  # run A against a run on another machine (run C)
    traces: tuple[Trace, ...] = ()  # the captured traces (traces.json); empty in older data folders
