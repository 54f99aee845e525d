"""The benchmark harness behind `lead-magnet bench` (stdlib, pyyaml and pydantic only).

What is where, top down: `cli` (the run, start to finish) uses `options` (options -> `plan.Plan`), `measure`
(`Bench`: the measurements in order), `derived` (evidence.csv rows from the results), `environment`
(environment.yaml) with `notes` (its method notes; the wording is in notes.yaml, read by `wording`) and `output`
(the files, written atomically). `Bench` is `closedloop` (startup, wrk load matrix) plus `probes` (span probes)
over `session` (services, wrk, one measured run); `phases` adds /db and the open-loop ladders (`openloop`, `oha`,
`postgres`). Below them: `results`, `plan`, `service`, `stacks`, `processes`, `receiver`, `sampler`, `procfs`,
`wrk`, `evidence`, `calibration` (its workload in `workload`), `progress`, `errors`. `--hosts`: `hosts` (the file),
`hostcheck` and `multihost` (checks, locks, deploys), `remote` (SSH, the supervisor), `acrosshosts` (`Bench` with
each process on its role's host), `agent` and `hostagent` (the agent on every host), `remotedb` (PostgreSQL there).
"""

from __future__ import annotations

from report.bench.cli import run
from report.bench.options import add_arguments

__all__ = ["add_arguments", "run"]
