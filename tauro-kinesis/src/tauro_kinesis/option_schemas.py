"""What ``tauro schema`` shows editors for Kinesis options, built from the names in ``options``.

The validators report any other option, so both schemas are closed.
"""

from __future__ import annotations

from typing import Any

from tauro.plugin import int_option, options_object, text_option
from tauro_kinesis.options import (
    ACCESS_KEY_ID,
    CONNECTION_OPTIONS,
    DATA_COLUMN,
    DEFAULT_DATA_COLUMN,
    DEFAULT_MAX_RECORDS_PER_SHARD,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PARTITION_KEY_COLUMN,
    DEFAULT_RETRY_BACKOFF_MS,
    DEFAULT_STARTING_POSITION,
    ENDPOINT_URL,
    EXPLICIT_HASH_KEY_COLUMN,
    MAX_RECORDS_PER_REQUEST,
    MAX_RECORDS_PER_SHARD,
    MAX_RETRIES,
    PARTITION_KEY_COLUMN,
    PROFILE,
    PUT_RECORDS_MAX_COUNT,
    REGION,
    RETRY_BACKOFF_MS,
    ROLE_ARN,
    SECRET_KEY,
    SESSION_TOKEN,
    STARTING_POSITION,
    STARTING_POSITIONS,
    STARTING_TIMESTAMP,
    STREAM_ARN,
    STREAM_NAME,
    STS_ENDPOINT_URL,
)

_CONNECTION_TEXT = {
    STREAM_NAME: "The stream's name (or give streamARN).",
    STREAM_ARN: "The stream's ARN (or give streamName).",
    REGION: "AWS region (default: from the ARN, else boto3's configuration).",
    ENDPOINT_URL: "Kinesis endpoint URL (an emulator, a VPC endpoint).",
    STS_ENDPOINT_URL: "STS endpoint URL for roleArn.",
    PROFILE: "AWS profile of the shared credentials file.",
    ROLE_ARN: "IAM role to assume.",
    ACCESS_KEY_ID: "Access key id (with awsSecretKey).",
    SECRET_KEY: "Secret key (redacted in logs and messages; prefer ${VAR}).",
    SESSION_TOKEN: "Session token of temporary credentials (redacted).",
}


def _connection() -> dict[str, dict[str, Any]]:
    return {
        name: text_option(_CONNECTION_TEXT.get(name, f"Kinesis option {name}."))
        for name in CONNECTION_OPTIONS
    }


SOURCE_SCHEMA = options_object(
    {
        **_connection(),
        STARTING_POSITION: text_option(
            "Where a new query starts.", default=DEFAULT_STARTING_POSITION, choices=STARTING_POSITIONS
        ),
        STARTING_TIMESTAMP: text_option("With AT_TIMESTAMP: an ISO-8601 time."),
        MAX_RECORDS_PER_SHARD: int_option(
            "Most records per shard per micro-batch.", minimum=1, default=DEFAULT_MAX_RECORDS_PER_SHARD
        ),
    },
    closed=True,
)
SINK_SCHEMA = options_object(
    {
        **_connection(),
        DATA_COLUMN: text_option("The column holding each record's data.", default=DEFAULT_DATA_COLUMN),
        PARTITION_KEY_COLUMN: text_option(
            "The column holding the partition key.", default=DEFAULT_PARTITION_KEY_COLUMN
        ),
        EXPLICIT_HASH_KEY_COLUMN: text_option("A column holding explicit hash keys."),
        MAX_RECORDS_PER_REQUEST: int_option(
            "Records per PutRecords call.",
            minimum=1,
            maximum=PUT_RECORDS_MAX_COUNT,
            default=PUT_RECORDS_MAX_COUNT,
        ),
        MAX_RETRIES: int_option(
            "Retries of failed records and throttled calls.", default=DEFAULT_MAX_RETRIES
        ),
        RETRY_BACKOFF_MS: int_option(
            "First retry wait, in milliseconds.", minimum=1, default=DEFAULT_RETRY_BACKOFF_MS
        ),
    },
    closed=True,
)
