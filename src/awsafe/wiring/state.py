"""Wiring of awsafe's private state: ~/.awsafe, the cross-process locks in it, one-line notices.

Every other wiring module imports these from here, never from the ``wiring`` package, so the
package and its modules import in one direction only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from awsafe import paths
from awsafe.environment import Environment

if TYPE_CHECKING:
    from awsafe.locks import FileLocks


def state_dir(env: Environment) -> Path:
    return paths.state_dir(env.home)


def locks_for(env: Environment) -> FileLocks:
    from awsafe.locks import FileLocks

    return FileLocks(state_dir(env) / "locks", notice=lambda text: notice(env, text))


def notice(env: Environment, text: str) -> None:
    env.stderr.write(f"awsafe: {text}\n")
