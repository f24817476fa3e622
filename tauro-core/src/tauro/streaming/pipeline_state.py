"""State of one pipeline execution and its nodes, and how statuses are derived."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import attrs

from tauro.config.names import BOUNDED_TRIGGERS
from tauro.durations import parse_duration

if TYPE_CHECKING:
    from tauro.config.models import PipelineConfig
    from tauro.streaming.query_manager import ManagedQuery
    from tauro.streaming.validators import ValidatedNode


class PipelineStatus(StrEnum):
    QUEUED = "queued"
    STARTING = "starting"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"
    ERROR = "error"


class NodeState(StrEnum):
    WAITING = "waiting"
    STARTING = "starting"
    RUNNING = "running"
    IDLE = "idle"
    STALLED = "stalled"
    RESTARTING = "restarting"
    FAILED = "failed"
    BLOCKED = "blocked"
    COMPLETED = "completed"
    STOPPED = "stopped"


LIVE = frozenset({NodeState.STARTING, NodeState.RUNNING, NodeState.IDLE, NodeState.STALLED})
TERMINAL = frozenset({NodeState.FAILED, NodeState.BLOCKED, NodeState.COMPLETED, NodeState.STOPPED})
FINISHED_PIPELINE = frozenset({PipelineStatus.COMPLETED, PipelineStatus.STOPPED, PipelineStatus.ERROR})


@attrs.define(kw_only=True, eq=False)
class NodeRun:
    node: ValidatedNode
    state: NodeState = NodeState.WAITING
    managed: ManagedQuery | None = None
    attempts: int = 0
    restart_at: float | None = None
    error: str | None = None
    exception: str | None = None
    # Totals across restarts: earlier attempts' figures are kept when a query is replaced.
    carried_rows: int = 0
    carried_batches: int = 0
    carried_dead_letters: int = 0
    carried_expectations: dict[str, Any] | None = None
    # Set when the failure policy has decided this node must stop (``blocked`` or ``stopped``);
    # the state is applied once its query has actually stopped, so a node never reads as
    # finished while its query still runs.
    pending_state: NodeState | None = None
    pending_error: str | None = None
    stop_issued: bool = False

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(self.node.config.depends_on)

    @property
    def bounded(self) -> bool:
        return self.node.normalized["streaming"]["trigger"].get("type") in BOUNDED_TRIGGERS

    def health(self) -> dict[str, Any]:
        return self.managed.monitor.snapshot() if self.managed is not None else {}

    def committed_batches(self) -> int:
        return self.carried_batches + int(self.health().get("batches") or 0)

    def input_rows(self) -> int:
        return self.carried_rows + int(self.health().get("input_rows") or 0)

    def dead_letters(self) -> int:
        current = self.managed.dead_letters if self.managed is not None else 0
        return self.carried_dead_letters + current

    def expectations(self) -> dict[str, Any] | None:
        """Cumulative expectation counts (kept with the checkpoint, so across restarts)."""
        if self.managed is not None and self.managed.expectations is not None:
            return self.managed.expectations.totals()
        return self.carried_expectations

    def retire_query(self) -> None:
        """Keep the totals of the current query before it is replaced by a restart."""
        if self.managed is not None:
            health = self.health()
            self.carried_rows += int(health.get("input_rows") or 0)
            self.carried_batches += int(health.get("batches") or 0)
            self.carried_dead_letters += self.managed.dead_letters
            if self.managed.expectations is not None:
                self.carried_expectations = self.managed.expectations.totals()
            self.managed = None

    def restart_delay(self) -> float | None:
        """Seconds to wait before the next attempt, or None when no attempt is left."""
        policy = self.node.normalized.get("restart")
        if not policy or self.attempts >= int(policy["max_attempts"]):
            return None
        backoff = parse_duration(policy["backoff"])
        ceiling = parse_duration(policy["max_backoff"])
        return float(min(backoff * (2 ** max(self.attempts - 1, 0)), ceiling))

    def is_active(self) -> bool:
        if self.managed is None:
            return False
        try:
            return bool(self.managed.query.isActive)
        except Exception:
            return False

    def status(self) -> dict[str, Any]:
        health = self.health()
        status: dict[str, Any] = {
            "state": self.state.value,
            "isActive": self.is_active(),
            "health": {k: v for k, v in health.items() if k not in ("last_progress", "exception")},
            "last_progress": health.get("last_progress"),
            "attempts": self.attempts,
            "batches": self.committed_batches(),
            "input_rows": self.input_rows(),
            "dead_letters": self.dead_letters(),
            "depends_on": list(self.depends_on),
            "bounded": self.bounded,
        }
        expectations = self.expectations()
        if expectations is not None:
            status["expectations"] = expectations
        if self.managed is not None:
            status["query_name"] = self.managed.query_name
            status["query_id"] = self.managed.id
            status["checkpoint"] = self.managed.checkpoint
        if self.exception:
            status["exception"] = self.exception
        if self.error:
            status["error"] = self.error
        return status


@attrs.define(kw_only=True, eq=False)
class PipelineRun:
    execution_id: str
    pipeline_name: str
    config: PipelineConfig
    nodes: dict[str, NodeRun]
    status: PipelineStatus = PipelineStatus.QUEUED
    error: str | None = None
    stop_requested: bool = False
    published_failed: tuple[str, ...] = ()
    created_at: float = attrs.field(factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def on_failure(self) -> str:
        return self.config.on_failure

    def derive_status(self) -> PipelineStatus:
        """The pipeline status from its nodes.

        A failed node makes the pipeline ``error`` only once nothing of it runs any more; until
        then it is ``running`` with ``failed_queries > 0`` (other branches under ``isolate``, or
        queries still being stopped under ``stop``).
        """
        states = [n.state for n in self.nodes.values()]
        failed = any(s == NodeState.FAILED for s in states)
        if self.finished():
            if failed:
                return PipelineStatus.ERROR
            if not self.stop_requested and states and all(s == NodeState.COMPLETED for s in states):
                return PipelineStatus.COMPLETED
            return PipelineStatus.STOPPED
        if failed:
            return PipelineStatus.RUNNING
        if self.stop_requested:
            return PipelineStatus.STOPPED
        if any(s in (NodeState.WAITING, NodeState.STARTING) for s in states):
            return PipelineStatus.STARTING
        return PipelineStatus.RUNNING

    def failed_nodes(self) -> list[str]:
        return [n.name for n in self.nodes.values() if n.state == NodeState.FAILED]

    def downstream_of(self, name: str) -> set[str]:
        """Every node that depends on ``name``, directly or through other nodes."""
        found: set[str] = set()
        frontier = [name]
        while frontier:
            current = frontier.pop()
            for node in self.nodes.values():
                if current in node.depends_on and node.name not in found:
                    found.add(node.name)
                    frontier.append(node.name)
        return found

    def finished(self) -> bool:
        return all(n.state in TERMINAL for n in self.nodes.values())

    def first_error(self) -> str | None:
        for node in self.nodes.values():
            if node.state == NodeState.FAILED:
                return f"node '{node.name}' failed: {node.error or node.exception}"
        return None

    def as_status(self) -> dict[str, Any]:
        statuses = {name: node.status() for name, node in self.nodes.items()}
        result: dict[str, Any] = {
            "execution_id": self.execution_id,
            "pipeline_name": self.pipeline_name,
            "status": self.status.value,
            "active_queries": sum(1 for s in statuses.values() if s["isActive"]),
            "total_queries": len(statuses),
            "on_failure": self.on_failure,
            "failed_queries": len(self.failed_nodes()),
            "blocked_nodes": sorted(n.name for n in self.nodes.values() if n.state == NodeState.BLOCKED),
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "query_statuses": statuses,
        }
        if self.error:
            result["error"] = self.error
        return result

    def results(self) -> dict[str, Any]:
        nodes: dict[str, Any] = {}
        errors: list[str] = []
        for name, node in self.nodes.items():
            entry: dict[str, Any] = {
                "rows": node.input_rows(),
                "batches": node.committed_batches(),
                "state": node.state.value,
                "attempts": node.attempts,
                "dead_letters": node.dead_letters(),
            }
            expectations = node.expectations()
            if expectations is not None:
                entry["expectations"] = expectations
            if node.error or node.exception:
                entry["error"] = node.error or node.exception
                errors.append(f"{name}: {entry['error']}")
            nodes[name] = entry
        return {
            "execution_id": self.execution_id,
            "pipeline_name": self.pipeline_name,
            "status": self.status.value,
            "failed_queries": len(self.failed_nodes()),
            "nodes": nodes,
            "errors": errors,
        }
