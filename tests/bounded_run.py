"""Run one node with a bounded trigger to its end, as the family tests do."""

from __future__ import annotations

from typing import Any

from tauro.streaming.query_manager import StreamingQueryManager


def run_node(context: Any, node: dict[str, Any], pipeline: str, timeout: float = 240) -> Any:
    """Start a node (available_now or once), wait for the end, always stop it; fail on its error.

    Stopping through the manager releases the checkpoint lock at once, so the node can run
    again right away (a restart).
    """
    manager = StreamingQueryManager(context)
    query = manager.create_and_start_query(node, pipeline_name=pipeline)
    try:
        finished = query.awaitTermination(timeout)
    finally:
        manager.stop_query(query)
    exception = query.exception()
    assert exception is None, exception
    assert finished, f"the bounded query did not finish in {timeout:.0f} s"
    return query
