"""The seed's health module: the per-query monitor and the session's listener hub.

The monitor lives in ``tauro.streaming.health_monitor``, the hub that feeds it from Spark's
listener in ``tauro.streaming.listener``; this module is their public face.
"""

from __future__ import annotations

from tauro.streaming.health_monitor import (
    INPUT_METRIC,
    LATENCY_SPIKE,
    TERMINAL,
    UNHEALTHY,
    HealthChange,
    HealthState,
    QueryHealthMonitor,
    clean_exception_text,
    progress_to_dict,
)
from tauro.streaming.listener import QueryEventHub, get_event_hub, shutdown_event_hubs

__all__ = [
    "INPUT_METRIC",
    "LATENCY_SPIKE",
    "TERMINAL",
    "UNHEALTHY",
    "HealthChange",
    "HealthState",
    "QueryEventHub",
    "QueryHealthMonitor",
    "clean_exception_text",
    "get_event_hub",
    "progress_to_dict",
    "shutdown_event_hubs",
]
