"""`awsafe --help` and `--version` answered without the CLI: argparse and the command modules
cost ~10x the interpreter's start, and these two only print text.

``TOP_HELP`` is argparse's own rendering of the top-level parser (cli/main.py renders it at a
fixed width), pasted here; tests/unit/cli/test_lean_help.py fails when the two differ and
rewrites this file when run as a script. argparse's wording changes between Python versions,
so the text is served only by the version it was rendered with; any other falls through to the
full CLI.
"""

from __future__ import annotations

import sys

from awsafe import __version__

RENDERED_WITH = (3, 11)

TOP_HELP = """\
usage: awsafe [-h] [-v] [--debug] [--backend NAME] [--file-dir DIR]
              [--pass-dir DIR] [--pass-cmd PROGRAM] [--pass-prefix FOLDER]
              [--keyctl-keyring NAME] [--keepassxc-db PATH]
              [--keepassxc-keyfile PATH] [--keychain NAME]
              [--secret-service-collection NAME] [--prompt NAME]
              COMMAND ...

A vault for AWS credentials.

positional arguments:
  COMMAND
    add                 Add long-term credentials of a profile to the vault
    list (ls)           List profiles, stored credentials and sessions
    remove (rm)         Remove the credentials of a profile
    clear               Delete cached sessions
    exec                Run a command with temporary credentials of a profile
    export              Print temporary credentials of a profile
    server              Serve a profile's credentials on a local ECS or IMDS
                        endpoint
    login               Open the AWS console as a profile (a federation sign-
                        in URL)
    rotate              Rotate the long-term access key of a profile
    sso                 Sign in to IAM Identity Center, sign out, or make
                        profiles for its roles
    agent               Unlock the vault once and serve temporary credentials
                        to your awsafe commands
    explain             Show how a profile resolves and the calls a run of it
                        would make
    import              Bring keys in: from aws-vault's stores (or a plaintext
                        credentials file)
    migrate-backend     Move the long-term keys from one vault backend to
                        another
    completion          Print the shell completion script (bash, zsh, fish,
                        pwsh, nu)
    init                Print the shell integration (the awsafe function for
                        use, completion)
    use                 Set this shell's credentials (needs the function from
                        `awsafe init SHELL`)
    version             Print the version (as --version does)

options:
  -h, --help            show this help message and exit
  -v, --version         show program's version number and exit
  --debug               show debug messages and tracebacks
  --backend NAME        vault backend: secret-service, keychain, wincred,
                        kwallet, file, pass, keyctl, keepassxc (env
                        AWSAFE_BACKEND / AWS_VAULT_BACKEND)
  --file-dir DIR        directory of the file vault (env AWSAFE_FILE_DIR /
                        AWS_VAULT_FILE_DIR)
  --pass-dir DIR        the pass backend's password store (default
                        ~/.password-store) (env AWSAFE_PASS_DIR /
                        AWS_VAULT_PASS_PASSWORD_STORE_DIR /
                        PASSWORD_STORE_DIR)
  --pass-cmd PROGRAM    the pass program (default pass) (env AWSAFE_PASS_CMD /
                        AWS_VAULT_PASS_CMD)
  --pass-prefix FOLDER  the folder in the password store for awsafe's items
                        (default awsafe) (env AWSAFE_PASS_PREFIX /
                        AWS_VAULT_PASS_PREFIX)
  --keyctl-keyring NAME
                        the keyctl backend's keyring in the user keyring
                        (default awsafe) (env AWSAFE_KEYCTL_KEYRING)
  --keepassxc-db PATH   the keepassxc backend's KeePass database (env
                        AWSAFE_KEEPASSXC_DB)
  --keepassxc-keyfile PATH
                        the KeePass database's key file (env
                        AWSAFE_KEEPASSXC_KEYFILE)
  --keychain NAME       the macOS keychain (not used: keyring cannot choose
                        one) (env AWSAFE_KEYCHAIN_NAME /
                        AWS_VAULT_KEYCHAIN_NAME)
  --secret-service-collection NAME
                        the Secret Service collection (default: the default
                        one) (env AWSAFE_SECRET_SERVICE_COLLECTION_NAME /
                        AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME)
  --prompt NAME         MFA prompt driver (env AWSAFE_PROMPT /
                        AWS_VAULT_PROMPT)
"""


def render_version() -> str:
    """The one version line of ``--version`` and `awsafe version`."""
    return f"awsafe {__version__}"


def render_lean_answer(argv: list[str]) -> str | None:
    """What `awsafe ARGV` prints when ARGV asks only for the version or the top-level help;
    None for anything else (the full CLI answers)."""
    if argv in (["--version"], ["-v"], ["version"]):
        return render_version() + "\n"
    if argv in (["--help"], ["-h"]) and sys.version_info[:2] == RENDERED_WITH and TOP_HELP:
        return TOP_HELP
    return None
