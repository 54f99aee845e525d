"""The PDF worker: a forked process that lays out the PDF it is sent, reports failures as one line, and can be
cancelled without leaving a process behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from report.errors import BuildError
from report.inputs.options import OutputOptions
from report.output import pdf_worker

HTML = "<!doctype html><html lang='en'><head><title>t</title></head><body><p>Hello from the worker</p></body></html>"


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # already reaped by the worker handle
    return False


def test_the_worker_returns_the_pdf_it_was_sent_and_exits(tmp_path: Path) -> None:
    worker = pdf_worker.start()
    assert worker is not None
    pdf = worker.render(HTML, tmp_path.as_uri() + "/", [tmp_path], {}, OutputOptions().pdf_options())
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-32:]
    assert _gone(worker.pid)
    worker.cancel()  # harmless after the job


def test_a_failing_job_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    worker = pdf_worker.start()
    assert worker is not None
    with pytest.raises(BuildError) as failed:
        worker.render(HTML, tmp_path.as_uri() + "/", [tmp_path], {}, {"pdf_variant": "pdf/x-9"})
    assert str(failed.value) == "the PDF could not be written: KeyError: 'pdf/x-9'"
    assert _gone(worker.pid)


def test_a_cancelled_worker_is_killed_and_reaped() -> None:
    worker = pdf_worker.start()
    assert worker is not None
    worker.cancel()
    assert _gone(worker.pid)
    worker.cancel()  # twice is fine


def test_inline_rendering_can_be_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAD_MAGNET_RENDERER", "inline")
    assert pdf_worker.start() is None
