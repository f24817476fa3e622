"""The ``prometheus`` plugin's hooks: Tauro's events feed the metrics; ``tauro run
--metrics-port N`` serves them over HTTP."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from loguru import logger

from tauro.events import NodeStatusChangedEvent, PipelineStatusChangedEvent, QueryProgressEvent
from tauro.plugin import hookimpl
from tauro_prometheus.state import STATE

if TYPE_CHECKING:
    import click

    from tauro_prometheus.server import MetricsServer

PORT_OPTION = "metrics_port"
ADDRESS_OPTION = "metrics_address"
_servers: list[MetricsServer] = []


@hookimpl
def tauro_on_query_progress(event: QueryProgressEvent) -> None:
    STATE.on_progress(event)


@hookimpl
def tauro_on_node_status_changed(event: NodeStatusChangedEvent) -> None:
    STATE.on_node_status(event)


@hookimpl
def tauro_on_pipeline_status_changed(event: PipelineStatusChangedEvent) -> None:
    STATE.on_pipeline_status(event)


@hookimpl
def tauro_cli_run_options() -> Sequence[click.Option]:
    import click

    return [
        click.Option(
            ["--metrics-port", PORT_OPTION],
            type=click.IntRange(0, 65535),
            envvar="TAURO_METRICS_PORT",
            help="Serve Prometheus metrics over HTTP on this port (tauro-prometheus).",
        ),
        click.Option(
            ["--metrics-address", ADDRESS_OPTION],
            default="0.0.0.0",
            show_default=True,
            envvar="TAURO_METRICS_ADDRESS",
            help="Address the metrics endpoint listens on (tauro-prometheus).",
        ),
    ]


@hookimpl
def tauro_run_starting(options: Mapping[str, Any]) -> None:
    port = options.get(PORT_OPTION)
    if port is None:
        return
    from tauro_prometheus.server import MetricsServer

    server = MetricsServer(int(port), str(options.get(ADDRESS_OPTION) or "0.0.0.0"))
    _servers.append(server)
    logger.info("Prometheus metrics on http://{}:{}/metrics", options.get(ADDRESS_OPTION), server.port)


@hookimpl
def tauro_run_finished(options: Mapping[str, Any], exit_code: int) -> None:
    while _servers:
        _servers.pop().close()
