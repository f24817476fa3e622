"""The Python code a cluster's executors need, as one zip for ``addPyFile`` / ``--py-files``.

On ``local[*]`` every Python worker runs the driver's interpreter, so Tauro's own code is there.
On a cluster, executors run their own Python, which usually has pyspark but not Tauro, and yet
they import Tauro's code: the Python data sources of the ``memory`` and ``kinesis`` formats, and
UDFs of registered transforms or ``--import`` modules (cloudpickle pickles a function of an
importable module by reference, so the module itself must be importable on the executor).

The zip holds tauro-core, the loaded plugins' distributions, their pure-Python requirements
(with their ``dist-info``, so ``importlib.metadata`` works there too), and the user's modules.
pyspark and the binary libraries it needs (pyarrow, pandas, numpy) are left out: a worker that
runs PySpark has them, and a binary wheel built for the driver's platform may not load on an
executor's. The zip is cached by content under ``$TAURO_CACHE/executor-code``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from loguru import logger

import tauro
from tauro.ivy_settings import tauro_cache
from tauro.plugin.preflight import is_connect
from tauro.plugins import get_plugin_manager

#: What a worker running PySpark already has (or must have: binary wheels are per platform).
WORKER_PROVIDED = frozenset(
    {
        "pyspark",
        "py4j",
        "pyarrow",
        "pandas",
        "numpy",
        "python-dateutil",
        "pytz",
        "tzdata",
        "six",
        "grpcio",
        "grpcio-status",
        "protobuf",
        "googleapis-common-protos",
        "zstandard",
    }
)
_BINARY_SUFFIXES = (".so", ".pyd", ".dylib")
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

_lock = threading.Lock()
_user_imports: dict[str, Path] = {}
_shipped: dict[int, set[str]] = {}
_by_value: set[str] = set()


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def remember_user_import(module_name: str, path: Path | None = None) -> None:
    """Ship a module the user imported on the command line (``--import``) to executors.

    ``path`` is the ``.py`` file of a module loaded from a file (it ships under
    ``module_name``, the name the driver gave it, so pickles that refer to it resolve).
    """
    with _lock:
        if path is None:
            spec = importlib.util.find_spec(module_name)
            origin = spec.origin if spec is not None else None
            if origin is None:
                return
            top = module_name.split(".")[0]
            top_spec = importlib.util.find_spec(top)
            locations = list(top_spec.submodule_search_locations or []) if top_spec else []
            path = Path(locations[0]) if locations else Path(origin)
            module_name = top
        _user_imports[module_name] = path


def _top_level_names(dist: importlib.metadata.Distribution) -> list[str]:
    text = dist.read_text("top_level.txt")
    if text:
        return [line.strip() for line in text.splitlines() if line.strip()]
    names = {
        top
        for top, dists in _distributions_by_module().items()
        if any(_canonical(d) == _canonical(dist.metadata["Name"]) for d in dists)
    }
    return sorted(names)


def _requirements(dist: importlib.metadata.Distribution) -> list[str]:
    names: list[str] = []
    for requirement in dist.requires or []:
        if re.search(r"extra\s*==", requirement):
            continue
        match = _REQUIREMENT_NAME.match(requirement)
        if match:
            names.append(match.group(1))
    return names


@functools.cache
def _distributions_by_module() -> Mapping[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distribution_of(module_name: str) -> importlib.metadata.Distribution | None:
    top = module_name.split(".")[0]
    for name in _distributions_by_module().get(top, []):
        try:
            return importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _closure(roots: Iterable[importlib.metadata.Distribution]) -> list[importlib.metadata.Distribution]:
    """The roots and their installed requirements, minus what workers provide."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = list(roots)
    while pending:
        dist = pending.pop()
        name = _canonical(dist.metadata["Name"])
        if name in seen or name in WORKER_PROVIDED:
            continue
        seen[name] = dist
        for requirement in _requirements(dist):
            try:
                pending.append(importlib.metadata.distribution(requirement))
            except importlib.metadata.PackageNotFoundError:
                continue  # a marker excluded it on this platform
    return [seen[name] for name in sorted(seen)]


def _package_files(location: Path, arcname: str) -> Iterator[tuple[Path, str]]:
    if location.is_file():
        yield location, arcname
        return
    for path in sorted(location.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        yield path, f"{arcname}/{path.relative_to(location).as_posix()}"


def _module_files(top: str) -> Iterator[tuple[Path, str]]:
    spec = importlib.util.find_spec(top)
    if spec is None:
        return
    if spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            yield from _package_files(Path(location), top)
    elif spec.origin and spec.origin.endswith(".py"):
        yield Path(spec.origin), f"{top}.py"


def _metadata_files(dist: importlib.metadata.Distribution) -> Iterator[tuple[Path, str]]:
    folder = getattr(dist, "_path", None)
    if isinstance(folder, Path) and folder.is_dir():
        yield from _package_files(folder, folder.name)


def _contents(user: dict[str, Path]) -> tuple[list[tuple[Path, str]], list[str]]:
    """The files of the zip (path, name in the zip) and the distributions skipped as binary."""
    manager = get_plugin_manager()
    roots: list[importlib.metadata.Distribution] = [importlib.metadata.distribution("tauro-core")]
    for info in manager.loaded():
        dist = _distribution_of(info.module or "")
        if dist is not None:
            roots.append(dist)
    files: dict[str, Path] = {}
    skipped: list[str] = []
    for dist in _closure(roots):
        own: list[tuple[Path, str]] = []
        for top in _top_level_names(dist):
            own.extend(_module_files(top))
        if any(path.suffix in _BINARY_SUFFIXES for path, _ in own):
            # Its pure-Python part ships (PyYAML falls back to it); the binary part cannot.
            skipped.append(dist.metadata["Name"])
        for path, arcname in [*own, *_metadata_files(dist)]:
            if path.suffix not in _BINARY_SUFFIXES:
                files.setdefault(arcname, path)
    for name, path in user.items():
        if path.is_file():
            files.setdefault(f"{name}.py", path)
        else:
            for file, arcname in _package_files(path, name):
                files.setdefault(arcname, file)
    return sorted(((p, a) for a, p in files.items()), key=lambda item: item[1]), skipped


def executor_code_zip(extra_modules: Iterable[str] = ()) -> Path:
    """Build (or reuse) the zip of the code executors need; return its path.

    ``extra_modules`` are modules of registered transforms: those not installed as a
    distribution (the user's own code) are shipped too.
    """
    shipped = _running_from_zip()
    if shipped is not None:
        return shipped
    with _lock:
        user = dict(_user_imports)
    for module_name in extra_modules:
        top = module_name.split(".")[0]
        if top in user or top == "__main__" or top in sys.stdlib_module_names:
            continue
        if _distribution_of(top) is None and top in sys.modules:
            spec = importlib.util.find_spec(top)
            if spec is not None and spec.submodule_search_locations:
                user[top] = Path(next(iter(spec.submodule_search_locations)))
            elif spec is not None and spec.origin and spec.origin.endswith(".py"):
                user[top] = Path(spec.origin)
    files, skipped = _contents(user)
    digest = hashlib.sha256()
    for path, arcname in files:
        # Names, sizes and modification times: an edited or upgraded file changes the zip.
        stat = path.stat()
        digest.update(f"{arcname}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    target = tauro_cache() / "executor-code" / f"tauro-executor-{digest.hexdigest()[:16]}.zip"
    if target.exists():
        return target
    if skipped:
        logger.info(
            "Shipped to executors without their compiled modules (install them there if they need them): {}",
            ", ".join(skipped),
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: a concurrent builder never sees half a zip.
    handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".zip.tmp")
    os.close(handle)
    with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, arcname in files:
            archive.write(path, arcname)
    os.replace(temp, target)
    logger.info("Executor code: {} ({} files, {:.1f} MB)", target, len(files), target.stat().st_size / 1e6)
    return target


def _running_from_zip() -> Path | None:
    """The zip Tauro itself was imported from (``--py-files`` of spark-submit), if any: it is
    the code to ship, and its files cannot be read one by one."""
    for folder in Path(tauro.__file__).parents:
        if folder.suffix == ".zip" and folder.is_file():
            return folder
    return None


def runs_beyond_this_host(master: str) -> bool:
    """True for masters whose executors may run another Python than the driver's."""
    return not master.startswith("local")


def ship_executor_code(spark: Any, extra_modules: Iterable[str] = ()) -> Path | None:
    """Make Tauro's code and the user's importable on the executors of a cluster session.

    A no-op on ``local[*]`` (its workers run the driver's interpreter). Shipped once per
    session and content; a later call with new user modules ships a new zip.
    """
    if is_connect(spark):
        _ship_to_connect_server(spark, extra_modules)
        return None
    context = spark.sparkContext
    if not runs_beyond_this_host(str(context.master)):
        return None
    archive = executor_code_zip(extra_modules)
    submitted = context.getConf().get("spark.submit.pyFiles", "") or ""
    with _lock:
        shipped = _shipped.setdefault(id(context), set())
        if archive.name in shipped:
            return archive
        shipped.add(archive.name)
    if archive.name not in {Path(p).name for p in submitted.split(",") if p}:
        context.addPyFile(str(archive))
    # Python data sources are planned in a Python process the driver's JVM starts with the
    # workers' interpreter; PYTHONPATH, passed to every Python worker, lets it import Tauro.
    current = context.environment.get("PYTHONPATH")
    context.environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(archive), current]))
    logger.info("Shipped {} to the executors of {}", archive.name, context.master)
    return archive


def _ship_to_connect_server(spark: Any, extra_modules: Iterable[str]) -> None:
    """Over Spark Connect: pickle the user's modules by value, so UDFs reach the server with
    their code.

    Measured on Spark 4.2, session artifacts (``addArtifacts(pyfile=True)``) reach a Connect
    server's Python workers for batch queries but not for streaming ones, nor its foreachBatch
    runner or the planner of Python data sources (validation refuses what needs those). A UDF
    pickled by value needs nothing on the server but pyspark. Modules: ``--import`` ones and
    those of registered transforms that are not installed distributions.
    """
    from pyspark import cloudpickle  # pyspark is heavy: only for a Connect session

    with _lock:
        names = set(_user_imports)
    for module_name in extra_modules:
        top = module_name.split(".")[0]
        if top != "__main__" and top not in sys.stdlib_module_names and _distribution_of(top) is None:
            names.add(top)
    for name in sorted(names):
        module = sys.modules.get(name)
        if module is None or name.split(".")[0] in ("tauro", "pyspark"):
            continue
        with _lock:
            if name in _by_value:
                continue
            _by_value.add(name)
        cloudpickle.register_pickle_by_value(module)
        logger.info("Spark Connect: functions of module '{}' are sent with their code", name)
