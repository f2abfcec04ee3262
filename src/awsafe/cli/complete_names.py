"""`awsafe __complete KIND [PREFIX]`: the names a completion script offers, one a line; import-light.

Shells run it on every Tab that completes a profile, so ``entry()`` routes it before the fast
path and the full CLI: it imports no argparse, typing, config parsing or vault, reads only the
config file's headers (``config.names``) and prints names, never a value. Anything wrong (no
config, an unreadable one, an unknown kind) prints nothing: a shell offering no names is
better than an error message in the middle of the command line being typed.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs every Tab
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

HIDDEN_COMMAND = "__complete"
# The word a script asks for -> the config section kind.
KINDS = {"profiles": "profile", "sso-sessions": "sso-session"}


def run_complete(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    """Print the names of ``argv[0]`` (profiles, sso-sessions) starting with ``argv[1]``."""
    if not 1 <= len(argv) <= 2 or argv[0] not in KINDS:
        return 2  # a script and this program disagree: say nothing, the exit code tells
    from awsafe.paths import config_path_text

    home = environ.get("HOME") or os.path.expanduser("~")
    try:
        with open(config_path_text(environ, home), "rb") as file:
            data = file.read()
    except OSError:
        return 0  # no config file: no names
    from awsafe.config.names import parse_section_names

    names = parse_section_names(data, KINDS[argv[0]], argv[1] if len(argv) == 2 else "")
    if names:
        try:
            sys.stdout.write("\n".join(names) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # The shell stopped reading (say, `| head`): it has what it wanted. Point stdout
            # at /dev/null so the flush at exit does not complain either.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
