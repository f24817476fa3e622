"""The Ivy settings Tauro gives the sessions it builds: Maven Central, never ~/.m2."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tauro.ivy_settings import CENTRAL, ivy_settings_file


def test_the_chain_asks_maven_central_and_not_the_local_maven_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAURO_CACHE", str(tmp_path))
    path = Path(ivy_settings_file())
    assert path.parent == tmp_path / "ivy"
    root = ET.parse(path).getroot()
    resolvers = root.find("resolvers")
    assert resolvers is not None
    roots = [r.get("root") for r in resolvers.iter("ibiblio")]
    assert roots == [CENTRAL]
    assert ".m2" not in path.read_text()
    assert root.find("settings").get("defaultResolver") == "tauro"  # type: ignore[union-attr]
    assert ivy_settings_file() == str(path)  # rewritten only when it changes
