"""Ways to ask the user for a secret or a code: terminal (/dev/tty) now, GUI drivers later."""
