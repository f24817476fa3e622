"""The ``tauro`` command: validate, plugins, graph (and run, status, stop)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tauro.config.loading import list_pipelines, read_config_file, select_pipeline
from tauro.streaming.exceptions import StreamingError, StreamingValidationError

console = Console(soft_wrap=True, highlight=False)
err_console = Console(stderr=True, soft_wrap=True, highlight=False)


def _load_context(path: str | None) -> Any:
    from tauro.config.context import Context

    return Context.load_from_file(path) if path else Context()


@click.group()
@click.version_option(package_name="tauro-core", prog_name="tauro")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """Tauro: declarative Spark Structured Streaming pipelines."""
    from tauro.logging_setup import configure_cli_logging

    configure_cli_logging(verbose)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--context",
    "context_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Context file (environment, format policy).",
)
@click.option("--pipeline", help="Validate only this pipeline of a multi-pipeline file.")
def validate(files: tuple[str, ...], context_file: str | None, pipeline: str | None) -> None:
    """Validate pipeline files; print every problem with its path; exit 1 on any."""
    from tauro.streaming.validators import StreamingValidator

    failed = 0
    try:
        context = _load_context(context_file)
    except StreamingError as exc:
        err_console.print(f"[red]error[/red] {escape(str(exc))}")
        sys.exit(1)
    validator = StreamingValidator(context.format_policy, environment=context.environment)
    for file in files:
        try:
            raw = read_config_file(file)
            names: list[str | None] = [pipeline] if pipeline else [*list_pipelines(raw)] or [None]
            for name in names:
                multi = isinstance(raw, dict) and "pipelines" in raw
                selected_name, selected = select_pipeline(raw, name if multi else None)
                report = validator.check_pipeline(selected, name=selected_name or name)
                label = f"{file}" + (f" [{selected_name}]" if multi else "")
                for warning in report.warnings:
                    console.print(f"[yellow]warning[/yellow] {escape(label)}: {escape(warning)}")
                if report.problems:
                    failed += len(report.problems)
                    for problem in report.problems:
                        where = f"{problem.field}: " if problem.field else ""
                        console.print(f"[red]error[/red] {escape(label)}: {escape(where + problem.message)}")
                else:
                    console.print(f"[green]ok[/green] {escape(label)}: {len(report.nodes)} node(s)")
        except StreamingValidationError as exc:
            failed += 1
            console.print(f"[red]error[/red] {escape(file)}: {escape(str(exc))}")
    if failed:
        console.print(f"{failed} problem(s) found")
        sys.exit(1)


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Also list failed and disabled plugins.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(show_all: bool, as_json: bool) -> None:
    """List plugins: name, distribution, version, formats; failed ones with the reason."""
    from tauro.plugins import get_plugin_manager

    manager = get_plugin_manager()
    infos = manager.all() if show_all else [p for p in manager.all() if p.status != "disabled"]
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in infos], indent=2))
    else:
        table = Table(title="Tauro plugins")
        for column in ("name", "status", "distribution", "version", "readers", "writers", "detail"):
            table.add_column(column)
        for info in infos:
            table.add_row(
                info.name,
                info.status,
                info.distribution or "-",
                info.version or "-",
                ", ".join(info.formats.get("readers", [])),
                ", ".join(info.formats.get("writers", [])),
                info.error or "",
            )
        console.print(table)
    if any(p.status == "failed" for p in infos):
        sys.exit(2)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--pipeline", help="Pipeline of a multi-pipeline file.")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
def graph(file: str, pipeline: str | None, fmt: str) -> None:
    """Print the pipeline DAG as Mermaid or Graphviz dot."""
    from tauro.graph import render_graph
    from tauro.streaming.validators import StreamingValidator

    try:
        name, raw = select_pipeline(read_config_file(file), pipeline)
        report = StreamingValidator().check_pipeline(raw, require_output=False, name=name)
    except StreamingValidationError as exc:
        err_console.print(f"error: {escape(str(exc))}")
        sys.exit(1)
    if report.pipeline is None:
        report.raise_for_problems()
    click.echo(render_graph([n.normalized for n in report.nodes], fmt))


def run_cli() -> None:  # pragma: no cover - console entry for python -m
    main()


if __name__ == "__main__":  # pragma: no cover
    main()

_ = Path  # keep the import for later subcommands
