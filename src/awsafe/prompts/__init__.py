"""Ways to ask the person for a secret or an MFA code: /dev/tty, dialogs, ykman, mfa_process; never stdout."""
