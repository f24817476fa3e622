"""Frozen models of the seed's node and pipeline shape.

The key set is closed and owned by core: everything format-specific lives under ``options`` and
is checked by the format's plugin. Values here are as the user wrote them (after interpolation
and default merging); ``tauro.config.normalize`` turns a node into the read-only sections
validators and readers see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

PIPELINE_TYPES = ("streaming", "hybrid")
# What a pipeline does when a node has failed for good (its restarts spent):
# ``stop`` stops every query of the pipeline (fail-fast); ``isolate`` stops only the failed
# node's downstream and keeps independent branches running.
FAILURE_POLICIES = ("stop", "isolate")
DEFAULT_FAILURE_POLICY = "stop"


@attrs.frozen(kw_only=True)
class WatermarkConfig:
    column: str
    delay: str


@attrs.frozen(kw_only=True)
class TriggerConfig:
    type: str
    interval: str | None = None


@attrs.frozen(kw_only=True)
class OutputConfig:
    format: str
    path: str | None = None
    table_name: str | None = None
    partition_by: tuple[str, ...] | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class InputConfig:
    format: str
    path: str | None = None
    table_name: str | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)
    schema: Any = None
    parse_json: bool = False
    json_schema: Any = None
    watermark: WatermarkConfig | None = None
    dead_letter: OutputConfig | None = None


@attrs.frozen(kw_only=True)
class StreamingConfig:
    trigger: TriggerConfig | None = None
    output_mode: str | None = None
    checkpoint_location: str | None = None
    query_name: str | None = None
    watermark: WatermarkConfig | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class FunctionConfig:
    """A registered transformation (``key`` + ``params``) or, when unsafe imports are enabled,
    ``module`` + ``function``."""

    key: str | None = None
    params: Mapping[str, Any] = attrs.field(factory=dict)
    module: str | None = None
    function: str | None = None


#: What happens to a row that breaks an expectation, weakest first; when a row breaks several,
#: the strongest wins.
EXPECTATION_ACTIONS = ("warn", "drop", "quarantine", "fail")


@attrs.frozen(kw_only=True)
class ExpectationConfig:
    """A data-quality rule: a Spark SQL boolean ``expr`` every row should satisfy.

    ``max_fraction`` / ``max_count``: fail the query when more of a batch's rows break it.
    """

    name: str
    expr: str
    action: str = "warn"
    max_fraction: float | None = None
    max_count: int | None = None


@attrs.frozen(kw_only=True)
class RestartPolicy:
    max_attempts: int = 3
    backoff: str = "5 seconds"
    max_backoff: str = "5 minutes"


@attrs.frozen(kw_only=True)
class NodeConfig:
    name: str
    description: str | None = None
    input: InputConfig | None = None
    transforms: tuple[Any, ...] = ()
    function: Any = None  # FunctionConfig, or a callable given from Python
    output: OutputConfig | None = None
    streaming: StreamingConfig = attrs.field(factory=StreamingConfig)
    depends_on: tuple[str, ...] = ()
    restart: RestartPolicy | None = None
    expectations: tuple[ExpectationConfig, ...] = ()


@attrs.frozen(kw_only=True)
class PipelineConfig:
    name: str | None = None
    type: str = "streaming"
    description: str | None = None
    nodes: tuple[NodeConfig, ...] = ()
    streaming: StreamingConfig = attrs.field(factory=StreamingConfig)
    restart: RestartPolicy | None = None
    on_failure: str = DEFAULT_FAILURE_POLICY
    #: Expectations nodes refer to by name (a node's entry merges over the definition here).
    expectations: tuple[ExpectationConfig, ...] = ()


NODE_KEYS = tuple(f.name for f in attrs.fields(NodeConfig))
PIPELINE_KEYS = tuple(f.name for f in attrs.fields(PipelineConfig))
