"""Developer sessions. Virtualenvs and the pyspark wheel are cached under ~/.cache/tauro.

pyspark 4.2.0 ships as a ~450 MB source distribution: its wheel is built once into the cache
and every fresh virtualenv installs from there.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import nox

ROOT = Path(__file__).parent
CACHE = Path(os.environ.get("TAURO_CACHE", Path.home() / ".cache" / "tauro"))
WHEELS = CACHE / "wheels"
PYSPARK = "pyspark==4.2.0"
CORE = ROOT / "tauro-core"
# Plugin family distributions present in the repository (each added by its own issue).
FAMILIES = sorted(
    p.name
    for p in ROOT.glob("tauro-*")
    if p.is_dir() and p.name != "tauro-core" and (p / "pyproject.toml").exists()
)
# confluent-kafka: the tests' own producer/consumer/admin client for the real broker.
TEST_DEPS = ["pytest>=8", "pytest-timeout>=2.3", "confluent-kafka>=2.6"]
# tests/kinesis: boto3 drives the emulators, moto[server] is the in-process Kinesis/STS emulator.
# (kinesis-mock, the npm package kinesis-local, is installed by the tests' fixture on first use.)
TEST_DEPS += ["boto3>=1.34", "moto[server]>=5"]
# jsonschema: tests check example configs against the JSON Schema `tauro schema` prints.
TEST_DEPS += ["jsonschema>=4.18"]
# opentelemetry-sdk: the tracing tests record spans with the SDK's InMemorySpanExporter
# (the plugins themselves need only the API; prometheus-client comes with tauro-prometheus).
TEST_DEPS += ["opentelemetry-sdk>=1.25"]

# tests/delta/test_connect.py: the Spark Connect client (pyspark's Connect mode imports them);
# the same pins as tauro-core's `connect` extra.
CONNECT_DEPS = [
    "grpcio>=1.76.0",
    "grpcio-status>=1.76.0",
    "googleapis-common-protos>=1.71.0",
    "zstandard>=0.25.0",
]
TEST_DEPS += CONNECT_DEPS
# Families a family's tests use as sinks (Kafka and Kinesis tests write files). The family's
# install-alone test checks that it works without them.
TEST_FAMILIES = {
    "tauro-delta": ("tauro-files", "tauro-kafka"),  # files -> Delta, Kafka -> Delta
    "tauro-kafka": ("tauro-files",),
    "tauro-kinesis": ("tauro-files",),
}
# maven-dependency-plugin's default (2.8) follows test-scoped test-jars of dependencies, which
# Maven Central does not serve for Spark's Kafka token provider; 3.x resolves like Ivy does.
MVN_GET = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:get"

nox.options.envdir = str(CACHE / "nox")
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "typecheck", "tests"]


def pyspark_wheel(session: nox.Session) -> None:
    """Build the pyspark wheel once; later installs come from the cache."""
    WHEELS.mkdir(parents=True, exist_ok=True)
    if not list(WHEELS.glob("pyspark-4.2.0-*.whl")):
        session.run("python", "-m", "pip", "wheel", "--no-deps", PYSPARK, "-w", str(WHEELS))


def install(session: nox.Session, *args: str) -> None:
    session.install("--find-links", str(WHEELS), *args)


def install_repo(session: nox.Session, editable: bool = True, families: bool = True) -> None:
    pyspark_wheel(session)
    flag = ["-e"] if editable else []
    install(session, *flag, str(CORE))
    for family in FAMILIES if families else []:
        install(session, *flag, str(ROOT / family))


def prefetch_jars(session: nox.Session) -> None:
    """Fetch the Maven packages the installed plugins contribute into ~/.m2 with mvn, where
    Spark's Ivy resolution looks first (and fails clearly here rather than mid-test)."""
    if shutil.which("mvn") is None:
        session.warn("mvn not found: Spark will resolve plugin packages itself at session start")
        return
    code = (
        "from tauro.session import plugin_spark_settings; print(' '.join(plugin_spark_settings().packages))"
    )
    packages = session.run("python", "-c", code, silent=True) or ""
    for package in str(packages).split():
        session.run("mvn", "-q", MVN_GET, f"-Dartifact={package}", external=True)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run(
        "ruff",
        "check",
        "tauro-core/src",
        *(f"{f}/src" for f in FAMILIES),
        "tests",
        "benchmarks",
        "noxfile.py",
    )


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    install_repo(session)
    session.install("mypy>=1.10", "types-PyYAML", "pytest>=8")
    session.run("mypy")


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The full test suite (real local Spark). Extra arguments go to pytest."""
    install_repo(session)
    install(session, *TEST_DEPS)
    prefetch_jars(session)
    session.run("python", "-m", "pytest", *session.posargs, env={"TAURO_CACHE": str(CACHE)})


@nox.session(python="3.11")
@nox.parametrize("dist", FAMILIES or ["tauro-core"])
def isolated(session: nox.Session, dist: str) -> None:
    """One distribution installed alone with tauro-core (not editable): it must list itself in
    `tauro plugins` and pass its own tests without the other families (bar TEST_FAMILIES)."""
    install_repo(session, editable=False, families=False)
    if dist != "tauro-core":
        install(session, str(ROOT / dist), *(str(ROOT / f) for f in TEST_FAMILIES.get(dist, ())))
    install(session, *TEST_DEPS)
    prefetch_jars(session)
    session.run("tauro", "plugins", "--json")
    family = dist.removeprefix("tauro-")
    tests = ROOT / "tests" / ("core" if dist == "tauro-core" else family)
    session.run("python", "-m", "pytest", str(tests), *session.posargs, env={"TAURO_CACHE": str(CACHE)})


@nox.session(python="3.11")
def demo(session: nox.Session) -> None:
    """The medallion demo on an embedded local Spark: JSON event files -> bronze -> silver ->
    latest per user and gold, all Delta tables; no external service needed.
    `nox -s demo -- --events 100000` generates more input."""
    install_repo(session)
    base = CACHE / "medallion"
    # A demo starts from scratch; real pipelines keep their checkpoints and resume.
    shutil.rmtree(base, ignore_errors=True)
    landing = base / "landing"
    example = ROOT / "examples" / "medallion"
    session.run("python", str(example / "generate.py"), str(landing), *session.posargs)
    session.run(
        "tauro",
        "run",
        str(example / "pipeline.yaml"),
        "--import",
        str(example / "transforms.py"),
        "--context",
        str(example / "context.yaml"),
        env={"TAURO_DEMO_BASE": str(base), "LANDING": str(landing)},
    )
    session.run("python", str(example / "summary.py"), str(base / "warehouse"))


@nox.session(name="memory-demo", python="3.11")
def memory_demo(session: nox.Session) -> None:
    """The in-memory demo: core formats only, on an embedded local Spark."""
    install_repo(session)
    base = CACHE / "demo"
    shutil.rmtree(base, ignore_errors=True)
    session.run(
        "tauro",
        "run",
        "examples/demo/pipeline.yaml",
        "--import",
        "examples/demo/transforms.py",
        "--context",
        "examples/demo/context.yaml",
        *session.posargs,
        env={"TAURO_DEMO_BASE": str(base)},
    )


@nox.session(venv_backend="none")
def kafka(session: nox.Session) -> None:
    """The development Kafka broker: `nox -s kafka -- start|stop|status [--port N]`."""
    session.run("python3", str(ROOT / "scripts" / "kafka_broker.py"), *(session.posargs or ["status"]))


@nox.session(name="kafka-demo", python="3.11")
def kafka_demo(session: nox.Session) -> None:
    """The demo through a real Kafka broker (started here unless one listens on the port)."""
    install_repo(session)
    prefetch_jars(session)
    port = os.environ.get("TAURO_KAFKA_PORT", "9092")
    broker = ["python", str(ROOT / "scripts" / "kafka_broker.py")]
    running = session.run(*broker, "status", "--port", port, success_codes=[0, 1], silent=True)
    started = "not running" in str(running)
    if started:
        session.run(*broker, "start", "--port", port)
    base = CACHE / "kafka-demo"
    shutil.rmtree(base, ignore_errors=True)
    try:
        session.run(
            "tauro",
            "run",
            "examples/kafka-demo/pipeline.yaml",
            "--import",
            "examples/demo/transforms.py",
            "--context",
            "examples/kafka-demo/context.yaml",
            "--var",
            f"RUN={uuid.uuid4().hex[:8]}",
            *session.posargs,
            env={"TAURO_DEMO_BASE": str(base), "KAFKA_BOOTSTRAP": f"127.0.0.1:{port}"},
        )
    finally:
        if started:
            session.run(*broker, "stop", "--port", port)


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Benchmarks: print figures for docs/benchmarks.md. Never part of the test run."""
    install_repo(session)
    install(session, "confluent-kafka>=2.6")  # bench_kafka fills its topic with it
    # bench_connect: a Connect client, and the tests' Connect server helpers (they use pytest).
    install(session, *CONNECT_DEPS, "pytest>=8")
    prefetch_jars(session)
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        if session.posargs and script.stem not in session.posargs:
            continue
        session.run("python", str(script))
