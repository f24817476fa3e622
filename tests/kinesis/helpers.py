"""Helpers of the kinesis tests: nodes, a foreachBatch collector, bounded runs."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.bounded_run import run_node as bounded_run
from tests.core.streams import Collected as CoreCollected

from .emulators import connection_options

JSON_SCHEMA = "id BIGINT, name STRING"


class Collected(CoreCollected):
    """A foreachBatch target (see ``tests.core.streams``) under a fresh key; ids of raw rows too."""

    def __init__(self) -> None:
        super().__init__(f"collect_{uuid.uuid4().hex[:8]}")

    def ids(self) -> list[int]:
        """Record ids of raw rows (JSON in ``data``) or parsed rows (an ``id`` column)."""
        return sorted(r["id"] if "id" in r else json.loads(bytes(r["data"]))["id"] for r in self.rows())


def kinesis_node(
    name: str, endpoint: str, stream: str, output: dict[str, Any], **input_extra: Any
) -> dict[str, Any]:
    options = {**connection_options(endpoint, stream), "startingPosition": "TRIM_HORIZON"}
    options.update(input_extra.pop("options", {}))
    return {
        "name": name,
        "input": {"format": "kinesis", "options": options, **input_extra},
        "output": output,
        "streaming": {"trigger": {"type": "available_now"}},
    }


def run_node(context: Any, node: dict[str, Any], pipeline: str = "kinesis") -> Any:
    """Run a node with a bounded trigger to its end (see ``tests.bounded_run``)."""
    return bounded_run(context, node, pipeline)
