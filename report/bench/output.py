"""Writing the data contract's five files: all into a temporary directory first, then renamed into place."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

FILES = ("environment.yaml", "startup.csv", "memory.csv", "throughput.csv", "evidence.csv", "latency.csv")


def csv_text(header: list[str], rows: list[tuple[Any, ...]]) -> str:
    """CSV with a header row and Unix line endings."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        # Enough precision for every figure here without float noise in the files.
        return f"{v:.4f}".rstrip("0").rstrip(".") if v != int(v) else f"{v:.1f}"
    return v


def write_all(out_dir: Path, texts: dict[str, str]) -> None:
    """Write every file to a sibling temporary directory, then move each into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".bench-", dir=out_dir.parent))
    try:
        for name, text in texts.items():
            (tmp / name).write_text(text)
        for name in texts:
            os.replace(tmp / name, out_dir / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def yaml_text(doc: dict[str, Any]) -> str:
    """YAML in the key order given, with a header comment."""
    head = "# Written by `lead-magnet bench` (report/bench); do not edit by hand.\n"
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)
