"""Names and defaults of a pipeline's configuration: formats, triggers, output modes.

They belong to configuration (which knows no runtime); ``tauro.streaming.constants`` re-exports
them under the seed's names.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class StreamingFormat(StrEnum):
    """Formats of the official families, for convenience. Validation uses the registry, not this."""

    KAFKA = "kafka"
    DELTA = "delta"
    DELTA_STREAM = "delta_stream"
    FILE_STREAM = "file_stream"
    KINESIS = "kinesis"
    RATE = "rate"
    MEMORY = "memory"
    SOCKET = "socket"
    CONSOLE = "console"
    NOOP = "noop"
    FOREACH_BATCH = "foreach_batch"


class StreamingTrigger(StrEnum):
    PROCESSING_TIME = "processing_time"
    ONCE = "once"
    CONTINUOUS = "continuous"
    AVAILABLE_NOW = "available_now"
    REAL_TIME = "real_time"


class StreamingOutputMode(StrEnum):
    APPEND = "append"
    COMPLETE = "complete"
    UPDATE = "update"


BOUNDED_TRIGGERS = frozenset({StreamingTrigger.ONCE, StreamingTrigger.AVAILABLE_NOW})
MAX_TRIGGER_SECONDS = 365 * 24 * 3600
#: Spark's default for a real-time trigger's interval (how often it checkpoints).
REAL_TIME_DEFAULT_INTERVAL = "5 minutes"
#: Spark's default ``spark.sql.streaming.realTimeMode.minBatchDuration`` (5000 ms).
REAL_TIME_MIN_SECONDS = 5.0

DEFAULT_STREAMING_CONFIG: dict[str, Any] = {
    "trigger": {"type": StreamingTrigger.PROCESSING_TIME.value, "interval": "10 seconds"},
    "output_mode": StreamingOutputMode.APPEND.value,
    "checkpoint_location": None,
    "query_name": None,
    "watermark": None,
    "options": {},
}
