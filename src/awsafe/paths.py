"""Where awsafe's files are: the AWS config file and the private state folder ~/.awsafe; pure.

The fast path reads these too, so this module imports nothing eagerly (pathlib only when a
path is built from text; a fast path that asks the agent never does).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

STATE_DIR_NAME = ".awsafe"


def config_path(environ: Mapping[str, str], home: Path) -> Path:
    """AWS_CONFIG_FILE when set, else ``home``/.aws/config."""
    configured = environ.get("AWS_CONFIG_FILE")
    if not configured:
        return home / ".aws" / "config"
    from pathlib import Path

    return Path(configured).expanduser()


def config_path_text(environ: Mapping[str, str], home: str) -> str:
    """:func:`config_path` for a home given as text, without pathlib (completion's names)."""
    configured = environ.get("AWS_CONFIG_FILE")
    return os.path.expanduser(configured) if configured else os.path.join(home, ".aws", "config")


def state_dir(home: Path) -> Path:
    """awsafe's private state (vault, locks, the fast path's records): ``home``/.awsafe."""
    return home / STATE_DIR_NAME


def state_dir_text(home: str) -> str:
    """:func:`state_dir` for a home given as text, without pathlib (the agent's lean client)."""
    return os.path.join(home, STATE_DIR_NAME)
