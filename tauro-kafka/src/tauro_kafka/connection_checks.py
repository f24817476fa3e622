"""Checks shared by the Kafka source and sink: brokers, security settings, unknown options."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tauro.plugin import Findings, find_option, unknown_options
from tauro_kafka.options import (
    BOOTSTRAP,
    JAAS_CONFIG,
    SASL_MECHANISM,
    SASL_MECHANISMS,
    SECURITY_PROTOCOL,
    SECURITY_PROTOCOLS,
)

_BROKER = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def check_bootstrap(options: Mapping[str, Any], found: Findings) -> None:
    given = find_option(options, BOOTSTRAP)
    if given is None or not given[1].strip():
        found.error(
            f"options.{BOOTSTRAP}",
            "is required: the brokers to connect to, as host:port separated by commas "
            "(e.g. 'broker1:9092,broker2:9092')",
        )
        return
    key, value = given
    for broker in (b.strip() for b in value.split(",")):
        match = _BROKER.match(broker)
        if match is None or not 0 < int(match[2]) < 65536:
            found.error(
                f"options.{key}",
                f"'{broker}' is not host:port; list the brokers as host:port separated by commas "
                "(e.g. 'broker1:9092,broker2:9092')",
            )


def check_security(options: Mapping[str, Any], found: Findings) -> None:
    """The security protocol and the SASL/SSL settings it needs or ignores."""
    protocol_option = find_option(options, SECURITY_PROTOCOL)
    protocol = protocol_option[1].strip().upper() if protocol_option else "PLAINTEXT"
    if protocol_option and protocol not in SECURITY_PROTOCOLS:
        found.error(
            f"options.{protocol_option[0]}",
            f"'{protocol_option[1]}' is not a Kafka security protocol; use one of "
            f"{', '.join(SECURITY_PROTOCOLS)}",
        )
        return
    sasl_keys = [k for k in options if k.lower().startswith("kafka.sasl.")]
    ssl_keys = [k for k in options if k.lower().startswith("kafka.ssl.")]
    if protocol in ("PLAINTEXT", "SSL"):
        for key in sasl_keys:
            found.error(
                f"options.{key}",
                f"is only used with SASL, but {SECURITY_PROTOCOL} is {protocol}; set "
                f"{SECURITY_PROTOCOL}: SASL_SSL (or SASL_PLAINTEXT), or remove it",
            )
    if protocol in ("PLAINTEXT", "SASL_PLAINTEXT") and ssl_keys:
        found.warn(
            f"{', '.join(ssl_keys)} ignored: {SECURITY_PROTOCOL} is {protocol}, which does not use TLS "
            f"(set it to SSL or SASL_SSL)"
        )
    if not protocol.startswith("SASL_"):
        return
    mechanism_option = find_option(options, SASL_MECHANISM)
    mechanism = mechanism_option[1].strip().upper() if mechanism_option else "GSSAPI"
    if mechanism_option and mechanism not in SASL_MECHANISMS:
        found.warn(
            f"{SASL_MECHANISM} '{mechanism_option[1]}' is not one Kafka ships "
            f"({', '.join(SASL_MECHANISMS)}); it needs a custom login module on the classpath"
        )
    if mechanism == "GSSAPI":
        if find_option(options, "kafka.sasl.kerberos.service.name") is None:
            found.error(
                "options.kafka.sasl.kerberos.service.name",
                "is required for SASL mechanism GSSAPI (Kerberos), the default; set it (usually "
                "'kafka'), or set kafka.sasl.mechanism to PLAIN, SCRAM-SHA-256/512 or OAUTHBEARER",
            )
    elif find_option(options, JAAS_CONFIG) is None:
        found.error(
            f"options.{JAAS_CONFIG}",
            f"is required for SASL mechanism {mechanism}: the login module and credentials, e.g. "
            'org.apache.kafka.common.security.plain.PlainLoginModule required username="..." '
            'password="${KAFKA_PASSWORD}";  (use ${VAR} so the secret stays out of the file)',
        )


def check_forbidden(options: Mapping[str, Any], forbidden: Mapping[str, str], found: Findings) -> None:
    lowered = {k.lower(): why for k, why in forbidden.items()}
    for key in options:
        why = lowered.get(key.lower())
        if why is not None:
            found.error(f"options.{key}", f"is not allowed: {why}")


def check_known(options: Mapping[str, Any], known: Iterable[str], found: Findings, role: str) -> None:
    """Spark silently ignores an unknown option, so a typo would change behaviour unnoticed."""
    client_settings = {k: v for k, v in options.items() if not k.lower().startswith("kafka.")}
    for key, close in unknown_options(client_settings, known):
        hint = f"did you mean '{close}'? " if close else ""
        found.error(
            f"options.{key}",
            f"is not an option of the Kafka {role}; {hint}Kafka client settings take the prefix "
            f"'kafka.' (e.g. kafka.{key})",
        )
