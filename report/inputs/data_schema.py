"""The shape of data/benchmarks/: one pydantic model per CSV row, environment.yaml's model, and the CSV contract
(which files exist, their row model and the columns that identify a row). Loading is report/inputs/data.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from report.inputs.validation import (
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    StackId,
    Strict,
    Text,
)

Endpoint = Literal["json", "db"]


class StartupRow(Strict):
    """startup.csv: one server start, exec to first 200."""

    stack: str
    run: PositiveInt
    startup_ms: PositiveFloat


class MemoryRow(Strict):
    """memory.csv: resident memory of one run, idle or under load."""

    stack: str
    phase: Literal["idle", "load"]
    run: PositiveInt
    rss_mb: PositiveFloat


class ThroughputRow(Strict):
    """throughput.csv: one load-generator run at one concurrency."""

    stack: str
    concurrency: PositiveInt
    run: PositiveInt
    requests_per_sec: PositiveFloat
    latency_p50_ms: PositiveFloat
    latency_p90_ms: PositiveFloat
    latency_p99_ms: PositiveFloat
    errors: NonNegativeInt
    variant: Literal["baseline", "otel"] = "baseline"
    endpoint: Endpoint = "json"
    # wrk's CPU as a share of its core(s) (issue 19): at 90 % or more the peak is wrk's ceiling, a bound
    generator_cpu_pct: NonNegativeFloat | None = None
    # how busy the load core(s) were over the run: wrk, and on traced runs the span receiver beside it
    load_core_busy_pct: NonNegativeFloat | None = None

    @field_validator("variant", mode="before")
    @classmethod
    def _blank_is_baseline(cls, value: Any) -> Any:
        return "baseline" if value in ("", None) else value

    @field_validator("endpoint", mode="before")
    @classmethod
    def _blank_is_json(cls, value: Any) -> Any:
        return "json" if value in ("", None) else value


class LatencyRow(Strict):
    """latency.csv: one open-loop run at a fixed offered rate (constant arrival rate)."""

    stack: str
    variant: Literal["baseline", "otel"]
    endpoint: Endpoint
    offered_rps: PositiveFloat
    run: PositiveInt
    achieved_rps: NonNegativeFloat
    latency_p50_ms: PositiveFloat
    latency_p90_ms: PositiveFloat
    latency_p99_ms: PositiveFloat
    latency_p999_ms: PositiveFloat
    errors: NonNegativeInt
    load_limited: Annotated[int, Field(ge=0, le=1)] = 0  # 1: the generator fell behind: no evidence either way
    # Written by the harness since issue 19; older files lack them, and the report then establishes no sustained
    # rate from the run (report/sustained.py)
    requests: NonNegativeInt | None = None  # requests oha recorded: how many lie beyond each percentile
    duration_s: PositiveFloat | None = None  # the run's planned length
    generator_cpu_pct: NonNegativeFloat | None = None  # oha's CPU as a share of one core
    runqueue_wait_pct: NonNegativeFloat | None = None  # share of the run oha's threads waited for a CPU
    # how busy the load core(s) were over the run: oha, the span receiver, PostgreSQL's share, the harness
    load_core_busy_pct: NonNegativeFloat | None = None
    # oha's CPU time (user + system) per recorded request, in µs: the harness's "µs per request" note reads it
    generator_cpu_us_per_request: NonNegativeFloat | None = None
    # the coarse ladder, a bisection step near the knee, or the common rate every stack is offered untraced
    phase: Literal["ladder", "knee", "common"] = "ladder"

    @field_validator("latency_p90_ms", "latency_p99_ms", "latency_p999_ms")
    @classmethod
    def _percentiles_never_decrease(cls, value: float, info: ValidationInfo) -> float:
        names = ("latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_p999_ms")
        below = names[names.index(str(info.field_name)) - 1]
        lower = info.data.get(below)
        if isinstance(lower, float) and value < lower:
            raise ValueError(f"expected at least {below} ({lower:g}), found {value:g}")
        return value


class EvidenceRow(Strict):
    """evidence.csv: one measured fact the rubric can cite."""

    stack: str
    measure: StackId
    value: Annotated[float, Field(allow_inf_nan=False)]
    unit: Annotated[str, Field(max_length=20)]


class Machine(Strict):
    """Where the numbers were measured."""

    cpu: Text
    cores: PositiveInt
    memory_gib: PositiveFloat | None = None  # MemTotal in GiB
    memory_gb: PositiveFloat | None = None  # the same figure under its older, misleading name (files before 12-07)
    os: Text
    kernel: Text

    @model_validator(mode="after")
    def _memory_given(self) -> Machine:
        if self.memory_gib is None and self.memory_gb is None:
            raise ValueError("memory_gib: expected the machine's memory in GiB, found nothing")
        return self

    @property
    def memory(self) -> float:
        """Total memory in GiB, under either key."""
        return float(self.memory_gib if self.memory_gib is not None else self.memory_gb or 0.0)


class OpenLoop(Strict):
    """How latency.csv was measured: the rate ladder as shares of each stack's closed-loop peak."""

    ladder_pct: Annotated[list[PositiveFloat], Field(min_length=1)]
    runs: PositiveInt
    warmup_s: NonNegativeFloat
    duration_s: PositiveFloat
    knee_runs: NonNegativeInt | None = None  # runs per rate of the bisection towards the knee (issue 19)
    knee_duration_s: PositiveFloat | None = None  # shortest knee run
    knee_step_pct: PositiveFloat | None = None  # the bisection stops when passing and failing rates are this close
    slo_ms: dict[str, PositiveFloat] | None = None  # the p99 target the bisection looked for, per endpoint
    common_runs: NonNegativeInt | None = None  # runs per stack at the common rate (since 2026-12-07 21:00)


class LoadGenerator(Strict):
    """What the load side could offer on this machine (environment.yaml's load_generator, issue 19)."""

    # per endpoint: an extrapolated ceiling that runs before 2026-12-07 wrote (no longer written: the measured
    # highest_on_schedule_rps and lowest_behind_rps replace it)
    ceiling_rps: dict[str, PositiveFloat] = Field(default_factory=dict)
    highest_on_schedule_rps: dict[str, PositiveFloat] = Field(default_factory=dict)  # every run kept schedule
    cpu_us_per_request: dict[str, PositiveFloat]  # oha's CPU per request, median over runs that kept schedule
    lowest_behind_rps: dict[str, PositiveFloat] = Field(default_factory=dict)  # lowest rate a run fell behind at
    wrk_saturated_runs: NonNegativeInt = 0  # closed-loop runs where wrk used at least 90 % of its core(s)
    # the figures of the harness's notes on the open-loop runs' load side (report/bench/phases.py's ladder_notes):
    # oha's CPU, its CPU per request and the load core's busy share in the busiest runs, saturated and limited runs
    ladder_cost: dict[str, NonNegativeFloat] = Field(default_factory=dict)


class Method(Strict):
    """How the numbers were measured."""

    runs: PositiveInt
    warmup_s: NonNegativeFloat
    duration_s: PositiveFloat
    concurrency: list[PositiveInt] | PositiveInt
    rounds: PositiveInt | None = None
    startup_runs: PositiveInt | None = None
    contended_retries: NonNegativeInt | None = None
    open_loop: OpenLoop | None = None
    predicted_min: PositiveFloat | None = None  # the plan's predicted measuring time (report/bench/plan.py)
    # where PostgreSQL ran for /db (issue 19); files without it come from the harness that always used the load core
    db_placement: Literal["load", "server", "split", "host"] = "load"  # host: a multi-host run's database host


class CalibrationReading(Strict):
    """One timing of the calibration workload, at a named point of the run."""

    at: Text
    ms: PositiveFloat


class Calibration(Strict):
    """The machine's speed through the run: a fixed workload timed between measurement blocks (optional)."""

    workload: Text
    readings: Annotated[list[CalibrationReading], Field(min_length=1)]


Role = Literal["service", "load", "database"]


class HostMachine(Strict):
    """One role's machine in a multi-host run (`lead-magnet bench --hosts`): environment.yaml's hosts.<role>."""

    address: Text  # where the other hosts reached it
    ssh: Text  # the SSH destination the harness used
    arch: Text
    cpu: Text
    cores: PositiveInt
    kernel: Text
    clocksource: Annotated[str, Field(max_length=100)]
    tools: dict[str, Annotated[str, Field(min_length=1, max_length=300)]] = Field(default_factory=dict)
    memory_gb: PositiveFloat | None = None
    os: Text | None = None
    shared_with: list[Role] = Field(default_factory=list)  # other roles on the same machine
    calibration: list[CalibrationReading] = Field(default_factory=list)  # the workload's times on this machine


class Hosts(Strict):
    """Which machine played which role (optional: only a multi-host run writes it)."""

    service: HostMachine
    load: HostMachine
    database: HostMachine


class Tracing(Strict):
    """How the traced variants export spans: the same for every stack."""

    exporter: Text
    receiver_decoder: Text | None = None
    max_queue_size: PositiveInt
    max_export_batch_size: PositiveInt
    schedule_delay_ms: NonNegativeInt
    export_timeout_ms: PositiveInt
    delivered_min_pct: NonNegativeFloat
    queue_size_used: dict[str, PositiveInt] = Field(default_factory=dict)
    queue_reruns: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(default_factory=list)


class Environment(Strict):
    """environment.yaml."""

    measured_at: dt.datetime | dt.date
    sample: bool
    machine: Machine
    load_tool: Text
    method: Method
    versions: dict[str, Annotated[str, Field(min_length=1, max_length=300)]]
    measured_by: Text | None = None
    tracing: Tracing | None = None
    pinning: Text | None = None
    notes: list[Annotated[str, Field(min_length=1, max_length=600)]] = Field(default_factory=list)
    calibration: Calibration | None = None
    drift: list[Annotated[str, Field(min_length=1, max_length=600)]] = Field(default_factory=list)
    load_generator: LoadGenerator | None = None
    hosts: Hosts | None = None  # a multi-host run's machines; `machine` is then the service host

    @field_validator("versions", mode="before")
    @classmethod
    def _versions_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (str(v) if isinstance(v, int | float) else v) for k, v in value.items()}
        return value


@dataclass(frozen=True)
class CsvSpec:
    """A CSV file of the contract: its row model and the columns that identify a row."""

    name: str
    model: type[Strict]
    key: tuple[str, ...]
    required: bool = True

    @property
    def columns(self) -> list[str]:
        """Every column the file may have."""
        return list(self.model.model_fields)

    @property
    def required_columns(self) -> list[str]:
        """Columns without a default."""
        return [n for n, f in self.model.model_fields.items() if f.is_required()]


SPECS = (
    CsvSpec("startup.csv", StartupRow, ("stack", "run")),
    CsvSpec("memory.csv", MemoryRow, ("stack", "phase", "run")),
    CsvSpec("throughput.csv", ThroughputRow, ("stack", "variant", "endpoint", "concurrency", "run")),
    CsvSpec("evidence.csv", EvidenceRow, ("stack", "measure"), required=False),
    CsvSpec("latency.csv", LatencyRow, ("stack", "variant", "endpoint", "offered_rps", "run"), required=False),
)
