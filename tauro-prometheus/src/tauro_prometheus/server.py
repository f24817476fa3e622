"""The HTTP endpoint ``tauro run --metrics-port`` starts.

Serving Tauro's collector alone, it renders with ``exposition.TextRenderer`` (text format 0.0.4,
which every Prometheus accepts); given an application's own registry, it serves it with
prometheus_client's app (content negotiation, OpenMetrics, gzip), as that registry may hold any
metric type.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from tauro_prometheus.collector import TauroCollector
from tauro_prometheus.exposition import CONTENT_TYPE, TextRenderer

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged."""


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never holds up shutdown


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


def _collector_app(collector: TauroCollector) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    renderer = TextRenderer()
    lock = threading.Lock()  # the renderer's label cache is shared by request threads

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/favicon.ico":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b""]
        with lock:
            body = renderer.render(collector.collect())
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
        return [body]

    return app


class MetricsServer:
    """One endpoint serving the Tauro collector, or ``registry`` when one is given."""

    def __init__(
        self, port: int, address: str = "0.0.0.0", registry: CollectorRegistry | None = None
    ) -> None:
        if registry is None:
            self.collector: TauroCollector | None = TauroCollector()
            self.registry = CollectorRegistry(auto_describe=False)
            self.registry.register(self.collector)
            app: Any = _collector_app(self.collector)
        else:
            self.collector = None
            self.registry = registry
            app = make_wsgi_app(registry)
        server_class = _IPv6Server if ":" in address else _Server
        self._server = make_server(address, port, app, server_class, handler_class=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="tauro-metrics-http", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The bound port (useful with port 0: any free port)."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
