"""Spark's own output (Ivy's resolution report, log4j lines, JVM stack traces) into a log file.

Under ``tauro run`` the terminal is for Tauro's status. Spark writes its diagnostics to the
process's file descriptor 2 directly from the JVM (and its Python workers), where Python's
``sys.stderr`` cannot intercept them. So, before the JVM starts, descriptor 2 is pointed at the
log file (the JVM inherits it) while Python's ``sys.stderr`` keeps writing to the terminal
through a duplicate of the original descriptor. Standard output is left alone: it carries what
the user asked to see (the ``console`` sink's batches, ``print`` in a UDF) and Tauro's status.
With ``live=True`` (``tauro run -v``) a thread copies the log to the terminal too.

Only the CLI does this: an application embedding Tauro keeps its own output and logging.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import IO

#: Descriptors sent to the log: the JVM's System.err (log4j's console appender, Ivy, traces).
_CAPTURED = (2,)
#: The log file in the run directory: Spark's output and Tauro's log.
SPARK_LOG_NAME = "run.log"


class SparkOutputCapture:
    """Send file descriptor 2 to ``path`` until ``close()``; Python's stderr keeps the terminal."""

    def __init__(self, path: Path, *, live: bool = False) -> None:
        self.path = path
        self.live = live
        self._saved: dict[int, int] = {}
        self._python_stderr: IO[str] | None = None
        self._pump: threading.Thread | None = None
        self._pipe_write: int | None = None
        self._log: IO[bytes] | None = None
        self.active = False

    def __enter__(self) -> SparkOutputCapture:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        if self.active:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        sys.stdout.flush()
        sys.stderr.flush()
        self._log = self.path.open("ab", buffering=0)
        self._saved = {fd: os.dup(fd) for fd in _CAPTURED}
        target = self._log.fileno()
        if self.live:
            read_end, write_end = os.pipe()
            self._pipe_write = write_end
            target = write_end
            self._pump = threading.Thread(
                target=self._copy, args=(read_end,), name="tauro-spark-output", daemon=True
            )
            self._pump.start()
        for fd in _CAPTURED:
            os.dup2(target, fd)
        self._python_stderr = sys.stderr
        sys.stderr = _terminal_stream(self._saved[2], sys.stderr)
        self.active = True

    def _copy(self, read_end: int) -> None:
        assert self._log is not None
        terminal = self._saved[2]
        while True:
            try:
                chunk = os.read(read_end, 65536)
            except OSError:
                return
            if not chunk:
                os.close(read_end)
                return
            self._log.write(chunk)
            try:
                os.write(terminal, chunk)
            except OSError:
                pass

    def close(self) -> None:
        """Give descriptor 2 back to the terminal (the JVM keeps writing to the file)."""
        if not self.active:
            return
        self.active = False
        assert self._python_stderr is not None
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        sys.stderr = self._python_stderr
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)
        if self._pipe_write is not None:
            # The JVM still holds its own copy of the pipe: the copying thread goes on until it
            # exits with the process; only this process's end is closed here.
            os.close(self._pipe_write)
            self._pipe_write = None


def _terminal_stream(fd: int, like: IO[str]) -> IO[str]:
    """A text stream on a duplicate of the terminal's descriptor, with the original's encoding."""
    encoding = getattr(like, "encoding", None) or "utf-8"
    errors = getattr(like, "errors", None) or "replace"
    stream = io.TextIOWrapper(
        io.FileIO(fd, "w", closefd=False), encoding=encoding, errors=errors, line_buffering=True
    )
    return stream
