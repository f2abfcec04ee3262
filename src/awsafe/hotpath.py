"""The cache-hit fast path of `export` and `exec`: serve cached credentials with the fewest imports.

SDKs start `awsafe export --format json` for every process, so a cache hit
must cost little more than starting Python. The full path records a *memo*
after it served a cached session: which vault item holds it, keyed on the
arguments, the environment and the config file's identity (no secret is in
the memo or its name). Here, the same key finds the item without argparse,
config parsing, the credential chain or botocore. Anything unusual (other
flags, no memo, a prompt needed, an expiring or unreadable session, any error)
returns None, and the full CLI runs instead: this path may only be faster,
never different.

The memo is a hint, never trusted: it is sealed with the session it points at
(``render_memo_seal``), and the record must say it was made for the profile
asked, from the long-term keys stored now (``record.read_fresh``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
from collections.abc import Mapping, Sequence

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MEMO_VERSION = 1
FORMATS = ("env", "export-env", "ini", "json")
# Variables that never shape which credentials are served, or that are secret.
_NOT_KEYED = ("SECRET", "TOKEN", "PASSPHRASE", "PASSWORD", "ACCESS_KEY")
_DEFAULT_MIN_TTL_SECONDS = 300


def _keyed_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Every AWS_*/AWSAFE_* variable that could shape resolution, none that holds a secret."""
    keyed = {"HOME": environ.get("HOME", "")}
    for name, value in environ.items():
        if not name.startswith(("AWS_", "AWSAFE_")) or name in ("AWS_VAULT", "AWS_MIN_TTL"):
            continue
        if any(word in name for word in _NOT_KEYED) and not name.endswith("_TTL"):
            continue
        keyed[name] = value
    return keyed


def _config_identity(environ: Mapping[str, str]) -> list[Any]:
    configured = environ.get("AWS_CONFIG_FILE")
    path = (
        os.path.expanduser(configured)
        if configured
        else os.path.join(environ.get("HOME", ""), ".aws", "config")
    )
    try:
        st = os.stat(path)
    except OSError:
        return [path, None]
    return [path, st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev]


def memo_key(profile: str, environ: Mapping[str, str]) -> str:
    """The name under which the memo for ``profile`` in this environment lives."""
    document = [MEMO_VERSION, profile, _keyed_environment(environ), _config_identity(environ)]
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def memo_dir(environ: Mapping[str, str]) -> str | None:
    """``~/.awsafe/memo``; None without an absolute HOME (never a directory relative to the cwd)."""
    home = environ.get("HOME", "")
    return os.path.join(home, ".awsafe", "memo") if os.path.isabs(home) else None


def render_memo_seal(key: str, memo: Mapping[str, Any], secret_access_key: str) -> str:
    """HMAC-SHA256 of a memo's name and content, keyed with the secret of the session it points at.

    Only a holder of that session can make it, and it covers the name (profile, environment,
    config file), so a memo moved under another name, or edited, does not verify.
    """
    body = {name: value for name, value in memo.items() if name != "seal"}
    message = json.dumps([MEMO_VERSION, key, body], sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret_access_key.encode(), b"awsafe-memo\0" + message, hashlib.sha256).hexdigest()


def _seal_matches(key: str, memo: Mapping[str, Any], secret_access_key: str) -> bool:
    seal = memo.get("seal")
    if not isinstance(seal, str):
        return False  # a memo from before seals: the full path writes a sealed one
    expected = render_memo_seal(key, memo, secret_access_key)
    return hmac.compare_digest(expected.encode(), seal.encode("utf-8", "replace"))


def write_memo(key: str, environ: Mapping[str, str], memo: dict[str, Any]) -> None:
    """Record where the full path found a cached session (best effort, atomic).

    ``key`` comes from ``memo_key`` taken BEFORE the config was read, so an edit made
    meanwhile changes the key and can never be paired with the older session.
    """
    directory = memo_dir(environ)
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
            json.dump(memo, handle)
        os.replace(temporary, path)
    except (OSError, StoreError):
        pass  # the memo only makes the next hit faster; state others control is not used


def _read_memo(profile: str, environ: Mapping[str, str]) -> dict[str, Any] | None:
    directory = memo_dir(environ)
    if directory is None:
        return None
    from awsafe.errors import StoreError
    from awsafe.statedir import check_private_dir, read_private_file

    try:
        # A memo in a directory others control, or behind a link, could name another item.
        if not check_private_dir(directory, tighten=0o022):
            return None
        data = read_private_file(os.path.join(directory, memo_key(profile, environ)))
        if data is None:
            return None
        memo = json.loads(data)
    except (OSError, ValueError, StoreError):
        return None
    return memo if isinstance(memo, dict) else None


def parse_argv(argv: Sequence[str], environ: Mapping[str, str]) -> tuple[str, str, str, list[str]] | None:
    """(command, profile, format, child argv) for the plain forms the fast path serves, else None.

    ``export [--format F] [PROFILE]`` and ``exec [PROFILE] [-- CMD ...]``; any other flag
    sends the call to the full CLI.
    """
    if not argv or argv[0] not in ("export", "exec"):
        return None
    command, rest = argv[0], list(argv[1:])
    child: list[str] = []
    if command == "exec":
        if "--" in rest:
            index = rest.index("--")
            rest, child = rest[:index], rest[index + 1 :]
        if not child:
            return None  # starting $SHELL has a notice to print: leave it to the full path
    format_name = "env"
    positional: list[str] = []
    while rest:
        word = rest.pop(0)
        if command == "export" and word == "--format" and rest:
            format_name = rest.pop(0)
        elif command == "export" and word.startswith("--format="):
            format_name = word.split("=", 1)[1]
        elif word.startswith("-"):
            return None
        else:
            positional.append(word)
    if len(positional) > 1 or format_name not in FORMATS:
        return None
    profile = positional[0] if positional else environ.get("AWS_PROFILE") or "default"
    return command, profile, format_name, child


def _min_ttl_seconds(environ: Mapping[str, str]) -> int | None:
    text = environ.get("AWS_MIN_TTL")
    if not text:
        return _DEFAULT_MIN_TTL_SECONDS
    from awsafe.durations import parse_duration
    from awsafe.errors import UsageError

    try:
        return -int(-parse_duration(text, "AWS_MIN_TTL").total_seconds() // 1)  # never less than asked
    except UsageError:
        return None  # the full path reports it


def _open_store(memo: dict[str, Any], environ: Mapping[str, str]) -> Any:
    backend = memo.get("backend")
    if backend == "file":
        passphrase = environ.get("AWSAFE_FILE_PASSPHRASE") or environ.get("AWS_VAULT_FILE_PASSPHRASE")
        if not passphrase or not isinstance(memo.get("file_dir"), str):
            return None  # a prompt is the full path's business
        from pathlib import Path

        from awsafe.vault.file import FileStore

        return FileStore(Path(memo["file_dir"]), lambda: passphrase)
    if isinstance(backend, str) and isinstance(memo.get("lock_path"), str):
        from pathlib import Path

        from awsafe.vault.keychain import BACKENDS, KeychainStore

        if backend in BACKENDS:
            return KeychainStore("awsafe", backend, lock_path=Path(memo["lock_path"]))
    return None


def try_hit(argv: Sequence[str], environ: Mapping[str, str]) -> int | None:
    """Serve the call from the cache and return its exit code (exec does not return); else None."""
    if environ.get("AWS_VAULT"):
        return None  # the full path explains why it refuses
    parsed = parse_argv(argv, environ)
    if parsed is None:
        return None
    command, profile, format_name, child = parsed
    memo = _read_memo(profile, environ)
    min_ttl = _min_ttl_seconds(environ)
    if memo is None or min_ttl is None:
        return None
    store = _open_store(memo, environ)
    if store is None:
        return None
    from awsafe.credentials.record import read_fresh

    credentials = read_fresh(store, memo.get("item", ""), memo.get("digest", ""), min_ttl, profile)
    if credentials is None or not _seal_matches(
        memo_key(profile, environ), memo, credentials.secret_access_key
    ):
        return None
    region = memo.get("region")
    if command == "export":
        from awsafe.cli.render import render

        sys.stdout.write(render(format_name, credentials, region, profile))
        sys.stdout.flush()
        return 0
    from awsafe.cli.childenv import render_child_environment

    child_env = render_child_environment(environ, profile, credentials, region)
    try:
        os.execvpe(child[0], child, child_env)
    except OSError:
        return None  # the full path reports a missing or unrunnable command properly
    return 0  # pragma: no cover - execvpe does not return
