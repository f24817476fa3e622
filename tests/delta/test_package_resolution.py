"""Spark packages resolve whatever the local Maven repository holds, and without network once
fetched. With POM-only entries planted in the Maven repository Java's ``user.home`` points at and
an empty Ivy cache, Spark's default resolver fails (the control) while ``tauro fetch-packages``
fetches the medallion demo's packages; the demo then runs with the network blocked
(``unshare -rn``), from Ivy's cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

DEMO = REPO / "examples" / "medallion"
EVENTS = 1_000
# Artifacts Maven leaves as a bare POM after a lost version conflict; Spark's default Ivy chain
# reads ~/.m2 first and stops at them with "download failed".
POM_ONLY = (
    ("org.slf4j", "slf4j-api", "2.0.13"),
    ("org.xerial.snappy", "snappy-java", "1.1.10.7"),
    ("com.google.code.findbugs", "jsr305", "3.0.2"),
)


def plant_pom_only(m2: Path) -> None:
    for group, artifact, version in POM_ONLY:
        folder = m2 / "repository" / Path(*group.split(".")) / artifact / version
        folder.mkdir(parents=True)
        (folder / f"{artifact}-{version}.pom").write_text(
            "<project><modelVersion>4.0.0</modelVersion>"
            f"<groupId>{group}</groupId><artifactId>{artifact}</artifactId>"
            f"<version>{version}</version></project>"
        )


def offline_available() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


def spark_submit() -> str:
    from tauro.package_fetch import spark_submit as path

    return str(path())


@pytest.mark.timeout(600)
def test_demo_packages_fetch_past_pom_only_maven_entries_then_run_offline(tmp_path: Path) -> None:
    if not offline_available():
        # CI's machines allow it: there a missing unshare is a failure, not a quiet skip.
        message = "unshare -rn (util-linux) and ip (iproute2) are needed to block the network"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    home = tmp_path / "home"
    plant_pom_only(home / ".m2")
    landing, base = tmp_path / "landing", tmp_path / "demo"
    subprocess.run(
        [sys.executable, str(DEMO / "generate.py"), str(landing), "--events", str(EVENTS), "--files", "2"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    env = {
        **os.environ,
        "HOME": str(home),  # Ivy's cache (~/.ivy2.5.2) starts empty
        "TAURO_CACHE": str(tmp_path / "cache"),
        "TAURO_DEMO_BASE": str(base),
        "LANDING": str(landing),
        "JAVA_TOOL_OPTIONS": f"-Duser.home={home}",
        "PYSPARK_PYTHON": sys.executable,
    }
    tauro = Path(sys.executable).parent / "tauro"
    context = ["--context", str(DEMO / "context.yaml")]
    # The control, beside the fetch: Spark's own resolver, same entries, its own empty cache.
    (tmp_path / "empty.py").write_text("")
    control = subprocess.Popen(
        [spark_submit(), "--packages", "io.delta:delta-spark_4.2_2.13:4.4.0", "--conf",
         f"spark.jars.ivy={tmp_path / 'control-ivy'}", str(tmp_path / "empty.py")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    fetch = subprocess.run(
        [str(tauro), "fetch-packages", str(DEMO / "pipeline.yaml"), *context],
        env=env, capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    control_output, _ = control.communicate(timeout=400)
    assert control.returncode != 0, "Spark's default resolver coped with the POM-only entries"
    assert "local-m2-cache" in control_output and "FAILED DOWNLOADS" in control_output
    assert fetch.returncode == 0, fetch.stdout[-2000:] + fetch.stderr[-3000:]
    assert "fetched io.delta:delta-spark_4.2_2.13:4.4.0" in fetch.stdout
    # No network at all: only the loopback the driver talks to itself on.
    run = f"{tauro} run {DEMO / 'pipeline.yaml'} --import {DEMO / 'transforms.py'} {' '.join(context)}"
    summary = f"{sys.executable} {DEMO / 'summary.py'} {base / 'warehouse'}"
    offline = f"ip link set lo up && {run} && {summary}"
    second = subprocess.run(
        ["unshare", "-rn", "sh", "-c", offline], env=env, capture_output=True, text=True, timeout=400
    )
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    assert "completed" in second.stdout
    sys.path.insert(0, str(DEMO))
    try:
        from generate import expected
    finally:
        sys.path.remove(str(DEMO))
    tables = dict(
        line.split()
        for line in second.stdout.split("rows per table")[1].split("silver expectations")[0].splitlines()
        if line.strip()
    )
    counts = {table: int(rows.replace(",", "")) for table, rows in tables.items()}
    assert {t: counts[t] for t in expected(EVENTS)} == expected(EVENTS)
