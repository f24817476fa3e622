"""``tauro run``: one pipeline in the foreground, its state on disk, graceful signal handling."""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from loguru import logger
from rich.console import Console
from rich.live import Live
from rich.text import Text

from tauro.errors import StreamingError, StreamingValidationError
from tauro.executor_code import remember_user_import
from tauro.logging_setup import configure_cli_logging, configure_run_logging
from tauro.redaction import redact_text
from tauro.run_display import FINISHED_STATES, ProgressLines, render_status
from tauro.runs import FINAL, RunDirectory
from tauro.spark_output import SPARK_LOG_NAME, SparkOutputCapture
from tauro.streaming.health import shutdown_event_hubs
from tauro.streaming.pipeline_manager import StreamingPipelineManager


def import_user_code(modules: Iterable[str]) -> None:
    """Import modules or .py files named on the command line (they register transformations).

    This is the user's explicit choice on the command line, unlike ``module``/``function`` in a
    configuration file, which stays behind ``STREAMING_UNSAFE_IMPORT``.
    """
    for item in modules:
        try:
            if item.endswith(".py"):
                path = Path(item).resolve()
                spec = importlib.util.spec_from_file_location(f"tauro_user_{path.stem}", path)
                if spec is None or spec.loader is None:
                    raise ImportError(f"cannot load {path}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module
                spec.loader.exec_module(module)
                remember_user_import(spec.name, path)
            else:
                importlib.import_module(item)
                remember_user_import(item)
        except Exception as exc:
            raise StreamingValidationError(
                f"--import {item} failed: {type(exc).__name__}: {exc}", field="--import", component="cli"
            ) from exc


def render_status_table(status: Mapping[str, Any], width: int | None = None) -> Text:
    """The status table (plain text that fits ``width``, the console's width by default)."""
    return Text(render_status(status, width or 80))


class ForegroundRun:
    """Runs one pipeline, mirrors its status to the run directory, stops on signal or request."""

    def __init__(
        self,
        context: Any,
        config_file: str,
        pipeline_name: str | None,
        raw: Any,
        variables: Mapping[str, Any],
        execution_id: str | None,
    ) -> None:
        self.context = context
        self.config_file = config_file
        self.pipeline_name = (
            pipeline_name or (raw.get("name") if isinstance(raw, Mapping) else None) or Path(config_file).stem
        )
        self.raw = raw
        self.variables = variables
        self._signal = threading.Event()
        self._signal_name: str | None = None
        self.run_dir: RunDirectory | None = None
        self.manager = StreamingPipelineManager(
            context, max_concurrent_pipelines=1, on_status=self._write_status
        )
        self.requested_id = execution_id
        self.log_file = Path(context.runs_dir) / SPARK_LOG_NAME

    def _write_status(self, status: dict[str, Any]) -> None:
        if self.run_dir is not None:
            self.run_dir.write_status(status)

    def _handle_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signal_name = signal.Signals(signum).name
        self._signal.set()

    def run(
        self, *, stop_timeout: float, live: bool, console: Console, verbosity: int = 0, capture: bool = True
    ) -> int:
        """Run to the end; return the exit code (0 ok, 1 a node failed or the pipeline is invalid).

        With ``capture`` (the CLI's default) Spark's own output and Tauro's log go to
        ``<run directory>/run.log`` instead of the terminal; ``verbosity > 0`` shows them too.
        """
        previous = {sig: signal.signal(sig, self._handle_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        execution_id = (
            self.requested_id
            or f"{self.pipeline_name}-{time.strftime('%Y%m%d-%H%M%S')}-{threading.get_native_id()}"
        )
        run_dir = RunDirectory(self.context.runs_dir, execution_id)
        self.log_file = run_dir.path / SPARK_LOG_NAME
        output = SparkOutputCapture(self.log_file, live=verbosity > 0) if capture else None
        started = False
        status: dict[str, Any]
        try:
            if output is not None:
                # Before the JVM starts: it inherits descriptors 1 and 2 at launch.
                output.open()
                configure_run_logging(str(self.log_file), verbosity)
            execution_id = self.manager.start_pipeline(
                self.pipeline_name, self.raw, variables=self.variables, execution_id=execution_id
            )
            started = True
            self.run_dir = run_dir
            self.run_dir.create(self.pipeline_name, str(Path(self.config_file).resolve()))
            self._write_status(self.manager.get_pipeline_status(execution_id))
            console.print(Text(f"Running {self.pipeline_name} as {execution_id}"))
            console.print(Text(f"Stop with Ctrl-C or: tauro stop {execution_id}"))
            status = self._watch(execution_id, stop_timeout, live, console)
        except StreamingValidationError as exc:
            self._release_output(output, keep=started)
            _print_wrapped(console, f"invalid pipeline: {redact_text(str(exc))}")
            return 1
        except StreamingError as exc:
            _print_wrapped(console, f"error: {redact_text(str(exc))}")
            status = self._final_stop(execution_id if started else None, stop_timeout)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self._close()
        self._release_output(output, keep=True)
        return self._report(status, console)

    def _release_output(self, output: SparkOutputCapture | None, *, keep: bool) -> None:
        """Give the terminal back; without a run (an invalid pipeline) leave no run directory."""
        if output is None or not output.active:
            return
        output.close()
        configure_cli_logging(0)
        if not keep and not (self.log_file.parent / "run.json").exists():
            shutil.rmtree(self.log_file.parent, ignore_errors=True)

    def _watch(self, execution_id: str, stop_timeout: float, live: bool, console: Console) -> dict[str, Any]:
        """Show the status until the pipeline ends or is stopped: a table updated in place on a
        terminal, plain progress lines for the bounded nodes otherwise."""
        assert self.run_dir is not None
        in_place = live and console.is_terminal
        display = Live(console=console, refresh_per_second=2, transient=True) if in_place else None
        first = self.manager.get_pipeline_status(execution_id)
        bounded = {n for n, s in first["query_statuses"].items() if s.get("bounded")}
        progress = ProgressLines(bounded, width=console.width) if live and not in_place else None
        if display is not None:
            display.start()
        try:
            while True:
                status = self.manager.wait(execution_id, timeout=1.0)
                self._write_status(status)
                finished = status["status"] in FINAL and all(
                    s["state"] in FINISHED_STATES for s in status["query_statuses"].values()
                )
                if display is not None:
                    display.update(render_status_table(status, console.width))
                if progress is not None:
                    for line in progress.lines(status, force=finished):
                        console.print(Text(line))
                if finished:
                    self.manager.shutdown(stop_timeout)
                    self._write_status(status)
                    return status
                request = self.run_dir.stop_requested()
                if self._signal.is_set() or request is not None:
                    reason = f"signal {self._signal_name}" if self._signal.is_set() else "tauro stop"
                    logger.warning("Stopping {} ({})", execution_id, reason)
                    timeout = float((request or {}).get("timeout", stop_timeout))
                    break_status = self._final_stop(execution_id, timeout)
                    if display is not None:
                        display.update(render_status_table(break_status, console.width))
                    return break_status
        finally:
            if display is not None:
                display.stop()

    def _final_stop(self, execution_id: str | None, timeout: float) -> dict[str, Any]:
        """Stop queries (tolerating a JVM that already died), release locks, write the status."""
        status: dict[str, Any] = {"status": "error", "query_statuses": {}}
        if execution_id is None:
            self.manager.shutdown(timeout)
            return status
        try:
            self.manager.stop_pipeline(execution_id, timeout)
        except Exception as exc:
            logger.warning("Stopping queries failed ({}); releasing locks anyway", redact_text(str(exc)))
        for managed in self.manager.query_manager.managed_queries():
            managed.lock.release()
        try:
            status = self.manager.get_pipeline_status(execution_id)
        except Exception as exc:
            status = {"status": "error", "error": redact_text(str(exc)), "query_statuses": {}}
        try:
            self.manager.shutdown(timeout)
        except Exception:
            logger.opt(exception=True).warning("Shutdown after stop failed")
        self._write_status(status)
        return status

    def _close(self) -> None:
        # The session's listener calls back into Python: remove it before the interpreter exits.
        try:
            shutdown_event_hubs()
        except Exception:
            logger.opt(exception=True).debug("Closing the query listener failed")

    def _report(self, status: dict[str, Any], console: Console) -> int:
        console.print(render_status_table(status, console.width))
        failed = status.get("status") == "error" or any(
            s.get("state") == "failed" for s in (status.get("query_statuses") or {}).values()
        )
        if failed:
            reason = " ".join(str(status.get("error") or "see above").split())
            for line in textwrap.wrap(f"failed: {reason}", console.width, subsequent_indent="  "):
                console.print(Text(line, style="red" if line.startswith("failed") else ""))
            if self.log_file.exists() and self.log_file.stat().st_size:
                console.print(Text("Spark's output and Tauro's log:"))
                console.print(Text(f"  {_shown_path(self.log_file)}"))
            return 1
        return 0


def _print_wrapped(console: Console, text: str) -> None:
    """Each line of ``text`` wrapped to the console's width (continuations indented)."""
    for paragraph in text.splitlines():
        indent = paragraph[: len(paragraph) - len(paragraph.lstrip())]
        for line in textwrap.wrap(
            paragraph, console.width, subsequent_indent=indent + "  ", break_on_hyphens=False
        ) or [""]:
            console.print(Text(line))


def _shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies under it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
