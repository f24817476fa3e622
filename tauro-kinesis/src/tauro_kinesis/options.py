"""Option names, defaults and Kinesis limits shared by validators, source and sink.

Options are compared case-insensitively, as Spark does. Everything here is plain Python: the
validators run without Spark or boto3, and the settings travel pickled to the Python workers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

FORMAT: Final = "kinesis"

# -- where the stream is -------------------------------------------------------------------------
STREAM_NAME: Final = "streamName"
STREAM_ARN: Final = "streamARN"
REGION: Final = "region"
ENDPOINT_URL: Final = "endpointUrl"
STS_ENDPOINT_URL: Final = "stsEndpointUrl"

# -- credentials (none: boto3's default chain) ---------------------------------------------------
PROFILE: Final = "awsProfile"
ROLE_ARN: Final = "roleArn"
ROLE_SESSION_NAME: Final = "roleSessionName"
ROLE_EXTERNAL_ID: Final = "roleExternalId"
ACCESS_KEY_ID: Final = "awsAccessKeyId"
SECRET_KEY: Final = "awsSecretKey"
SESSION_TOKEN: Final = "awsSessionToken"

# -- the source ----------------------------------------------------------------------------------
STARTING_POSITION: Final = "startingPosition"
STARTING_TIMESTAMP: Final = "startingTimestamp"
MAX_RECORDS_PER_SHARD: Final = "maxRecordsPerShard"
STARTING_POSITIONS: Final = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
DEFAULT_STARTING_POSITION: Final = "LATEST"
DEFAULT_MAX_RECORDS_PER_SHARD: Final = 10_000

# -- the sink ------------------------------------------------------------------------------------
DATA_COLUMN: Final = "dataColumn"
PARTITION_KEY_COLUMN: Final = "partitionKeyColumn"
EXPLICIT_HASH_KEY_COLUMN: Final = "explicitHashKeyColumn"
MAX_RECORDS_PER_REQUEST: Final = "maxRecordsPerRequest"
MAX_RETRIES: Final = "maxRetries"
RETRY_BACKOFF_MS: Final = "retryBackoffMs"
DEFAULT_DATA_COLUMN: Final = "data"
DEFAULT_PARTITION_KEY_COLUMN: Final = "partitionKey"
DEFAULT_MAX_RETRIES: Final = 10
DEFAULT_RETRY_BACKOFF_MS: Final = 100

# -- Kinesis service limits ----------------------------------------------------------------------
#: PutRecords: at most 500 records and 5 MiB per call; 1 MiB per record (data + partition key).
PUT_RECORDS_MAX_COUNT: Final = 500
PUT_RECORDS_MAX_BYTES: Final = 5 * 1024 * 1024
RECORD_MAX_BYTES: Final = 1024 * 1024
PARTITION_KEY_MAX_CHARS: Final = 256
#: GetRecords returns at most 10,000 records per call.
GET_RECORDS_MAX_LIMIT: Final = 10_000

CONNECTION_OPTIONS: Final = (
    STREAM_NAME,
    STREAM_ARN,
    REGION,
    ENDPOINT_URL,
    STS_ENDPOINT_URL,
    PROFILE,
    ROLE_ARN,
    ROLE_SESSION_NAME,
    ROLE_EXTERNAL_ID,
    ACCESS_KEY_ID,
    SECRET_KEY,
    SESSION_TOKEN,
)
SOURCE_OPTIONS: Final = (*CONNECTION_OPTIONS, STARTING_POSITION, STARTING_TIMESTAMP, MAX_RECORDS_PER_SHARD)
SINK_OPTIONS: Final = (
    *CONNECTION_OPTIONS,
    DATA_COLUMN,
    PARTITION_KEY_COLUMN,
    EXPLICIT_HASH_KEY_COLUMN,
    MAX_RECORDS_PER_REQUEST,
    MAX_RETRIES,
    RETRY_BACKOFF_MS,
)

#: The source's columns, in order (``data`` is what ``parse_json`` parses).
SOURCE_SCHEMA: Final = (
    "data BINARY, partitionKey STRING, sequenceNumber STRING, approximateArrivalTimestamp TIMESTAMP, "
    "shardId STRING, streamName STRING"
)

STREAM_ARN_PATTERN: Final = re.compile(
    r"arn:aws[a-z-]*:kinesis:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):stream/(?P<name>[A-Za-z0-9_.-]{1,128})"
)


def lookup(options: Mapping[str, Any], name: str) -> tuple[str, str] | None:
    """(the key as the user spelled it, the value as text) of a case-insensitive option."""
    for key, value in options.items():
        if str(key).lower() == name.lower() and value is not None:
            return str(key), str(value)
    return None


def value_of(options: Mapping[str, Any], name: str) -> str | None:
    found = lookup(options, name)
    return found[1] if found else None


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach the stream: plain strings, picklable, carried to the Python workers.

    ``repr`` hides the secret key and session token.
    """

    stream_name: str | None = None
    stream_arn: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    sts_endpoint_url: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    role_session_name: str | None = None
    role_external_id: str | None = None
    access_key_id: str | None = None
    secret_key: str | None = None
    session_token: str | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ConnectionSettings:
        names = dict(zip([f.name for f in fields(cls)], CONNECTION_OPTIONS))
        return cls(**{attr: value_of(options, option) for attr, option in names.items()})

    @property
    def stream(self) -> str:
        """The stream's name (from the ARN when only the ARN is given)."""
        if self.stream_name:
            return self.stream_name
        match = STREAM_ARN_PATTERN.fullmatch(self.stream_arn or "")
        return match["name"] if match else str(self.stream_arn)

    @property
    def stream_args(self) -> dict[str, str]:
        """The stream parameter of a Kinesis API call (StreamARN wins when given)."""
        return {"StreamARN": self.stream_arn} if self.stream_arn else {"StreamName": self.stream}

    @property
    def region_name(self) -> str | None:
        """The region given, else the ARN's, else None (boto3's own configuration decides)."""
        if self.region:
            return self.region
        match = STREAM_ARN_PATTERN.fullmatch(self.stream_arn or "")
        return match["region"] if match else None

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        for secret in ("secret_key", "session_token"):
            if secret in shown:
                shown[secret] = "***"
        return f"ConnectionSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


def whole_number(options: Mapping[str, Any], name: str, default: int) -> int:
    """A whole-number option, or ``default`` when unset (``check_*_options`` vetted the text)."""
    text = value_of(options, name)
    return default if text is None else int(text.strip())


#: Why Kinesis cannot run on a Spark Connect server.
OVER_CONNECT = (
    "Kinesis is a Python data source whose planner runs in the Spark Connect server's Python, "
    "which cannot import tauro-kinesis; run this pipeline on a classic Spark session"
)
