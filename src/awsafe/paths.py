"""Where awsafe's files are: the AWS config file and the private state folder ~/.awsafe; pure.

The fast path reads these too, so this module imports nothing but pathlib.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def config_path(environ: Mapping[str, str], home: Path) -> Path:
    """AWS_CONFIG_FILE when set, else ``home``/.aws/config."""
    configured = environ.get("AWS_CONFIG_FILE")
    return Path(configured).expanduser() if configured else home / ".aws" / "config"


def state_dir(home: Path) -> Path:
    """awsafe's private state (vault, locks, the fast path's records): ``home``/.awsafe."""
    return home / ".awsafe"
