"""``StreamingPipelineManager``: run pipelines as DAGs of queries, watch them, stop them.

Each pipeline runs on a worker of a pool of ``max_concurrent_pipelines`` threads; extra
pipelines wait ``queued`` and start when a slot frees (a finished or failed pipeline returns its
slot). A pipeline's runner starts nodes whose dependencies are ready, reacts to query events
from the shared listener within a second, restarts failed nodes by their restart policy, and
applies the pipeline's failure policy once a node has failed for good: the failed node's
downstream is stopped and marked ``blocked`` (started or not); under ``on_failure: stop`` every
other query is stopped too, under ``isolate`` independent branches go on.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from loguru import logger

from tauro.errors import (
    StreamingPipelineError,
    StreamingValidationError,
    handle_streaming_error,
)
from tauro.events import NodeStatusChangedEvent, PipelineStatusChangedEvent
from tauro.plugin.context import ContextLike
from tauro.plugins import get_plugin_manager
from tauro.redaction import redact_text
from tauro.session import declare_session_needs, format_uses
from tauro.streaming.constants import DEFAULT_HEALTH_TIMEOUT_SECONDS, DEFAULT_MONITOR_INTERVAL_SECONDS
from tauro.streaming.health_monitor import HealthState, progress_to_dict
from tauro.streaming.pipeline_state import (
    FINISHED_PIPELINE,
    LIVE,
    TERMINAL,
    NodeRun,
    NodeState,
    PipelineRun,
    PipelineStatus,
)
from tauro.streaming.query_manager import ManagedQuery, StreamingQueryManager
from tauro.streaming.spark_errors import summarize_error

StatusListener = Callable[[dict[str, Any]], None]


class StreamingPipelineManager:
    """Start, watch and stop streaming pipelines (the seed's orchestrator)."""

    def __init__(
        self,
        context: ContextLike,
        max_concurrent_pipelines: int = 5,
        *,
        monitor_interval: float = DEFAULT_MONITOR_INTERVAL_SECONDS,
        health_timeout_seconds: float = DEFAULT_HEALTH_TIMEOUT_SECONDS,
        on_status: StatusListener | None = None,
    ) -> None:
        if max_concurrent_pipelines < 1:
            raise StreamingPipelineError(
                "max_concurrent_pipelines must be at least 1",
                field="max_concurrent_pipelines",
                actual=max_concurrent_pipelines,
            )
        self.context = context
        self.max_concurrent_pipelines = max_concurrent_pipelines
        self.monitor_interval = monitor_interval
        self.query_manager = StreamingQueryManager(context, health_timeout_seconds=health_timeout_seconds)
        self.on_status = on_status
        self._runs: dict[str, PipelineRun] = {}
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._pool = ThreadPoolExecutor(max_concurrent_pipelines, thread_name_prefix="tauro-pipeline")
        self._closed = False
        self._monitor = threading.Thread(target=self._monitor_loop, name="tauro-monitor", daemon=True)
        self._monitor.start()

    # -- public API ----------------------------------------------------------------------------
    @handle_streaming_error(error=StreamingPipelineError)
    def start_pipeline(
        self,
        pipeline_name: str,
        pipeline_config: Mapping[str, Any],
        *,
        variables: Mapping[str, Any] | None = None,
        execution_id: str | None = None,
    ) -> str:
        """Validate now (a bad config raises before anything starts); run when a slot is free."""
        if self._closed:
            raise StreamingPipelineError(
                "this manager was shut down; create a new one", operation="start_pipeline"
            )
        validator = self.query_manager.validator()
        report = validator.validate_streaming_pipeline_config(
            pipeline_config, variables=variables, name=pipeline_name
        )
        for warning in report.warnings:
            logger.warning("Pipeline '{}': {}", pipeline_name, warning)
        assert report.pipeline is not None
        # Before the session starts this adds the pipeline's packages to it; after, a package the
        # running session lacks is refused here, before any query of this pipeline starts.
        declare_session_needs(self.context, format_uses(report.nodes, pipeline_name))
        execution_id = execution_id or f"{pipeline_name}-{uuid.uuid4().hex[:12]}"
        run = PipelineRun(
            execution_id=execution_id,
            pipeline_name=pipeline_name,
            config=report.pipeline,
            nodes={n.name: NodeRun(node=n) for n in report.nodes},
        )
        with self._lock:
            if execution_id in self._runs:
                raise StreamingPipelineError(
                    f"execution id '{execution_id}' is already in use", field="execution_id"
                )
            self._runs[execution_id] = run
        self._publish(run, None)
        self._pool.submit(self._run_pipeline, run)
        logger.info("Pipeline '{}' accepted as {}", pipeline_name, execution_id)
        return execution_id

    def status(self, execution_id: str) -> dict[str, Any]:
        return self.get_pipeline_status(execution_id)

    def get_pipeline_status(self, execution_id: str) -> dict[str, Any]:
        with self._lock:
            return self._get(execution_id).as_status()

    def get_results(self, execution_id: str) -> dict[str, Any]:
        with self._lock:
            return self._get(execution_id).results()

    def list_pipelines(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"execution_id": r.execution_id, "pipeline_name": r.pipeline_name, "status": r.status.value}
                for r in self._runs.values()
            ]

    def wait(self, execution_id: str, timeout: float | None = None) -> dict[str, Any]:
        """Block until the pipeline has finished (or the timeout passes); return its status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._wake:
            run = self._get(execution_id)
            while run.status not in FINISHED_PIPELINE or not run.finished():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._wake.wait(0.5 if remaining is None else min(remaining, 0.5))
            return run.as_status()

    def stop_pipeline(self, execution_id: str, timeout: float = 60.0) -> bool:
        """Let in-flight batches finish (up to ``timeout``), then stop every query.

        Returns False if any query is still active afterwards.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            run = self._get(execution_id)
            if run.status in FINISHED_PIPELINE and run.finished():
                return True  # nothing left to stop; keep its final status
            run.stop_requested = True
            for node in run.nodes.values():
                if node.state in (NodeState.WAITING, NodeState.RESTARTING):
                    node.state = NodeState.STOPPED
            managed = [n.managed for n in run.nodes.values() if n.managed is not None]
            self._wake.notify_all()
        results = [
            self.query_manager.stop_query(m.id, max(deadline - time.monotonic(), 0.0)) for m in managed
        ]
        with self._lock:
            for node in run.nodes.values():
                self._settle_pending(node)
                if node.state in LIVE or node.state == NodeState.WAITING:
                    node.state = NodeState.STOPPED
            self._refresh(run)
            self._wake.notify_all()
        return all(results)

    def shutdown(self, timeout: float = 60.0) -> bool:
        """Stop every pipeline and the background thread; the manager cannot be used after."""
        with self._lock:
            ids = [r.execution_id for r in self._runs.values() if r.status not in FINISHED_PIPELINE]
            self._closed = True
        ok = all(self.stop_pipeline(eid, timeout) for eid in ids)
        with self._wake:
            self._wake.notify_all()
        self._pool.shutdown(wait=True, cancel_futures=False)
        self._monitor.join(timeout=self.monitor_interval + 5)
        return ok

    # -- the runner ----------------------------------------------------------------------------
    def _get(self, execution_id: str) -> PipelineRun:
        run = self._runs.get(execution_id)
        if run is None:
            raise StreamingPipelineError(
                f"no pipeline execution '{execution_id}'; known: {', '.join(self._runs) or 'none'}",
                field="execution_id",
                actual=execution_id,
            )
        return run

    def _run_pipeline(self, run: PipelineRun) -> None:
        try:
            with self._wake:
                if run.stop_requested:
                    self._refresh(run)
                    return
                run.started_at = time.time()
                self._set_status(run, PipelineStatus.STARTING)
            while True:
                with self._wake:
                    to_stop = self._take_stops(run)
                    to_start = self._schedule(run)
                    self._refresh(run)
                    if run.finished() and not to_start:
                        break
                    if not to_start and not to_stop:
                        self._wake.wait(self._next_wakeup(run))
                        continue
                self._stop_nodes(run, to_stop)
                self._start_nodes(run, to_start)
        except Exception as exc:
            logger.opt(exception=exc).error("Pipeline runner for {} crashed", run.execution_id)
            with self._wake:
                run.error = redact_text(f"orchestration failed: {exc}")
                self._set_status(run, PipelineStatus.ERROR)
        finally:
            with self._wake:
                run.finished_at = run.finished_at or time.time()
                self._refresh(run)
                self._wake.notify_all()
            # Finished queries need no more tracking; their figures stay in the run.
            for node in run.nodes.values():
                if node.managed is not None and not node.is_active():
                    self.query_manager.forget(node.managed)

    def _schedule(self, run: PipelineRun) -> list[NodeRun]:
        """Nodes to start now; marks blocked dependents of failed nodes (lock held)."""
        now = time.monotonic()
        ready: list[NodeRun] = []
        for node in run.nodes.values():
            if run.stop_requested:
                break
            if node.state == NodeState.RESTARTING and node.restart_at is not None and now >= node.restart_at:
                ready.append(node)
            elif node.state == NodeState.WAITING:
                deps = [run.nodes[d] for d in node.depends_on]
                if any(d.state in (NodeState.FAILED, NodeState.BLOCKED, NodeState.STOPPED) for d in deps):
                    failed = [d.name for d in deps if d.state != NodeState.COMPLETED]
                    node.state = NodeState.BLOCKED
                    node.error = f"blocked: dependency {', '.join(failed)} did not run"
                elif all(self._dependency_ready(d) for d in deps):
                    ready.append(node)
        for node in ready:
            node.state = NodeState.STARTING
        return ready

    def _apply_failure_policy(self, run: PipelineRun, failed: NodeRun) -> None:
        """A node failed for good: decide what else stops (lock held; the runner stops them)."""
        downstream = run.downstream_of(failed.name)
        for node in run.nodes.values():
            if node is failed or node.state in TERMINAL or node.pending_state is not None:
                continue
            if node.name in downstream:
                state = NodeState.BLOCKED
                reason = f"blocked: dependency '{failed.name}' failed"
            elif run.on_failure == "stop":
                state = NodeState.STOPPED
                reason = f"stopped: node '{failed.name}' failed (on_failure: stop)"
            else:
                continue
            if node.state in LIVE:
                # Running or being started: its query stops first, then the state changes.
                node.pending_state, node.pending_error = state, reason
            else:
                node.state, node.error, node.restart_at = state, reason, None
            logger.warning("Node '{}' of {}: {}", node.name, run.execution_id, reason)
        self._wake.notify_all()

    @staticmethod
    def _take_stops(run: PipelineRun) -> list[NodeRun]:
        """Nodes the failure policy stops whose query has not been asked to stop yet (lock held)."""
        found = [
            n
            for n in run.nodes.values()
            if n.pending_state is not None and n.managed is not None and not n.stop_issued
        ]
        for node in found:
            node.stop_issued = True
        return found

    def _stop_nodes(self, run: PipelineRun, nodes: list[NodeRun]) -> None:
        for node in nodes:
            assert node.managed is not None
            self.query_manager.stop_query(node.managed.id, timeout=30)
            with self._wake:
                self._settle_pending(node)
                self._refresh(run)
                self._wake.notify_all()

    @staticmethod
    def _settle_pending(node: NodeRun) -> None:
        """Apply the failure policy's state to a node whose query has stopped (lock held)."""
        if node.pending_state is not None and not node.is_active():
            node.state, node.error = node.pending_state, node.pending_error
            node.pending_state = node.pending_error = None

    @staticmethod
    def _dependency_ready(dep: NodeRun) -> bool:
        if dep.bounded:
            return dep.state == NodeState.COMPLETED
        return dep.state in LIVE and dep.state != NodeState.STARTING and dep.committed_batches() > 0

    def _next_wakeup(self, run: PipelineRun) -> float:
        waits = [self.monitor_interval]
        now = time.monotonic()
        waits += [
            max(n.restart_at - now, 0.01)
            for n in run.nodes.values()
            if n.restart_at and n.state == NodeState.RESTARTING
        ]
        if any(n.state == NodeState.WAITING for n in run.nodes.values()):
            waits.append(0.5)  # dependencies become ready on progress events; poll gently too
        return min(waits)

    def _start_nodes(self, run: PipelineRun, nodes: list[NodeRun]) -> None:
        """Start independent nodes in parallel (each Spark query start is mostly waiting)."""
        threads = [
            threading.Thread(target=self._start_node, args=(run, node), name=f"tauro-start-{node.name}")
            for node in nodes
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _start_node(self, run: PipelineRun, node: NodeRun) -> None:
        with self._lock:
            node.attempts += 1
            node.retire_query()
            node.restart_at = None
        try:
            managed = self.query_manager.start_managed(
                node.node,
                run.execution_id,
                run.pipeline_name,
                on_terminated=lambda m, exc: self._on_terminated(run, node, m, exc),
            )
        except StreamingValidationError as exc:
            self._node_failed(run, node, exc.message, retry=False)
            return
        except Exception as exc:
            self._node_failed(run, node, redact_text(str(exc)), retry=True)
            return
        with self._wake:
            node.managed = managed
            stop_now = run.stop_requested or node.pending_state is not None
            if stop_now:
                node.stop_issued = True
            if node.state == NodeState.STARTING and not stop_now:
                node.state = NodeState.RUNNING
            node.error = None
        if stop_now:
            # A stop arrived while this query was starting: it must not outlive the pipeline.
            self.query_manager.stop_query(managed.id, timeout=30)
        with self._wake:
            if stop_now:
                node.state = NodeState.STOPPED
                self._settle_pending(node)
            self._refresh(run)
            self._wake.notify_all()

    def _node_failed(self, run: PipelineRun, node: NodeRun, message: str, *, retry: bool) -> None:
        with self._wake:
            if node.pending_state is not None:
                # The failure policy had already decided to stop this node: that stands.
                node.state, node.error = node.pending_state, node.pending_error
                node.pending_state = node.pending_error = None
                self._refresh(run)
                self._wake.notify_all()
                return
            delay = node.restart_delay() if retry and not run.stop_requested else None
            if delay is not None:
                node.state = NodeState.RESTARTING
                node.restart_at = time.monotonic() + delay
                node.error = f"attempt {node.attempts} failed: {message}; restarting in {delay:g}s"
                logger.warning("Node '{}' failed ({}); restarting in {:g}s", node.name, message, delay)
            else:
                node.state = NodeState.FAILED
                node.error = message
                logger.error("Node '{}' of {} failed: {}", node.name, run.execution_id, message)
                self._apply_failure_policy(run, node)
            self._refresh(run)
            self._wake.notify_all()

    def _on_terminated(
        self, run: PipelineRun, node: NodeRun, managed: ManagedQuery, exception: str | None
    ) -> None:
        """Called on the listener's dispatcher thread: a query ended."""
        with self._wake:
            if node.managed is not None and node.managed is not managed:
                return  # an earlier attempt's query
            if node.state not in LIVE:
                return  # already handled (listener and poll can both report one end)
            node.managed = managed
            if node.pending_state is not None:
                self._settle_pending(node)
                self._refresh(run)
                self._wake.notify_all()
                return
            if exception:
                node.exception = exception
            else:
                node.state = (
                    NodeState.COMPLETED
                    if node.bounded and not managed.stopped_by_tauro
                    else NodeState.STOPPED
                )
                self._refresh(run)
                self._wake.notify_all()
                return
        failure = managed.expectation_failure
        if failure is not None:
            # Broken expectations fail the same batch again: no restart (a fixed input or
            # expectation and a new run resume at that batch).
            self._node_failed(run, node, failure.message.splitlines()[0], retry=False)
            return
        # One line in `error` ([ERROR_CLASS] message); Spark's full text stays in `exception`.
        self._node_failed(run, node, summarize_error(exception), retry=True)

    # -- status --------------------------------------------------------------------------------
    def _refresh(self, run: PipelineRun) -> None:
        """Recompute the pipeline status from its nodes and publish changes (lock held)."""
        for node in run.nodes.values():
            if node.managed is not None and node.state in LIVE:
                state = str(node.health().get("state", ""))
                node.state = {"IDLE": NodeState.IDLE, "STALLED": NodeState.STALLED}.get(
                    state, NodeState.RUNNING
                )
        status = run.derive_status()
        if status == PipelineStatus.ERROR or run.failed_nodes():
            run.error = run.error or run.first_error()
        if run.finished() and run.finished_at is None:
            run.finished_at = time.time()
        self._set_status(run, status)

    def _set_status(self, run: PipelineRun, status: PipelineStatus) -> None:
        self._publish_nodes(run)
        old = run.status
        failed = tuple(run.failed_nodes())
        if failed != run.published_failed:
            # A node failed while the pipeline goes on: observers hear of it now, not at the end.
            run.published_failed = failed
            run.status = status
            self._publish(run, old)
            return
        if status == old:
            if self.on_status is not None:
                self._emit(run)
            return
        run.status = status
        self._publish(run, old)

    @staticmethod
    def _publish_nodes(run: PipelineRun) -> None:
        """Tell observers of every node whose state changed since they last heard (lock held)."""
        manager = None
        for node in run.nodes.values():
            if node.state == node.published_state:
                continue
            old, node.published_state = node.published_state, node.state
            event = NodeStatusChangedEvent(
                execution_id=run.execution_id,
                pipeline_name=run.pipeline_name,
                node_name=node.name,
                old_state=old.value if old is not None else None,
                new_state=node.state.value,
                attempts=node.attempts,
                timestamp=time.time(),
                error=node.error,
            )
            manager = manager or get_plugin_manager()
            manager.call_observers("tauro_on_node_status_changed", event=event)

    def _publish(self, run: PipelineRun, old: PipelineStatus | None) -> None:
        self._publish_nodes(run)
        logger.info("Pipeline {} is {}", run.execution_id, run.status.value)
        if run.status == PipelineStatus.ERROR:
            failed = [
                (n.name, n.error or n.exception) for n in run.nodes.values() if n.state == NodeState.FAILED
            ]
            logger.error("Pipeline '{}' has failed queries: {}", run.execution_id, failed)
        event = PipelineStatusChangedEvent(
            execution_id=run.execution_id,
            pipeline_name=run.pipeline_name,
            old_status=old.value if old is not None else None,
            new_status=run.status.value,
            timestamp=time.time(),
            error=run.error,
            failed_nodes=tuple(run.failed_nodes()),
            blocked_nodes=tuple(sorted(n.name for n in run.nodes.values() if n.state == NodeState.BLOCKED)),
        )
        get_plugin_manager().call_observers("tauro_on_pipeline_status_changed", event=event)
        self._emit(run)

    def _emit(self, run: PipelineRun) -> None:
        if self.on_status is None:
            return
        try:
            self.on_status(run.as_status())
        except Exception:
            logger.opt(exception=True).warning("on_status callback failed")

    def _monitor_loop(self) -> None:
        """Fallback to the listener: poll health every ``monitor_interval`` seconds."""
        while True:
            with self._wake:
                if self._closed and all(r.status in FINISHED_PIPELINE for r in self._runs.values()):
                    return
                self._wake.wait(self.monitor_interval)
                runs = [
                    r for r in self._runs.values() if r.status not in FINISHED_PIPELINE or not r.finished()
                ]
            for run in runs:
                try:
                    self._poll(run)
                except Exception:
                    logger.opt(exception=True).error("Error monitoring pipeline {}", run.execution_id)

    def _poll(self, run: PipelineRun) -> None:
        lost: list[tuple[NodeRun, ManagedQuery, str | None]] = []
        with self._wake:
            for node in run.nodes.values():
                managed = node.managed
                if managed is None or node.state not in LIVE:
                    continue
                healthy, message = managed.monitor.check_health()
                if not healthy and managed.monitor.state is HealthState.STALLED:
                    logger.warning("Query '{}' {}", managed.query_name, message)
                if not node.is_active():
                    # The listener may not have delivered the last batches yet: count them now.
                    for progress in _recent_progress(managed):
                        managed.monitor.record_progress(progress)
                    exc = None
                    try:
                        error = managed.query.exception()
                        exc = redact_text(str(error)) if error is not None else None
                    except Exception:
                        exc = None
                    lost.append((node, managed, exc))
            self._refresh(run)
            self._wake.notify_all()
        for node, managed, exc in lost:
            # The listener missed this termination (or it is still in flight): handle it here.
            if node.state in LIVE:
                self._on_terminated(run, node, managed, exc)


def _recent_progress(managed: ManagedQuery) -> list[dict[str, Any]]:
    try:
        return [p for p in (progress_to_dict(r) for r in managed.query.recentProgress) if p is not None]
    except Exception:
        return []
