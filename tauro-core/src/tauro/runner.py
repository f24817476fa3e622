"""``tauro run``: one pipeline in the foreground, its state on disk, graceful signal handling."""

from __future__ import annotations

import importlib
import importlib.util
import signal
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from loguru import logger
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from tauro.redaction import redact_text
from tauro.runs import FINAL, RunDirectory
from tauro.streaming.exceptions import StreamingError, StreamingValidationError


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
            else:
                importlib.import_module(item)
        except Exception as exc:
            raise StreamingValidationError(
                f"--import {item} failed: {type(exc).__name__}: {exc}", field="--import", component="cli"
            ) from exc


def render_status_table(status: Mapping[str, Any]) -> Group:
    header = (
        f"[bold]{status.get('pipeline_name')}[/bold] {status.get('execution_id')}  "
        f"status: [bold]{status.get('status')}[/bold]  "
        f"active {status.get('active_queries')}/{status.get('total_queries')}"
    )
    table = Table(expand=False)
    for column in ("node", "state", "active", "batches", "rows", "dead letters", "attempts", "detail"):
        table.add_column(column)
    for name, node in (status.get("query_statuses") or {}).items():
        health = node.get("health") or {}
        detail = node.get("error") or node.get("exception") or health.get("message") or ""
        table.add_row(
            name,
            str(node.get("state")),
            "yes" if node.get("isActive") else "no",
            str(node.get("batches", 0)),
            str(node.get("input_rows", 0)),
            str(node.get("dead_letters", 0)),
            str(node.get("attempts", 0)),
            str(detail)[:120],
        )
    return Group(header, table)


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
        from tauro.streaming.pipeline_manager import StreamingPipelineManager

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

    def _write_status(self, status: dict[str, Any]) -> None:
        if self.run_dir is not None:
            self.run_dir.write_status(status)

    def _handle_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signal_name = signal.Signals(signum).name
        self._signal.set()

    def run(self, *, stop_timeout: float, live: bool, console: Console) -> int:
        previous = {sig: signal.signal(sig, self._handle_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        execution_id: str | None = None
        try:
            execution_id = self.manager.start_pipeline(
                self.pipeline_name,
                self.raw,
                variables=self.variables,
                execution_id=self.requested_id
                or f"{self.pipeline_name}-{time.strftime('%Y%m%d-%H%M%S')}-{threading.get_native_id()}",
            )
            self.run_dir = RunDirectory(self.context.runs_dir, execution_id)
            self.run_dir.create(self.pipeline_name, str(Path(self.config_file).resolve()))
            self._write_status(self.manager.get_pipeline_status(execution_id))
            console.print(
                f"Running {self.pipeline_name} as {execution_id} "
                f"(stop with Ctrl-C or `tauro stop {execution_id}`)"
            )
            status = self._watch(execution_id, stop_timeout, live, console)
        except StreamingValidationError as exc:
            console.print(f"[red]invalid pipeline[/red] {redact_text(str(exc))}")
            return 1
        except StreamingError as exc:
            console.print(f"[red]error[/red] {redact_text(str(exc))}")
            status = self._final_stop(execution_id, stop_timeout)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self._report(status, console)

    def _watch(self, execution_id: str, stop_timeout: float, live: bool, console: Console) -> dict[str, Any]:
        assert self.run_dir is not None
        display = Live(console=console, refresh_per_second=2, transient=True) if live else None
        if display is not None:
            display.start()
        try:
            while True:
                status = self.manager.wait(execution_id, timeout=1.0)
                self._write_status(status)
                if display is not None:
                    display.update(render_status_table(status))
                finished = status["status"] in FINAL and all(
                    s["state"] in ("completed", "stopped", "failed", "blocked")
                    for s in status["query_statuses"].values()
                )
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
                        display.update(render_status_table(break_status))
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
        from tauro.streaming.health import shutdown_event_hubs

        try:
            shutdown_event_hubs()
        except Exception:
            logger.opt(exception=True).debug("Closing the query listener failed")

    def _report(self, status: dict[str, Any], console: Console) -> int:
        self._close()
        console.print(render_status_table(status))
        failed = status.get("status") == "error" or any(
            s.get("state") == "failed" for s in (status.get("query_statuses") or {}).values()
        )
        if failed:
            console.print(f"[red]failed[/red]: {status.get('error') or 'see the table above'}")
            return 1
        return 0
