"""What a benchmarked command must have printed: a failed check stops the benchmark (BenchError).

A timed run that missed the cache or printed another key would time the wrong thing.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.measuring import BenchError, Check, Completed, describe

CREDENTIAL_PROCESS_KEYS = ("Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")


def credential_json(cmd: list[str], result: Completed) -> dict[str, Any]:
    """The credential_process document awsafe printed, checked."""
    if result.returncode != 0:
        raise BenchError(describe(cmd, result))
    try:
        doc: dict[str, Any] = json.loads(result.stdout)
    except ValueError as e:
        raise BenchError(f"not JSON ({e}): {describe(cmd, result)}") from None
    missing = [k for k in CREDENTIAL_PROCESS_KEYS if k not in doc]
    if doc.get("Version") != 1 or missing:
        raise BenchError(f"not a credential_process document (missing {missing}): {describe(cmd, result)}")
    return doc


def same_key(expected: str) -> Check:
    """A run must print a credential_process document with the cached access key `expected`."""

    def check(cmd: list[str], result: Completed) -> None:
        doc = credential_json(cmd, result)
        if doc["AccessKeyId"] != expected:
            raise BenchError(f"printed {doc['AccessKeyId']}, not the cached {expected}: {' '.join(cmd)}")

    return check


def cli_uses_cache(expected_last4: str) -> Check:
    """`aws configure list` must show the assumed role's key (its last 4 characters)."""

    def check(cmd: list[str], result: Completed) -> None:
        if result.returncode != 0:
            raise BenchError(describe(cmd, result))
        lines = [line.split() for line in result.stdout.splitlines()]
        access = next((words for words in lines if words[:1] == ["access_key"]), None)
        if not access or not access[1].endswith(expected_last4) or "assume-role" not in access:
            raise BenchError(f"the AWS CLI did not show the cached role's key: {describe(cmd, result)}")

    return check
