"""Secret redaction for messages, error contexts, logs and status.

A key is secret when it names a password, token, secret or credential (see ``is_secret_key``).
Values seen under such keys are remembered so that the same text is also scrubbed from free
text passing through Tauro, e.g. a Kafka or Spark exception message that echoes a JAAS config.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

REDACTED = "***"

_SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|credentials|jaas\.config|awssecretkey|secretkey|"
    r"sessiontoken|keystore\.key|private\.key)",
    re.IGNORECASE,
)
# Names that look like secrets but are not: Kafka record keys, Kinesis partition keys,
# the SASL mechanism name.
_NOT_SECRET = {"key", "keys", "partitionkey", "sasl.mechanism", "kafka.sasl.mechanism"}

# Inline credentials in free text: password=..., secret: ..., JAAS ``password="..."``.
_INLINE = re.compile(
    r"""(?P<k>\b[\w.]*(?:password|passwd|secret|token|secretkey|sessiontoken)[\w.]*)"""
    r"""(?P<sep>\s*[=:]\s*)(?P<q>["']?)(?P<v>[^\s"',;}]+)(?P=q)""",
    re.IGNORECASE,
)

_known_lock = threading.Lock()
_known_secrets: set[str] = set()


def is_secret_key(key: str) -> bool:
    """True when a configuration key holds a secret value."""
    lowered = key.strip().lower()
    if lowered in _NOT_SECRET or lowered.rsplit(".", 1)[-1] in {"key", "keys"}:
        return bool(re.search(r"(secret|private)", lowered))
    return bool(_SECRET_KEY.search(lowered))


def remember_secret(value: str) -> None:
    """Scrub ``value`` from any text Tauro redacts from now on."""
    if isinstance(value, str) and len(value) >= 4:
        with _known_lock:
            _known_secrets.add(value)


def redact_text(text: str) -> str:
    """Remove known secret values and inline ``password=...`` style credentials from text."""
    if not text:
        return text
    with _known_lock:
        known = sorted(_known_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _INLINE.sub(lambda m: f"{m['k']}{m['sep']}{m['q']}{REDACTED}{m['q']}", text)


def redact(value: Any, key: str | None = None) -> Any:
    """Return a copy of ``value`` with secrets replaced, walking mappings and sequences."""
    if key is not None and is_secret_key(key) and value is not None:
        if isinstance(value, str):
            remember_secret(value)
        return REDACTED
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


def collect_secrets(value: Any, key: str | None = None) -> None:
    """Remember every secret value in a configuration tree, without copying it."""
    if key is not None and is_secret_key(key) and isinstance(value, str):
        remember_secret(value)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            collect_secrets(v, str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            collect_secrets(v)


def redact_connect_url(url: str) -> str:
    """A Spark Connect URL (``sc://host:port/;token=...;user_id=...``) with its secret parameters
    (``token`` and any other secret-looking key) and any ``user:password@`` replaced.

    The secret values are remembered, so text echoing them (Spark's own errors) is scrubbed too.
    """
    if not url:
        return url
    head, sep, params = url.partition(";")
    scheme, found, rest = head.partition("://")
    if found and "@" in rest.split("/", 1)[0]:
        userinfo, _, host = rest.partition("@")
        if ":" in userinfo:
            remember_secret(userinfo.partition(":")[2])
        head = f"{scheme}://{REDACTED}@{host}"
    if not sep:
        return head
    kept = []
    for param in params.split(";"):
        key, eq, value = param.partition("=")
        if eq and is_secret_key(key):
            remember_secret(value)
            kept.append(f"{key}={REDACTED}")
        else:
            kept.append(param)
    return f"{head};{';'.join(kept)}"


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, redacted (JVM errors run to many lines)."""
    text = str(exc)
    return redact_text(text.splitlines()[0] if text.strip() else type(exc).__name__)
