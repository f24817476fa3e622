"""boto3 clients from ``ConnectionSettings``: default chain, a profile, keys, or an assumed role.

Imported only where a client is needed (driver-side reader, Python workers); boto3 is imported
inside the functions so the plugin module stays cheap to load.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from tauro_kinesis.options import ConnectionSettings

#: Assumed-role credentials last an hour; clients are rebuilt well before they expire.
CLIENT_MAX_AGE_SECONDS = 45 * 60
#: botocore's own retries for transient errors and throttling of single calls.
_BOTOCORE_RETRIES: Any = {"mode": "standard", "max_attempts": 10}

_cache: dict[ConnectionSettings, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def boto3_session(settings: ConnectionSettings) -> Any:
    """A boto3 Session: keys or profile when given, else the default chain; then the role."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=settings.access_key_id,
        aws_secret_access_key=settings.secret_key,
        aws_session_token=settings.session_token,
        profile_name=settings.profile,
        region_name=settings.region_name,
    )
    if not settings.role_arn:
        return session
    sts = session.client("sts", region_name=settings.region_name, endpoint_url=settings.sts_endpoint_url)
    request: dict[str, Any] = {
        "RoleArn": settings.role_arn,
        "RoleSessionName": settings.role_session_name or "tauro-kinesis",
    }
    if settings.role_external_id:
        request["ExternalId"] = settings.role_external_id
    credentials = sts.assume_role(**request)["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=settings.region_name,
    )


def new_kinesis_client(settings: ConnectionSettings) -> Any:
    """A fresh Kinesis client (tests register botocore event hooks on it)."""
    from botocore.config import Config

    session = boto3_session(settings)
    config = Config(retries=_BOTOCORE_RETRIES, user_agent_extra="tauro-kinesis")
    return session.client(
        "kinesis", region_name=settings.region_name, endpoint_url=settings.endpoint_url, config=config
    )


def kinesis_client(settings: ConnectionSettings) -> Any:
    """A Kinesis client shared per settings within one process, rebuilt after 45 minutes."""
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(settings)
        if cached is not None and now - cached[0] < CLIENT_MAX_AGE_SECONDS:
            return cached[1]
    client = new_kinesis_client(settings)
    with _cache_lock:
        _cache[settings] = (now, client)
    return client
