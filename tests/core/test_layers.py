"""The import graph of ``tauro`` stays layered: no circles, no upward imports (docs/architecture.md).

The graph is read from the source with ``ast`` (nothing is imported). Imports under
``if TYPE_CHECKING:`` are annotations only and not part of it. An import inside a function is
allowed only for a heavy optional dependency, and says so in a comment on its line (the pytest
plugin ``tauro.testing`` excepted: it must cost nothing in test runs that do not use it).
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

import tauro

SOURCE = Path(tauro.__file__).resolve().parent.parent

#: Layer of each module (by longest matching prefix); each imports only its own layer and below.
LAYERS: dict[str, int] = {
    # 0: errors and the leaves everything may use
    "tauro.errors": 0,
    "tauro.redaction": 0,
    "tauro.durations": 0,
    "tauro.processes": 0,
    "tauro.events": 0,
    "tauro.logging_setup": 0,
    "tauro.ivy_settings": 0,
    "tauro.package_resolution": 0,
    # 1: the plugin API
    "tauro": 1,
    "tauro.plugin": 1,
    "tauro.spark_settings": 1,
    "tauro.jvm_checks": 1,
    # 2: what plugins implement and where they register
    "tauro.hookspecs": 2,
    "tauro.registry": 2,
    # 3: the plugin manager and the session
    "tauro.plugins": 3,
    "tauro.session": 3,
    "tauro.connect_session": 3,
    "tauro.package_fetch": 3,
    "tauro.executor_code": 3,
    # 4: configuration (knows no runtime)
    "tauro.config": 4,
    # 5: the streaming runtime
    "tauro.streaming": 5,
    "tauro.checkpoints": 5,
    "tauro.validation": 5,
    # 6: faces for people, and core's own plugin (loaded by name, like an entry point)
    "tauro.runner": 6,
    "tauro.cli": 6,
    "tauro.run_options": 6,
    "tauro.__main__": 6,
    "tauro.submit_args": 6,
    "tauro.runs": 6,
    "tauro.run_display": 6,
    "tauro.spark_output": 6,
    "tauro.graph": 6,
    "tauro.builtin": 6,
    "tauro.scaffold": 6,
    "tauro.testing": 6,
}
HEAVY = ("pyspark", "boto3")
#: pytest loads the tauro.testing plugin in every run of an environment where Tauro is
#: installed, so it imports the rest of Tauro lazily, inside its fixtures.
LAZY_BY_DESIGN = ("tauro.testing",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _known_modules() -> set[str]:
    return {_module_name(p) for p in (SOURCE / "tauro").rglob("*.py")}


def _imports(path: Path, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported tauro module, line, inside a function) for every executed import."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other, in_function)
                continue
            if isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                base = child.module
                if base == "tauro" or base.startswith("tauro."):
                    for alias in child.names:
                        sub = f"{base}.{alias.name}"
                        found.append((sub if sub in known else base, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "tauro" or alias.name.startswith("tauro."):
                        found.append((alias.name, child.lineno, in_function))
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(ast.parse(path.read_text()), False)
    return found


def _layer(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return LAYERS[prefix]
    raise AssertionError(f"module {module} has no layer: add it to LAYERS and docs/architecture.md")


@pytest.fixture(scope="module")
def graph() -> dict[str, list[tuple[str, int, bool]]]:
    known = _known_modules()
    return {_module_name(p): _imports(p, known) for p in (SOURCE / "tauro").rglob("*.py")}


def test_every_module_has_a_layer(graph: dict[str, list[tuple[str, int, bool]]]) -> None:
    for module in graph:
        _layer(module)


def test_no_module_imports_a_higher_layer(graph: dict[str, list[tuple[str, int, bool]]]) -> None:
    upward = [
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)}) at line {line}"
        for module, imports in graph.items()
        for target, line, _ in imports
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_no_import_circles(graph: dict[str, list[tuple[str, int, bool]]]) -> None:
    sorter = graphlib.TopologicalSorter(
        {module: {t for t, _, _ in imports if t != module} for module, imports in graph.items()}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")


def test_imports_inside_functions_only_for_heavy_dependencies(
    graph: dict[str, list[tuple[str, int, bool]]],
) -> None:
    hidden = []
    for module, imports in graph.items():
        path = SOURCE / Path(*module.split("."))
        lines = (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text().splitlines()
        lazy = any(module == m or module.startswith(f"{m}.") for m in LAZY_BY_DESIGN)
        for target, line, in_function in imports:
            comment = lines[line - 1].partition("#")[2]
            if in_function and not lazy and not any(dep in comment for dep in HEAVY):
                hidden.append(f"{module}:{line} imports {target} inside a function")
    assert hidden == []


def test_plugin_api_and_discovery_do_not_import_pyspark() -> None:
    code = (
        "import sys, tauro.plugin\n"
        "from tauro.plugins import get_plugin_manager\n"
        "get_plugin_manager()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j', 'boto3')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
