"""The fast path's record, next to the session cache: which vault item holds a profile's session.

The full path writes a *fast-path record* (a file in ~/.awsafe/memo) after
it served a cached session: the item, keyed on
the profile, the environment and the config file's identity (no secret is in the record or
its name). The fast path (``awsafe.cli.fastpath``) finds the session again with it, without
argparse, config parsing, the credential chain or botocore. So this module imports only
json, hmac and hashlib eagerly; the vault backends only when a record names one.

A record is a hint, never trusted: it is sealed with the session it points at
(``render_fast_path_seal``), and the session record must say it was made for the profile
asked, from the long-term keys stored now (``record.read_fresh``). Anything unusual is a
miss (None): the full path runs instead, so this may only be faster, never different.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping

from awsafe.agentlink.request import resolution_environ
from awsafe.paths import config_path, state_dir
from awsafe.process_guard import PASSPHRASE_VARIABLES

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from awsafe.model import Credentials

RECORD_VERSION = 1


def _keyed_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Every AWS_*/AWSAFE_* variable that could shape resolution, none that holds a secret (the
    agent's rule); AWS_MIN_TTL is left out: the fast path applies it to the session it finds."""
    keyed = resolution_environ(environ)
    keyed.pop("AWS_MIN_TTL", None)
    return keyed


def _home(environ: Mapping[str, str]) -> Path:
    from pathlib import Path

    return Path(environ.get("HOME", ""))


def _config_identity(environ: Mapping[str, str]) -> list[Any]:
    path = str(config_path(environ, _home(environ)))
    try:
        st = os.stat(path)
    except OSError:
        return [path, None]
    return [path, st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev]


def fast_path_key(profile: str, environ: Mapping[str, str]) -> str:
    """The name under which the fast path record for ``profile`` in this environment lives."""
    document = [RECORD_VERSION, profile, _keyed_environment(environ), _config_identity(environ)]
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def fast_path_dir(environ: Mapping[str, str]) -> str | None:
    """``~/.awsafe/memo``; None without an absolute HOME (never a directory relative to the cwd)."""
    home = environ.get("HOME", "")
    return str(state_dir(_home(environ)) / "memo") if os.path.isabs(home) else None


def render_fast_path_seal(key: str, record: Mapping[str, Any], secret_access_key: str) -> str:
    """HMAC-SHA256 of a record's name and content, keyed with the secret of the session it points at.

    Only a holder of that session can make it, and it covers the name (profile, environment,
    config file), so a record moved under another name, or edited, does not verify.
    """
    body = {name: value for name, value in record.items() if name != "seal"}
    message = json.dumps([RECORD_VERSION, key, body], sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret_access_key.encode(), b"awsafe-memo\0" + message, hashlib.sha256).hexdigest()


def _seal_matches(key: str, record: Mapping[str, Any], secret_access_key: str) -> bool:
    seal = record.get("seal")
    if not isinstance(seal, str):
        return False  # a record from before seals: the full path writes a sealed one
    expected = render_fast_path_seal(key, record, secret_access_key)
    return hmac.compare_digest(expected.encode(), seal.encode("utf-8", "replace"))


def write_fast_path_record(key: str, environ: Mapping[str, str], record: dict[str, Any]) -> None:
    """Record where the full path found a cached session (best effort, atomic).

    ``key`` comes from ``fast_path_key`` taken BEFORE the config was read, so an edit made
    meanwhile changes the key and can never be paired with the older session.
    """
    directory = fast_path_dir(environ)
    if directory is None:
        return
    from awsafe.errors import StoreError
    from awsafe.statedir import ensure_private_dir, open_private_file

    try:
        ensure_private_dir(os.path.dirname(directory))  # ~/.awsafe
        ensure_private_dir(directory)
        path = os.path.join(directory, key)
        temporary = f"{path}.{os.getpid()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            descriptor = open_private_file(temporary, flags)
        except FileExistsError:  # left by a killed process that had our pid
            os.unlink(temporary)
            descriptor = open_private_file(temporary, flags)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(record, handle)
        os.replace(temporary, path)
    except (OSError, StoreError):
        pass  # the record only makes the next hit faster; state others control is not used


def _read_record(key: str, environ: Mapping[str, str]) -> dict[str, Any] | None:
    directory = fast_path_dir(environ)
    if directory is None:
        return None
    from awsafe.errors import StoreError
    from awsafe.statedir import check_private_dir, read_private_file

    try:
        # A record in a directory others control, or behind a link, could name another item.
        if not check_private_dir(directory, tighten=0o022):
            return None
        data = read_private_file(os.path.join(directory, key))
        if data is None:
            return None
        record = json.loads(data)
    except (OSError, ValueError, StoreError):
        return None
    return record if isinstance(record, dict) else None


def _open_store(record: dict[str, Any], environ: Mapping[str, str]) -> Any:
    backend = record.get("backend")
    if backend == "file":
        passphrase = next((environ[name] for name in PASSPHRASE_VARIABLES if environ.get(name)), None)
        if not passphrase or not isinstance(record.get("file_dir"), str):
            return None  # a prompt is the full path's business
        from pathlib import Path

        from awsafe.vault.file import FileStore

        return FileStore(Path(record["file_dir"]), lambda: passphrase)
    if isinstance(backend, str) and isinstance(record.get("lock_path"), str):
        from pathlib import Path

        from awsafe.vault.keychain import BACKENDS, KeychainStore

        if backend in BACKENDS:
            return KeychainStore("awsafe", backend, lock_path=Path(record["lock_path"]))
    return None


def read_fast_path_credentials(
    profile: str, environ: Mapping[str, str], min_ttl_seconds: int
) -> tuple[Credentials, str | None, str | None] | None:
    """The cached session of ``profile``, its region and account id, found through the fast path
    record; else None.

    Never raises for a missing, foreign or stale record or session: all of them are a miss.
    """
    key = fast_path_key(profile, environ)
    record = _read_record(key, environ)
    if record is None:
        return None
    store = _open_store(record, environ)
    if store is None:
        return None
    from awsafe.credentials.record import read_fresh

    item, digest = record.get("item", ""), record.get("digest", "")
    credentials = read_fresh(store, item, digest, min_ttl_seconds, profile)
    if credentials is None or not _seal_matches(key, record, credentials.secret_access_key):
        return None
    region, account_id = record.get("region"), record.get("account_id")
    return (
        credentials,
        region if isinstance(region, str) else None,
        account_id if isinstance(account_id, str) else None,
    )
