"""Every kinesis validation rule, through core's validator (no SparkSession, no emulator)."""

from __future__ import annotations

from typing import Any

import pytest

from tauro.redaction import REDACTED, is_secret_key, redact
from tauro.streaming.constants import STREAMING_FORMAT_CONFIGS
from tauro.streaming.exceptions import StreamingValidationError
from tauro.streaming.validators import StreamingValidator
from tauro_kinesis.options import ConnectionSettings
from tauro_kinesis.source import KinesisDataSource, KinesisOptionsError
from tauro_kinesis.validators import check_sink_options, parse_timestamp_ms

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLE-session-token-value"
BASE = {"streamName": "orders", "region": "eu-west-1"}


def node(
    source: dict[str, Any] | None = None,
    sink: dict[str, Any] | None = None,
    *,
    input_extra: dict[str, Any] | None = None,
    output_extra: dict[str, Any] | None = None,
    streaming: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "name": "n",
        "input": {"format": "kinesis", "options": {**BASE, **(source or {})}, **(input_extra or {})},
        "output": {
            "format": "kinesis",
            "options": {**BASE, "streamName": "out", **(sink or {})},
            **(output_extra or {}),
        },
        "streaming": {"trigger": {"type": "available_now"}, **(streaming or {})},
    }


def problems(spec: dict[str, Any]) -> dict[str, str]:
    report = StreamingValidator().check_node(spec, require_output=True)
    return {p.field or "": p.message for p in report.problems}


def only_problem(spec: dict[str, Any]) -> tuple[str, str]:
    found = problems(spec)
    assert len(found) == 1, found
    return next(iter(found.items()))


def test_a_valid_node_has_no_problems_or_warnings() -> None:
    report = StreamingValidator().check_node(node(), require_output=True)
    assert (report.problems, report.warnings) == ([], [])
    assert STREAMING_FORMAT_CONFIGS["kinesis"]["reader"] is True
    assert STREAMING_FORMAT_CONFIGS["kinesis"]["writer"] is True


def test_every_documented_option_is_accepted() -> None:
    source = {
        "startingPosition": "AT_TIMESTAMP",
        "startingTimestamp": "2026-01-31T12:00:00Z",
        "maxRecordsPerShard": "500",
        "endpointUrl": "https://vpce-1.kinesis.eu-west-1.vpce.amazonaws.com",
        "stsEndpointUrl": "https://sts.eu-west-1.amazonaws.com",
        "roleArn": "arn:aws:iam::123456789012:role/reader",
        "roleSessionName": "tauro-orders",
        "roleExternalId": "ext-42",
        "awsAccessKeyId": "AKIAEXAMPLE",
        "awsSecretKey": SECRET,
        "awsSessionToken": TOKEN,
    }
    sink = {
        "dataColumn": "payload",
        "partitionKeyColumn": "key",
        "explicitHashKeyColumn": "hash",
        "maxRecordsPerRequest": "250",
        "maxRetries": "0",
        "retryBackoffMs": "50",
        "awsProfile": "prod",
    }
    assert problems(node(source, sink)) == {}


# (source options, expected field, words the message must contain)
SOURCE_RULES = [
    ({"streamName": None}, "input.options.streamName", "is required: the name of the Kinesis stream"),
    (
        {"streamARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/orders"},
        "input.options.streamARN",
        "give either streamName or streamARN, not both",
    ),
    ({"streamName": "bad name!"}, "input.options.streamName", "is not a Kinesis stream name"),
    (
        {"streamName": None, "streamARN": "arn:aws:s3:::bucket"},
        "input.options.streamARN",
        "is not a Kinesis stream ARN",
    ),
    ({"region": None}, "input.options.region", "is required: the AWS region of the stream"),
    ({"region": "Europe"}, "input.options.region", "is not an AWS region name such as eu-west-1"),
    (
        {"streamName": None, "streamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/orders"},
        "input.options.region",
        "differs from the region in streamARN ('us-east-1')",
    ),
    ({"endpointUrl": "localhost:4568"}, "input.options.endpointUrl", "is not an http(s) URL"),
    ({"stsEndpointUrl": "ftp://sts"}, "input.options.stsEndpointUrl", "is not an http(s) URL"),
    ({"awsAccessKeyId": "AKIA"}, "input.options.awsSecretKey", "is required with awsAccessKeyId"),
    ({"awsSecretKey": SECRET}, "input.options.awsAccessKeyId", "is required with awsSecretKey"),
    (
        {"awsSessionToken": TOKEN},
        "input.options.awsSessionToken",
        "is only used with awsAccessKeyId and awsSecretKey",
    ),
    (
        {"awsProfile": "prod", "awsAccessKeyId": "AKIA", "awsSecretKey": SECRET},
        "input.options.awsProfile",
        "give either a profile or keys",
    ),
    ({"awsProfile": " "}, "input.options.awsProfile", "is empty; name a profile"),
    ({"roleArn": "reader"}, "input.options.roleArn", "is not an IAM role ARN"),
    ({"roleSessionName": "s1"}, "input.options.roleSessionName", "is only used with roleArn"),
    ({"roleExternalId": "x1"}, "input.options.roleExternalId", "is only used with roleArn"),
    (
        {"roleArn": "arn:aws:iam::123456789012:role/r", "roleSessionName": "has space"},
        "input.options.roleSessionName",
        "is not a role session name",
    ),
    (
        {"roleArn": "arn:aws:iam::123456789012:role/r", "roleExternalId": "x"},
        "input.options.roleExternalId",
        "must have 2 to 1224 characters",
    ),
    (
        {"startingPosition": "EARLIEST"},
        "input.options.startingPosition",
        "use TRIM_HORIZON, LATEST, AT_TIMESTAMP",
    ),
    (
        {"startingPosition": "AT_TIMESTAMP"},
        "input.options.startingTimestamp",
        "is required with startingPosition",
    ),
    (
        {"startingTimestamp": "1700000000000"},
        "input.options.startingTimestamp",
        "is only used with startingPosition",
    ),
    (
        {"startingPosition": "AT_TIMESTAMP", "startingTimestamp": "yesterday"},
        "input.options.startingTimestamp",
        "is not a time; use ISO-8601",
    ),
    ({"maxRecordsPerShard": "0"}, "input.options.maxRecordsPerShard", "must be a whole number of at least 1"),
    ({"maxRecordsPerShard": "many"}, "input.options.maxRecordsPerShard", "must be a whole number"),
    ({"maxRecordPerShard": "10"}, "input.options.maxRecordPerShard", "did you mean maxRecordsPerShard?"),
    ({"dataColumn": "payload"}, "input.options.dataColumn", "is not an option of the kinesis source"),
]


@pytest.mark.parametrize(
    ("options", "field", "words"), SOURCE_RULES, ids=[r[1] + ":" + r[2][:20] for r in SOURCE_RULES]
)
def test_source_rules(options: dict[str, Any], field: str, words: str) -> None:
    spec = node()
    spec["input"]["options"] = {k: v for k, v in {**BASE, **options}.items() if v is not None}
    found, message = only_problem(spec)
    assert found == field
    assert words in message
    assert SECRET not in message and TOKEN not in message


SINK_RULES = [
    (
        {"maxRecordsPerRequest": "501"},
        "output.options.maxRecordsPerRequest",
        "from 1 to 500 (Kinesis' limit per call)",
    ),
    ({"maxRetries": "-1"}, "output.options.maxRetries", "must be a whole number of at least 0"),
    ({"retryBackoffMs": "0"}, "output.options.retryBackoffMs", "of at least 1 (milliseconds)"),
    ({"partitionKeyColumn": ""}, "output.options.partitionKeyColumn", "is empty; name a column"),
    (
        {"startingPosition": "LATEST"},
        "output.options.startingPosition",
        "is not an option of the kinesis sink",
    ),
    ({"streamName": None}, "output.options.streamName", "is required"),
]


@pytest.mark.parametrize(("options", "field", "words"), SINK_RULES, ids=[r[1] for r in SINK_RULES])
def test_sink_rules(options: dict[str, Any], field: str, words: str) -> None:
    spec = node()
    spec["output"]["options"] = {k: v for k, v in {**BASE, **options}.items() if v is not None}
    found, message = only_problem(spec)
    assert found == field
    assert words in message


def test_region_may_come_from_the_arn_the_endpoint_or_the_profile() -> None:
    arn = {
        "streamName": None,
        "region": None,
        "streamARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/orders",
    }
    for options in (
        arn,
        {"region": None, "endpointUrl": "http://127.0.0.1:4568"},
        {"region": None, "awsProfile": "p"},
    ):
        spec = node()
        spec["input"]["options"] = {k: v for k, v in {**BASE, **options}.items() if v is not None}
        assert problems(spec) == {}, options
    assert ConnectionSettings.from_options(arn | {"streamName": None}).region_name == "eu-west-1"


def test_section_rules() -> None:
    assert only_problem(node(input_extra={"schema": "x STRING"})) == (
        "input.schema",
        "must not be set: the kinesis source's columns are fixed (data, partitionKey, sequenceNumber, "
        "approximateArrivalTimestamp, shardId, streamName); type the payload with parse_json and json_schema",
    )
    field, message = only_problem(node(input_extra={"path": "/data"}))
    assert (field, message) == (
        "input.path",
        "is not used by kinesis; name the stream in options.streamName and remove path",
    )
    field, message = only_problem(node(output_extra={"partition_by": ["day"]}))
    assert field == "output.partition_by" and "options.partitionKeyColumn" in message
    found = problems(node(streaming={"trigger": {"type": "continuous", "interval": "1 second"}}))
    assert any("does not support continuous processing" in m for m in found.values()), found


def test_sink_columns_are_checked_against_the_dataframe() -> None:
    assert check_sink_options(BASE, columns=["data", "partitionKey"]) == []
    [(field, message)] = check_sink_options({**BASE, "dataColumn": "body"}, columns=["data", "partitionKey"])
    assert field == "options.dataColumn"
    assert "column 'body' is not in the output" in message
    [(field, message)] = check_sink_options(BASE, columns=["value", "partitionKey"])
    assert "column 'data' (the default of options.dataColumn) is not in the output" in message


def test_timestamps() -> None:
    assert parse_timestamp_ms("1700000000123") == 1700000000123
    assert parse_timestamp_ms("2026-01-31T12:00:00Z") == parse_timestamp_ms("2026-01-31T12:00:00")
    assert parse_timestamp_ms("2026-01-31T13:00:00+01:00") == parse_timestamp_ms("2026-01-31T12:00:00Z")


def test_the_data_source_checks_options_without_tauro() -> None:
    # spark.readStream.format("kinesis") used directly gets the same messages.
    source = KinesisDataSource({"streamName": "s", "region": "eu-west-1", "startingPosition": "FIRST"})
    with pytest.raises(
        KinesisOptionsError, match="options.startingPosition: 'FIRST' is not a starting position"
    ):
        source.streamReader(None)


# -- secrets -------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["awsSecretKey", "awsSessionToken"])
def test_secret_options_are_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["awsAccessKeyId", "partitionKey", "partitionKeyColumn", "roleArn", "streamName"]
)
def test_other_options_are_not_secret(key: str) -> None:
    assert not is_secret_key(key)


def test_keys_are_redacted_in_errors_and_config_output() -> None:
    spec = node(
        {"awsAccessKeyId": "AKIAEXAMPLE", "awsSecretKey": SECRET, "awsSessionToken": TOKEN, "region": "x"}
    )
    with pytest.raises(StreamingValidationError) as info:
        StreamingValidator().validate_streaming_node_config(spec)
    text = f"{info.value} {info.value.context} {[str(p) for p in info.value.problems]}"
    assert "options.region" in text
    assert SECRET not in text and TOKEN not in text
    shown = redact(spec)
    assert shown["input"]["options"]["awsSecretKey"] == REDACTED
    assert shown["input"]["options"]["awsSessionToken"] == REDACTED
    assert shown["input"]["options"]["awsAccessKeyId"] == "AKIAEXAMPLE"
    settings = ConnectionSettings.from_options(spec["input"]["options"])
    assert SECRET not in repr(settings) and TOKEN not in repr(settings)
