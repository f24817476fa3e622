"""The ``tauro`` command: validate, plugins, graph, schema, init (and run, status, stop)."""

from __future__ import annotations

import json
import re
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tauro import __version__ as core_version
from tauro.config.context import Context
from tauro.config.json_schema import context_schema, pipeline_schema
from tauro.config.loading import list_pipelines, read_config_file, select_pipeline
from tauro.errors import StreamingError, StreamingValidationError
from tauro.graph import render_graph
from tauro.logging_setup import configure_cli_logging
from tauro.package_fetch import fetch_packages
from tauro.package_resolution import SparkPackagesError
from tauro.plugins import PluginStatus, get_plugin_manager
from tauro.run_options import (
    PluginOptionsCommand,
    PluginRunOptionsError,
    run_finished,
    run_starting,
    values_by_plugin,
)
from tauro.runner import ForegroundRun, import_user_code, render_status_table
from tauro.runs import FINAL, RunDirectory, list_runs
from tauro.scaffold import ScaffoldError, plugin_files, project_files, write_files
from tauro.scaffold.project_template import project_name
from tauro.session import format_uses
from tauro.streaming.validators import StreamingValidator
from tauro.submit_args import submit_args

console = Console(soft_wrap=True, highlight=False)
err_console = Console(stderr=True, soft_wrap=True, highlight=False)


def _load_context(path: str | None) -> Any:
    return Context.load_from_file(path) if path else Context()


@click.group()
@click.version_option(package_name="tauro-core", prog_name="tauro")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More log output (-v info, -vv debug); for run, also Spark's own output live.",
)
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Tauro: declarative Spark Structured Streaming pipelines."""
    ctx.obj = {"verbose": verbose}
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
@click.option(
    "--import", "imports", multiple=True, help="Module or .py file registering transformations (as for run)."
)
def validate(
    files: tuple[str, ...], context_file: str | None, pipeline: str | None, imports: tuple[str, ...]
) -> None:
    """Validate pipeline files; print every problem with its path; exit 1 on any."""
    failed = 0
    try:
        import_user_code(imports)
        context = _load_context(context_file)
    except StreamingError as exc:
        err_console.print(f"[red]error[/red] {escape(str(exc))}")
        sys.exit(1)
    validator = StreamingValidator(
        context.format_policy, environment=context.environment, connect=context.remote is not None
    )
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
    manager = get_plugin_manager()
    infos = manager.all() if show_all else [p for p in manager.all() if p.status is not PluginStatus.DISABLED]
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in infos], indent=2))
    else:
        table = Table(title="Tauro plugins")
        for column in ("name", "status", "distribution", "version", "readers", "writers", "detail"):
            table.add_column(column)
        for info in infos:
            table.add_row(
                info.name,
                str(info.status),
                info.distribution or "-",
                info.version or "-",
                ", ".join(info.formats.get("readers", [])),
                ", ".join(info.formats.get("writers", [])),
                info.error or "",
            )
        console.print(table)
    if any(p.status is PluginStatus.FAILED for p in infos):
        sys.exit(2)


@main.command()
@click.option("--context", "for_context", is_flag=True, help="The schema of a context file instead.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the schema to this file instead of printing it.",
)
def schema(for_context: bool, output: str | None) -> None:
    """Print the JSON Schema of pipeline files (or --context files), for editors.

    The formats and their options are those of the installed plugins.
    """
    document = context_schema() if for_context else pipeline_schema()
    text = json.dumps(document, indent=2) + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as file:
            file.write(text)
        err_console.print(f"wrote {escape(output)}")
    else:
        click.echo(text, nl=False)
    if any(p.status is PluginStatus.FAILED for p in get_plugin_manager().all()):
        err_console.print(
            "[yellow]some plugins failed to load, so their formats are missing; see tauro plugins --all[/]"
        )
        sys.exit(2)


def _core_range() -> tuple[str, str]:
    """(floor, compatible range) of the running tauro-core, e.g. ("0.1", "tauro-core>=0.1,<0.2")."""
    major, minor = (int(part) for part in core_version.split(".")[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f"{major}.{minor}", f"tauro-core>={major}.{minor},<{upper}"


@main.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option(
    "--plugin", "plugin_name", metavar="NAME", help="Scaffold a format plugin distribution tauro-NAME."
)
@click.option(
    "--force", is_flag=True, help="Write into a directory that is not empty (same names are replaced)."
)
def init(directory: str, plugin_name: str | None, force: bool) -> None:
    """Create a pipeline project in DIRECTORY (default: here), or with --plugin a format plugin.

    The project (pipeline, context, transforms, a test) uses core formats only: `pytest` in it
    passes at once. The plugin has a reader, a writer, validators and conformance tests.
    """
    target = Path(directory)
    floor, core_range = _core_range()
    if plugin_name is not None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", plugin_name):
            raise click.BadParameter(
                f"{plugin_name!r} is not a format name; use lower-case letters, digits and '_', "
                "starting with a letter (e.g. acme)",
                param_hint="--plugin",
            )
        files = plugin_files(plugin_name, core_range)
        next_steps = [f"cd {target}", 'pip install -e ".[test]"', "tauro plugins", "pytest"]
    else:
        files = project_files(project_name(target.resolve().name), floor)
        next_steps = [
            f"cd {target}",
            "pytest",
            "tauro run pipeline.yaml --context context.yaml --import transforms.py",
        ]
    try:
        written = write_files(target, files, force=force)
    except ScaffoldError as error:
        raise click.ClickException(str(error)) from error
    err_console.print(f"created {len(written)} files in {escape(str(target))}; next:")
    for step in next_steps:
        err_console.print(f"  {escape(step)}")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--pipeline", help="Pipeline of a multi-pipeline file.")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
def graph(file: str, pipeline: str | None, fmt: str) -> None:
    """Print the pipeline DAG as Mermaid or Graphviz dot."""
    try:
        name, raw = select_pipeline(read_config_file(file), pipeline)
        report = StreamingValidator().check_pipeline(raw, require_output=False, name=name)
        if report.pipeline is None:
            report.raise_for_problems()
    except StreamingValidationError as exc:
        err_console.print(f"error: {escape(str(exc))}")
        sys.exit(1)
    click.echo(render_graph([n.normalized for n in report.nodes], fmt))


def _parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--var")
        variables[key] = value
    return variables


@main.command(cls=PluginOptionsCommand)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--pipeline", help="Pipeline of a multi-pipeline file.")
@click.option("--context", "context_file", type=click.Path(exists=True, dir_okay=False), help="Context file.")
@click.option("--var", "variables", multiple=True, help="NAME=VALUE for ${NAME} in the file (repeatable).")
@click.option(
    "--import",
    "imports",
    multiple=True,
    help="Python module or .py file to import first, e.g. to register transformations (repeatable).",
)
@click.option("--execution-id", help="Execution id (default: generated).")
@click.option(
    "--stop-timeout", default=60.0, show_default=True, help="Seconds to let in-flight batches finish."
)
@click.option("--quiet", is_flag=True, help="No live status table or progress lines.")
@click.option(
    "--master",
    help="Spark master URL (spark://host:7077, yarn, k8s://..., local[4]); overrides the context's.",
)
@click.pass_context
def run(
    ctx: click.Context,
    /,
    file: str,
    pipeline: str | None,
    context_file: str | None,
    variables: tuple[str, ...],
    imports: tuple[str, ...],
    execution_id: str | None,
    stop_timeout: float,
    quiet: bool,
    master: str | None,
    **plugin_values: Any,
) -> None:
    """Run a pipeline in the foreground until it ends, fails, or is stopped (Ctrl-C, tauro stop).

    Spark's own output and Tauro's log go to run.log in the run directory (-v: also shown).
    Exit status: 0 when every node completed or was stopped, 1 when a node failed or the
    pipeline is invalid. Installed plugins may add options (listed below with the others).
    """
    grouped = values_by_plugin(ctx, plugin_values)
    try:
        import_user_code(imports)
        context = _load_context(context_file)
        if master:
            context.master = master
        name, raw = select_pipeline(read_config_file(file), pipeline)
        runner = ForegroundRun(context, file, name, raw, _parse_vars(variables), execution_id)
        run_starting(grouped)
    except (StreamingError, PluginRunOptionsError) as exc:
        err_console.print(f"[red]error[/red] {escape(str(exc))}")
        sys.exit(1)
    verbosity = int((ctx.obj or {}).get("verbose", 0))
    code = 1
    try:
        code = runner.run(stop_timeout=stop_timeout, live=not quiet, console=console, verbosity=verbosity)
    finally:
        run_finished(grouped, code)
    sys.exit(code)


@main.command()
@click.argument("execution_id", required=False)
@click.option("--context", "context_file", type=click.Path(exists=True, dir_okay=False), help="Context file.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(execution_id: str | None, context_file: str | None, as_json: bool) -> None:
    """Show runs (or one run in detail), also those of other processes."""
    context = _load_context(context_file)
    if execution_id:
        run_dir = RunDirectory(context.runs_dir, execution_id)
        detail = run_dir.read_status()
        if detail is None:
            err_console.print(f"error: no run '{escape(execution_id)}' under {context.runs_dir}")
            sys.exit(1)
        summary = run_dir.summary()
        detail["status"] = summary["status"]
        if as_json:
            click.echo(json.dumps(detail, indent=2, default=str))
        else:
            console.print(render_status_table(detail, console.width))
        return
    runs = [r.summary() for r in list_runs(context.runs_dir)]
    if as_json:
        click.echo(json.dumps(runs, indent=2, default=str))
        return
    table = Table(title=f"Tauro runs in {context.runs_dir}")
    for column in ("execution id", "pipeline", "status", "pid", "active/total"):
        table.add_column(column)
    for item in runs:
        table.add_row(
            item["execution_id"],
            str(item["pipeline_name"]),
            item["status"],
            str(item["pid"]),
            f"{item['active_queries']}/{item['total_queries']}",
        )
    console.print(table)


@main.command()
@click.argument("execution_id")
@click.option("--context", "context_file", type=click.Path(exists=True, dir_okay=False), help="Context file.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the run to stop.")
def stop(execution_id: str, context_file: str | None, timeout: float) -> None:
    """Ask a running ``tauro run`` (any process) to stop gracefully; wait until it has."""
    context = _load_context(context_file)
    run_dir = RunDirectory(context.runs_dir, execution_id)
    if run_dir.read_run() is None:
        err_console.print(f"error: no run '{escape(execution_id)}' under {context.runs_dir}")
        sys.exit(1)
    current = (run_dir.read_status() or {}).get("status")
    if current in FINAL:
        console.print(f"{execution_id} already {current}")
        return
    if not run_dir.runner_alive():
        err_console.print(f"error: the runner of {execution_id} is gone (pid {run_dir.summary()['pid']})")
        sys.exit(1)
    run_dir.request_stop(timeout)
    deadline = time.monotonic() + timeout + 30
    while time.monotonic() < deadline:
        current = (run_dir.read_status() or {}).get("status")
        if current in FINAL and not run_dir.runner_alive():
            console.print(f"{execution_id} {current}")
            sys.exit(0 if current != "error" else 1)
        time.sleep(0.5)
    err_console.print(f"error: {execution_id} did not stop within {timeout + 30:g}s")
    sys.exit(1)


@main.command("submit-args")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--pipeline", help="Pipeline of a multi-pipeline file.")
@click.option("--context", "context_file", type=click.Path(exists=True, dir_okay=False), help="Context file.")
@click.option("--var", "variables", multiple=True, help="NAME=VALUE passed on to run (repeatable).")
@click.option(
    "--import",
    "imports",
    multiple=True,
    help="Module or .py file passed on to run and shipped to executors (repeatable).",
)
@click.option("--master", help="Spark master URL (default: the context's).")
@click.option("--json", "as_json", is_flag=True, help="A JSON list (for schedulers) instead of a shell line.")
def submit_args_command(
    file: str,
    pipeline: str | None,
    context_file: str | None,
    variables: tuple[str, ...],
    imports: tuple[str, ...],
    master: str | None,
    as_json: bool,
) -> None:
    """Print the spark-submit arguments that run pipeline FILE: its packages, the plugins' and
    the context's Spark conf, Tauro's code for executors (--py-files), and the run command.

    \b
    eval spark-submit "$(tauro submit-args pipeline.yaml --context context.yaml)"
    """
    try:
        import_user_code(imports)
        context = _load_context(context_file)
        _, raw = select_pipeline(read_config_file(file), pipeline)
        args = submit_args(
            context,
            file,
            raw if isinstance(raw, dict) else {},
            pipeline=pipeline,
            context_file=context_file,
            imports=imports,
            variables=variables,
            master=master,
        )
    except StreamingError as exc:
        err_console.print(f"[red]error[/red] {escape(str(exc))}")
        sys.exit(1)
    click.echo(json.dumps(args) if as_json else shlex.join(args))


@main.command("fetch-packages")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--context", "context_file", type=click.Path(exists=True, dir_okay=False), help="Context file.")
@click.option("--pipeline", help="Only this pipeline of a multi-pipeline file.")
def fetch_packages_command(files: tuple[str, ...], context_file: str | None, pipeline: str | None) -> None:
    """Fetch the Spark packages pipeline FILES need (without FILES: every installed plugin's),
    plus the context's spark.jars.packages, into Ivy's cache, so later runs start offline.

    Ivy uses the settings a session would (spark.jars.repositories, spark.jars.ivySettings,
    spark.jars.ivy). Exit status: 0 when everything was fetched, 1 when something could not be.
    """
    try:
        context = _load_context(context_file)
        for file in files:
            # Only the formats matter here: variables and transforms are the run's business.
            name, raw = select_pipeline(read_config_file(file), pipeline)
            nodes = raw.get("nodes") if isinstance(raw, dict) else None
            context.declare_formats(format_uses(nodes if isinstance(nodes, list) else [], name))
        merged = context.planned_spark_settings() if files else None
        with err_console.status("Resolving Spark packages with Ivy ..."):
            fetched = fetch_packages(context, merged)
    except SparkPackagesError as exc:
        err_console.print(f"[red]error[/red] {escape(str(exc))}")
        if exc.__cause__ is not None:
            err_console.print(escape(str(exc.__cause__)))
        sys.exit(1)
    except StreamingError as exc:
        err_console.print(f"[red]error[/red] {escape(str(exc))}")
        sys.exit(1)
    if not fetched.packages:
        console.print("No Spark packages to fetch: the plugins and the context ask for none.")
        return
    for package in fetched.packages:
        console.print(f"fetched {package}")
    console.print(f"Ivy's jars: {fetched.jars_dir}; later runs need no network for these packages")


if __name__ == "__main__":  # pragma: no cover
    main()
