"""The kinesis sink through Spark (kinesis-mock), and its PutRecords retries with faults injected
at the boto3 client boundary (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from tauro.builtin.memory_source import MemorySpool
from tauro_kinesis.client import new_kinesis_client
from tauro_kinesis.options import ConnectionSettings
from tauro_kinesis.sink import KinesisPutError, SinkSettings, put_all, request_batches

from .emulators import SECRET_KEY, connection_options, create_stream, put_json, read_all
from .helpers import Collected, kinesis_node, run_node


def sink_output(endpoint: str, stream: str, **options: str) -> dict[str, Any]:
    return {"format": "kinesis", "options": {**connection_options(endpoint, stream), **options}}


def test_kinesis_to_kinesis_copies_every_record_once(context: Any, kinesis_endpoint: str) -> None:
    source, target = create_stream(kinesis_endpoint, 3), create_stream(kinesis_endpoint, 2)
    put_json(kinesis_endpoint, source, [{"id": i, "name": f"n{i}"} for i in range(120)])
    # The source's data and partitionKey columns are the sink's defaults.
    query = run_node(
        context, kinesis_node("copy", kinesis_endpoint, source, sink_output(kinesis_endpoint, target))
    )
    copied = read_all(kinesis_endpoint, target)
    assert sorted(json.loads(r["Data"])["id"] for r in copied) == list(range(120))
    assert all(r["PartitionKey"] == str(json.loads(r["Data"])["id"]) for r in copied)
    # Plan and progress output never show the secret key.
    progress = json.dumps(query.recentProgress, default=str)
    assert stream_description_present(progress, source)
    assert SECRET_KEY not in progress


def test_memory_rows_to_kinesis_with_named_columns(
    context: Any, kinesis_endpoint: str, tmp_path: Any
) -> None:
    target = create_stream(kinesis_endpoint, 1)
    MemorySpool(tmp_path / "spool").push([{"id": i, "value": f"v{i}"} for i in range(30)])
    node = {
        "name": "from_memory",
        "input": {
            "format": "memory",
            "schema": "id BIGINT, value STRING",
            "options": {"spool": str(tmp_path / "spool")},
        },
        "output": sink_output(kinesis_endpoint, target, dataColumn="value", partitionKeyColumn="id"),
        "streaming": {"trigger": {"type": "available_now"}},
    }
    run_node(context, node)
    written = read_all(kinesis_endpoint, target)
    assert sorted((r["PartitionKey"], r["Data"]) for r in written) == sorted(
        (str(i), f"v{i}".encode()) for i in range(30)
    )


def test_dead_letters_go_to_a_kinesis_stream(context: Any, kinesis_endpoint: str) -> None:
    source, dead = create_stream(kinesis_endpoint, 1), create_stream(kinesis_endpoint, 1)
    put_json(kinesis_endpoint, source, [{"id": 1, "name": "a"}])
    from .emulators import client

    client(kinesis_endpoint).put_record(StreamName=source, Data=b"{broken", PartitionKey="x")
    sink = Collected()
    node = kinesis_node(
        "dead_to_kinesis",
        kinesis_endpoint,
        source,
        sink.output,
        parse_json=True,
        json_schema="id BIGINT, name STRING",
        dead_letter=sink_output(
            kinesis_endpoint, dead, dataColumn="payload", partitionKeyColumn="sequenceNumber"
        ),
    )
    run_node(context, node)
    assert sink.ids() == [1]
    letters = read_all(kinesis_endpoint, dead)
    assert [r["Data"] for r in letters] == [b"{broken"]
    assert letters[0]["PartitionKey"].isdigit()  # the bad record's sequence number


def test_a_missing_partition_key_column_fails_before_the_query_starts(
    context: Any, kinesis_endpoint: str
) -> None:
    from tauro.streaming.exceptions import StreamingValidationError

    source, target = create_stream(kinesis_endpoint, 1), create_stream(kinesis_endpoint, 1)
    output = sink_output(kinesis_endpoint, target, partitionKeyColumn="partitionKy")
    before = {q.id for q in context.spark.streams.active}
    with pytest.raises(StreamingValidationError) as info:
        run_node(context, kinesis_node("nokey", kinesis_endpoint, source, output))
    assert info.value.field == "output.options.partitionKeyColumn"
    assert "column 'partitionKy' is not in the output (did you mean 'partitionKey'?)" in str(info.value)
    assert {q.id for q in context.spark.streams.active} == before


# -- PutRecords retries, faults injected with botocore event hooks (moto) ------------------------
@pytest.fixture
def moto_stream(moto_endpoint: str) -> str:
    return create_stream(moto_endpoint, 2)


def settings_for(endpoint: str, stream: str, **extra: Any) -> SinkSettings:
    defaults: dict[str, Any] = {
        "data_column": "data",
        "partition_key_column": "partitionKey",
        "explicit_hash_key_column": None,
        "max_records_per_request": 500,
        "max_retries": 10,
        "retry_backoff_ms": 1,
    }
    connection = ConnectionSettings.from_options(connection_options(endpoint, stream))
    return SinkSettings(connection=connection, **{**defaults, **extra})


def rows(count: int) -> Iterator[dict[str, Any]]:
    return ({"data": json.dumps({"id": i}).encode(), "partitionKey": str(i)} for i in range(count))


class PartialFailure:
    """Fail every ``every``-th record of the first ``calls`` PutRecords calls, the way Kinesis does:
    the record is not written and its result entry carries an ErrorCode."""

    def __init__(self, kinesis: Any, every: int, calls: int) -> None:
        self.every, self.calls, self.seen, self.failed = every, calls, 0, 0
        self._dropped: list[int] = []
        kinesis.meta.events.register("before-parameter-build.kinesis.PutRecords", self.drop)
        kinesis.meta.events.register("after-call.kinesis.PutRecords", self.report)

    def drop(self, params: dict[str, Any], **_: Any) -> None:
        self.seen += 1
        self._dropped = []
        if self.seen > self.calls:
            return
        records = params["Records"]
        self._dropped = [i for i in range(len(records)) if i % self.every == 0]
        params["Records"] = [r for i, r in enumerate(records) if i % self.every != 0]

    def report(self, parsed: dict[str, Any], **_: Any) -> None:
        results = list(parsed.get("Records", []))
        for index in self._dropped:
            results.insert(
                index, {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "injected"}
            )
        self.failed += len(self._dropped)
        parsed["Records"] = results
        parsed["FailedRecordCount"] = len(self._dropped)


def throttle_first_calls(kinesis: Any, calls: int) -> list[int]:
    """Answer the first ``calls`` PutRecords calls with ProvisionedThroughputExceededException."""
    count = [0]

    def answer(**_: Any) -> Any:
        count[0] += 1
        if count[0] > calls:
            return None
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded (injected)"}
        return AWSResponse("http://injected", 400, {}, None), {"Error": error, "ResponseMetadata": {}}

    kinesis.meta.events.register("before-call.kinesis.PutRecords", answer)
    return count


def landed_ids(endpoint: str, stream: str) -> list[int]:
    return sorted(json.loads(r["Data"])["id"] for r in read_all(endpoint, stream))


def test_failed_records_of_a_partial_failure_are_retried_and_land_once(
    moto_endpoint: str, moto_stream: str
) -> None:
    settings = settings_for(moto_endpoint, moto_stream)
    kinesis = new_kinesis_client(settings.connection)
    fault = PartialFailure(kinesis, every=3, calls=3)
    assert put_all(kinesis, settings, rows(1200)) == 1200
    assert fault.failed > 0 and fault.seen > 3  # failures happened and were sent again
    assert landed_ids(moto_endpoint, moto_stream) == list(range(1200))


def test_a_throttled_call_is_retried_and_every_record_lands_once(
    moto_endpoint: str, moto_stream: str
) -> None:
    settings = settings_for(moto_endpoint, moto_stream)
    kinesis = new_kinesis_client(settings.connection)
    calls = throttle_first_calls(kinesis, 4)
    assert put_all(kinesis, settings, rows(700)) == 700
    assert calls[0] == 4 + 2  # four throttled answers, then the two requests (500 + 200)
    assert landed_ids(moto_endpoint, moto_stream) == list(range(700))


def test_retries_give_up_with_a_clear_error(moto_endpoint: str, moto_stream: str) -> None:
    settings = settings_for(moto_endpoint, moto_stream, max_retries=2)
    kinesis = new_kinesis_client(settings.connection)
    throttle_first_calls(kinesis, 100)
    with pytest.raises(
        KinesisPutError, match=r"10 of 10 records were not written to Kinesis after 2 retries"
    ):
        put_all(kinesis, settings, rows(10))
    assert landed_ids(moto_endpoint, moto_stream) == []


def test_requests_respect_the_count_and_size_limits() -> None:
    big = [{"Data": b"x" * 900_000, "PartitionKey": "k"} for _ in range(12)]
    batches = list(request_batches(big, 500))
    assert [len(b) for b in batches] == [5, 5, 2]  # 5 x 900 kB fit in 5 MiB, 6 do not
    small = [{"Data": b"x", "PartitionKey": "k"} for _ in range(1234)]
    assert [len(b) for b in request_batches(small, 500)] == [500, 500, 234]
    assert [len(b) for b in request_batches(small, 100)][:2] == [100, 100]


def test_a_record_over_one_mib_is_refused_by_name(moto_endpoint: str, moto_stream: str) -> None:
    settings = settings_for(moto_endpoint, moto_stream)
    kinesis = new_kinesis_client(settings.connection)
    with pytest.raises(KinesisPutError, match="exceeds Kinesis' 1 MiB limit per record"):
        put_all(kinesis, settings, [{"data": b"x" * (1024 * 1024), "partitionKey": "k"}])
    with pytest.raises(KinesisPutError, match="column 'partitionKey' is null or empty"):
        put_all(kinesis, settings, [{"data": b"x", "partitionKey": None}])
    with pytest.raises(KinesisPutError, match="must be binary or string"):
        put_all(kinesis, settings, [{"data": 5, "partitionKey": "k"}])


def stream_description_present(progress: str, stream: str) -> bool:
    """The progress names the source (so checking it for the secret means something)."""
    return "kinesis" in progress.lower() and '"sources"' in progress


def test_spark_plans_show_the_keys_redacted(context: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from tauro_kinesis.reader import KinesisStreamingReader

    options = {**connection_options("http://127.0.0.1:9", "plan"), "awsSessionToken": "session-token-value"}
    df = KinesisStreamingReader(context).read(**options)
    df.explain(True)
    plan = capsys.readouterr().out
    assert "awsSecretKey=*********(redacted)" in plan
    assert SECRET_KEY not in plan and "session-token-value" not in plan
