"""Fixtures of the kinesis tests: the emulators, started once per session on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .emulators import kinesis_mock, moto_server


@pytest.fixture(scope="session")
def kinesis_endpoint() -> Iterator[str]:
    """kinesis-mock (reshards like the service)."""
    with kinesis_mock() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto in process (Kinesis and STS; no resharding like the service)."""
    with moto_server() as endpoint:
        yield endpoint
