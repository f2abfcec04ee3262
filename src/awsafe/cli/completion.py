"""Shell completion scripts (placeholder on the `use` branch).

The completion branch (issue 15, engineer h15-completion) replaces this module with the real
one; `awsafe init SHELL` appends what it returns to the shell function.
"""

from __future__ import annotations


def completion_script(shell: str) -> str:
    """The completion script for ``shell``; empty until the completion branch is merged."""
    return ""
