"""The one writer of ~/.aws/config: append a bare profile section, never rewrite the file."""

from __future__ import annotations

import os
from pathlib import Path

from awsafe.errors import ConfigError


def append_profile_section(path: Path, profile: str) -> None:
    """Add ``[profile NAME]`` (``[default]`` for default) at the end; existing text is untouched."""
    header = "[default]" if profile == "default" else f"[profile {profile}]"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        existing = path.read_bytes() if path.exists() else b""
        separator = b"" if not existing or existing.endswith(b"\n") else b"\n"
        with open(path, "ab") as handle:
            handle.write(separator + (b"\n" if existing else b"") + header.encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as e:
        raise ConfigError(f"{path}: cannot add {header} ({e.strerror})") from e
