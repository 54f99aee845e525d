"""The PDF worker: a process forked at the very beginning of a build that lays out the PDF with WeasyPrint.

It imports WeasyPrint on the second core while the main process imports pandas, validates the inputs and
renders the HTML (report.view.model, report.view.html), then lays out the PDF it is sent (report.output.pdf). This
module imports nothing heavy itself.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from report.errors import BuildError
from report.output.atomic import checkpoint
from report.view.offload import read_answer, reply

_LENGTH = struct.Struct("!Q")
_PR_SET_PDEATHSIG = 1  # prctl(2)


class PdfWorker:
    """Handle on the forked PDF worker: send one job, receive the PDF bytes; or cancel."""

    def __init__(self) -> None:
        job_read, self._job_write = os.pipe()
        self._result_read, result_write = os.pipe()
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:
            _die_with(parent)
            os.close(self._job_write)
            os.close(self._result_read)
            _serve(job_read, result_write)  # never returns
        os.close(job_read)
        os.close(result_write)
        self._done = False

    def render(
        self, html: str, base_url: str, roots: list[Path], memory: Mapping[str, bytes], options: Mapping[str, Any]
    ) -> bytes:
        """Lay out and write the PDF in the worker; raises BuildError on failure."""
        job = pickle.dumps((html, base_url, roots, dict(memory), dict(options)), protocol=5)
        try:
            with os.fdopen(self._job_write, "wb") as pipe:
                pipe.write(_LENGTH.pack(len(job)) + job)
            checkpoint("rendering")  # tests kill the build here, while the worker lays out the PDF
            answer = read_answer(self._result_read)
        finally:
            self._reap()
        if answer is None:
            raise BuildError("the PDF renderer stopped before it finished")
        kind, value = answer
        if kind != "ok":
            raise BuildError(str(value))
        data: bytes = value
        return data

    def cancel(self) -> None:
        """Stop the worker without a job (bad input, or the output was up to date)."""
        if self._done:
            return
        for fd in (self._job_write, self._result_read):
            with contextlib.suppress(OSError):
                os.close(fd)
        # it has no side effects: do not wait for it to finish importing WeasyPrint only to exit
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        if not self._done:
            self._done = True
            os.waitpid(self.pid, 0)


def _die_with(parent: int) -> None:
    """On Linux, a killed build takes its worker with it instead of leaving it laying out a PDF nobody will read.

    Only for a worker forked on the main thread: the kernel signals when the forking thread ends, not the process.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return
    import ctypes  # here, in the child: the parent never needs it

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _serve(job_read: int, result_write: int) -> NoReturn:
    # a short-lived process that exits after one PDF: the cyclic collector only costs time here (about 6%)
    gc.disable()
    code = 0
    try:
        from report.output.pdf import SafeFetcher, write_pdf  # the slow import, overlapped with the parent's work

        with os.fdopen(job_read, "rb") as pipe:
            header = pipe.read(_LENGTH.size)
            if len(header) < _LENGTH.size:
                os._exit(0)  # cancelled: the parent closed the pipe without a job
            job = pipe.read(_LENGTH.unpack(header)[0])
        html, base_url, roots, memory, options = pickle.loads(job)
        try:
            answer: tuple[str, object] = ("ok", write_pdf(html, base_url, SafeFetcher(roots, memory), options))
        except BuildError as exc:
            answer = ("error", str(exc))
    except BaseException as exc:  # the parent reports it; the child must never return into the parent's code
        answer = ("error", f"the PDF renderer failed: {type(exc).__name__}: {exc}")
        code = 1
    reply(result_write, answer, code)


def start() -> PdfWorker | None:
    """A PDF worker where fork exists (POSIX); None elsewhere, and the build renders in-process."""
    if not hasattr(os, "fork") or os.environ.get("LEAD_MAGNET_RENDERER", "").lower() == "inline":
        return None
    return PdfWorker()
