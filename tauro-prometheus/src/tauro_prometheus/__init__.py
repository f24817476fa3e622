"""Prometheus metrics for Tauro pipelines.

``tauro run pipeline.yaml --metrics-port 9108`` serves them; an application embedding Tauro
registers them in its own registry with ``register(registry)`` (or serves them itself with
``start_http_server``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry

from tauro_prometheus.collector import TauroCollector
from tauro_prometheus.server import MetricsServer
from tauro_prometheus.state import STATE, MetricsState

__version__ = "0.1.0"
__all__ = [
    "STATE",
    "MetricsServer",
    "MetricsState",
    "TauroCollector",
    "dashboard_path",
    "register",
    "start_http_server",
]


def register(registry: CollectorRegistry | None = None) -> TauroCollector:
    """Add Tauro's metrics to ``registry`` (prometheus_client's default one if ``None``).

    Returns the collector, so ``registry.unregister(collector)`` removes them again.
    """
    collector = TauroCollector()
    (REGISTRY if registry is None else registry).register(collector)
    return collector


def start_http_server(port: int, address: str = "0.0.0.0") -> MetricsServer:
    """Serve Tauro's metrics (only them) on ``http://address:port/metrics``; ``close()`` stops."""
    return MetricsServer(port, address)


def dashboard_path() -> Path:
    """The Grafana dashboard shipped with this distribution (JSON, import it in Grafana)."""
    return Path(str(resources.files("tauro_prometheus") / "dashboards" / "tauro.json"))
