"""The kinesis family against the format conformance suite (``tauro.testing``), on kinesis-mock."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest

from tauro.testing import FormatConformance

from .emulators import ACCESS_KEY_ID, REGION, create_stream

ROWS = [{"id": 1, "name": "alpha"}, {"id": 2, "name": "beta"}, {"id": 3, "name": "gamma"}]
CONNECTION = {
    "streamName": "{stream}",
    "endpointUrl": "{endpoint}",
    "region": REGION,
    "awsAccessKeyId": ACCESS_KEY_ID,
    "awsSecretKey": "{secret}",
}


class TestKinesisConformance(FormatConformance):
    format = "kinesis"
    plugin = "kinesis"
    input: ClassVar[dict[str, Any]] = {
        "options": {**CONNECTION, "startingPosition": "TRIM_HORIZON"},
        "parse_json": True,
        "json_schema": "id BIGINT, name STRING",
    }
    output: ClassVar[dict[str, Any]] = {"options": CONNECTION}
    required_input_fields = ("options.streamName",)
    required_output_fields = ("options.streamName",)
    secret_options: ClassVar[dict[str, str]] = {"awsSecretKey": "conformance-aws-s3cret"}
    # The sink writes the data column with the partitionKey column; the source parses data back.
    sample_rows: ClassVar[list[dict[str, Any]]] = [
        {"data": json.dumps(r), "partitionKey": str(r["id"])} for r in ROWS
    ]
    sample_schema = "data STRING, partitionKey STRING"
    expected_rows = ROWS

    @pytest.fixture
    def target(self, kinesis_endpoint: str) -> dict[str, Any]:
        from .emulators import SECRET_KEY

        return {
            "endpoint": kinesis_endpoint,
            "stream": create_stream(kinesis_endpoint, 1),
            "secret": SECRET_KEY,
        }
