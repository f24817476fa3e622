"""Credentials: boto3's default chain, a profile, keys, or an assumed role (STS on moto)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tauro_kinesis.client import boto3_session, new_kinesis_client
from tauro_kinesis.options import ConnectionSettings

from .emulators import REGION, create_stream


def settings(**extra: str) -> ConnectionSettings:
    return ConnectionSettings.from_options({"streamName": "s", "region": REGION, **extra})


@pytest.fixture
def no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def test_default_chain_reads_the_environment(
    no_ambient_credentials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
    credentials = boto3_session(settings()).get_credentials()
    assert (credentials.access_key, credentials.method) == ("AKIAFROMENV", "env")


def test_a_profile_of_the_shared_files(no_ambient_credentials: Path) -> None:
    (no_ambient_credentials / "credentials").write_text(
        "[reader]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = secret-of-profile\n"
    )
    credentials = boto3_session(settings(awsProfile="reader")).get_credentials()
    assert (credentials.access_key, credentials.method) == ("AKIAPROFILE", "shared-credentials-file")


def test_keys_in_the_options_win(no_ambient_credentials: Path) -> None:
    session = boto3_session(settings(awsAccessKeyId="AKIAOPTION", awsSecretKey="secret-of-option"))
    assert session.get_credentials().access_key == "AKIAOPTION"


def test_an_assumed_role_is_used_for_kinesis(moto_endpoint: str, no_ambient_credentials: Path) -> None:
    stream = create_stream(moto_endpoint, 1)
    role = settings(
        streamName=stream,
        endpointUrl=moto_endpoint,
        stsEndpointUrl=moto_endpoint,
        awsAccessKeyId="AKIABASE",
        awsSecretKey="secret-of-base",
        roleArn="arn:aws:iam::123456789012:role/reader",
        roleSessionName="tauro-test",
    )
    credentials = boto3_session(role).get_credentials()
    assert credentials.access_key != "AKIABASE" and credentials.token  # temporary credentials
    kinesis = new_kinesis_client(role)
    assert stream in kinesis.list_streams()["StreamNames"]
