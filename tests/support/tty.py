"""Drive a command on a real pseudo-terminal, answering its prompts as a person would."""

from __future__ import annotations

import os
import pty
import select
import time


def run_in_pty(
    argv: list[str], env: dict[str, str], answers: list[tuple[str, str]], timeout: float = 60
) -> tuple[int, str]:
    """Run ``argv`` with a pty as its controlling terminal; answer each prompt in order.

    Returns the exit code and everything the terminal showed (what a person saw).
    """
    pid, fd = pty.fork()
    if pid == 0:  # child: the pty is now stdin/stdout/stderr and /dev/tty
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    transcript = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            transcript += chunk
        if pending and pending[0][0].encode() in transcript:
            prompt, answer = pending.pop(0)
            transcript = transcript.replace(prompt.encode(), prompt.encode() + b"<answered>", 1)
            os.write(fd, answer.encode() + b"\r")
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), transcript.decode(errors="replace")
