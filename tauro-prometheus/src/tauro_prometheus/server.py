"""The HTTP endpoint ``tauro run --metrics-port`` starts: prometheus_client's own server."""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

from tauro_prometheus.collector import TauroCollector


class MetricsServer:
    """One endpoint serving a registry that holds the Tauro collector (and only it)."""

    def __init__(
        self, port: int, address: str = "0.0.0.0", registry: CollectorRegistry | None = None
    ) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=False)
        if registry is None:
            self.registry.register(TauroCollector())
        server, thread = start_http_server(port, addr=address, registry=self.registry)
        self._server: Any = server
        self._thread: threading.Thread = thread

    @property
    def port(self) -> int:
        """The bound port (useful with port 0: any free port)."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
