"""Where the agent's socket, pid file and log are, and the checks that make the place safe to use.

``AWSAFE_AGENT_SOCK`` when set; else ``$XDG_RUNTIME_DIR/awsafe/agent.sock`` when that is an
absolute directory of yours; else ``~/.awsafe/agent/agent.sock``. ``agent.pid`` and
``agent.log`` live next to the socket. The socket's directory must be a real directory (not a
symbolic link) owned by you with mode 0700: whoever else could write there could replace the
socket with their own and collect the requests. It imports only os, stat and sys eagerly
(not awsafe.errors, whose enum would cost the fast path).
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast path
if TYPE_CHECKING:
    from collections.abc import Mapping

SOCKET_NAME = "agent.sock"
PID_NAME = "agent.pid"
LOG_NAME = "agent.log"
# sockaddr_un.sun_path holds 108 bytes on Linux, 104 on macOS and the BSDs, with a final NUL.
MAX_SOCKET_PATH = 107 if sys.platform.startswith("linux") else 103


class AgentPlace:
    """The agent's files: the socket, and the pid file and log in the same directory."""

    __slots__ = ("socket", "directory", "pid_file", "log_file")

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.directory = os.path.dirname(socket)
        self.pid_file = os.path.join(self.directory, PID_NAME)
        self.log_file = os.path.join(self.directory, LOG_NAME)

    def __repr__(self) -> str:
        return f"AgentPlace({self.socket!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AgentPlace) and other.socket == self.socket

    def __hash__(self) -> int:
        return hash(self.socket)


def _own_directory(path: str) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid()


def read_agent_place(environ: Mapping[str, str], home: str) -> AgentPlace:
    """The place of this user's agent (see the module docstring); looks at XDG_RUNTIME_DIR's owner."""
    configured = environ.get("AWSAFE_AGENT_SOCK", "")
    if configured:
        return AgentPlace(os.path.abspath(os.path.expanduser(configured)))
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime) and _own_directory(runtime):
        return AgentPlace(os.path.join(runtime, "awsafe", SOCKET_NAME))
    return AgentPlace(os.path.join(home, ".awsafe", "agent", SOCKET_NAME))


def check_socket_path_length(place: AgentPlace) -> None:
    """ServerError when the socket path is too long for a Unix socket address."""
    size = len(os.fsencode(place.socket))
    if size > MAX_SOCKET_PATH:
        from awsafe.errors import ServerError  # not at import: errors costs the fast path (enum)

        raise ServerError(
            f"the agent socket path {place.socket} is {size} bytes; a Unix socket path may have "
            f"at most {MAX_SOCKET_PATH}",
            hint="set AWSAFE_AGENT_SOCK to a shorter path, e.g. /tmp/awsafe-$UID/agent.sock",
        )


def describe_unsafe_directory(path: str) -> str | None:
    """Why ``path`` is not a safe socket directory (a link, not ours, not 0700), or None if it is.

    Read with lstat: a symbolic link is refused whoever made it, since the socket's directory is
    where the agent's identity lives. Missing is reported as "missing".
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if st.st_uid != os.geteuid():
        return f"belongs to uid {st.st_uid}, not to you (uid {os.geteuid()})"
    mode = stat.S_IMODE(st.st_mode)
    if mode != 0o700:
        return f"has mode {mode:04o}, not 0700"
    return None


def ensure_agent_directory(place: AgentPlace) -> None:
    """Make the socket's directory (0700, with missing parents 0700), or check the existing one;
    UnsafeStateError when it is a link, another user's, or open to others (never loosened or
    tightened behind your back: a socket directory someone could write to may already be
    compromised), ServerError when the socket path is too long."""
    check_socket_path_length(place)
    directory = place.directory
    if not os.path.lexists(directory):
        from awsafe.statedir import create_private_dirs

        create_private_dirs(directory)
    problem = describe_unsafe_directory(directory)
    if problem is not None:
        from awsafe.statedir import UnsafeStateError

        raise UnsafeStateError(
            f"the agent socket directory {directory} {problem}: awsafe serves its agent only "
            "from a private directory of yours",
            hint=f"remove it (awsafe makes a new one), or: chown {os.geteuid()} {directory} "
            f"&& chmod 700 {directory}",
        )


def describe_unsafe_socket(place: AgentPlace) -> str | None:
    """Why the socket file at ``place`` is not one to talk to, or None when it may be."""
    problem = describe_unsafe_directory(place.directory)
    if problem is not None:
        return f"the socket directory {place.directory} {problem}"
    try:
        st = os.lstat(place.socket)
    except FileNotFoundError:
        return "no agent socket"
    except OSError as error:
        return f"the socket cannot be read ({error.strerror})"
    if not stat.S_ISSOCK(st.st_mode):
        return f"{place.socket} is not a socket"
    if st.st_uid != os.geteuid():
        return f"the socket belongs to uid {st.st_uid}"
    return None
