"""Each command's options object: built from argv by ``from_args``, refused by ``validate()``.

One fast test per rule, no process and no I/O: validate() sees only the options and the
environment. The last test checks that every command's run() validates before anything else,
through main() in-process; the full commands are checked in tests/integration/cli and tests/e2e.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest

from awsafe.cli.add import AddOptions
from awsafe.cli.agent import AgentOptions
from awsafe.cli.clear import ClearOptions
from awsafe.cli.execute import ExecOptions
from awsafe.cli.explain import ExplainOptions
from awsafe.cli.export import ExportOptions
from awsafe.cli.import_awsvault import ImportAwsVaultOptions
from awsafe.cli.import_plaintext import ImportCredentialsFileOptions
from awsafe.cli.init import InitOptions
from awsafe.cli.listing import ListOptions
from awsafe.cli.login import LoginOptions
from awsafe.cli.main import build_parser
from awsafe.cli.migrate import MigrateOptions
from awsafe.cli.remove import RemoveOptions
from awsafe.cli.rotate import RotateOptions
from awsafe.cli.server import ServerOptions
from awsafe.cli.sso import SsoLoginOptions, SsoLogoutOptions, SsoOptions, SsoPopulateOptions
from awsafe.cli.use import UseOptions
from awsafe.environment import Environment
from awsafe.errors import ExitCode, UsageError
from awsafe.wiring.options import CredentialRequest, GlobalOptions
from tests.support.cli import run_main
from tests.support.env import one_error_line

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
PLAIN = GlobalOptions()
REQUEST = CredentialRequest(profile="test")
KEYS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE01", "AWS_SECRET_ACCESS_KEY": "secret/value"}


def _env(environ: dict[str, str] | None = None) -> Environment:
    return Environment(
        environ or {}, io.StringIO(), io.StringIO(), io.StringIO(), Path("/nonexistent"), lambda: NOW
    )


def _refused(options: Any, message: str, env: Environment | None = None, glob: GlobalOptions = PLAIN) -> None:
    """validate() raises a UsageError (exit 2) whose message starts with ``message``."""
    with pytest.raises(UsageError, match="^" + re.escape(message)) as caught:
        options.validate(env or _env(), glob)
    assert caught.value.exit_code == ExitCode.USAGE


def _from_argv(*argv: str) -> Any:
    """The options object `run` would build for ``awsafe *argv`` (words after '--' are the tail)."""
    head, tail = (
        (list(argv), [])
        if "--" not in argv
        else (
            list(argv[: argv.index("--")]),
            list(argv[argv.index("--") + 1 :]),
        )
    )
    args = build_parser().parse_args(head)
    if args.command == "import":
        return {"aws-vault": ImportAwsVaultOptions, "credentials-file": ImportCredentialsFileOptions}[
            args.import_source
        ].from_args(args, tail, _env())
    options_class = {
        "add": AddOptions,
        "list": ListOptions,
        "remove": RemoveOptions,
        "clear": ClearOptions,
        "exec": ExecOptions,
        "export": ExportOptions,
        "server": ServerOptions,
        "login": LoginOptions,
        "rotate": RotateOptions,
        "agent": AgentOptions,
        "explain": ExplainOptions,
        "migrate-backend": MigrateOptions,
        "init": InitOptions,
        "use": UseOptions,
    }.get(args.command) or {
        "login": SsoLoginOptions,
        "logout": SsoLogoutOptions,
        "populate": SsoPopulateOptions,
    }[args.sso_action]
    return options_class.from_args(args, tail, _env({"AWS_PROFILE": "from-env"}))


# -- a command after '--' where the command runs none ---------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "p"], "add takes no command; secrets are never read from arguments"),
        (["list"], "list takes no command"),
        (["remove", "p"], "remove takes no command"),
        (["clear"], "clear takes no command"),
        (["export", "p"], "export takes no command; did you mean exec?"),
        (
            ["server", "p"],
            "server takes no command; to run one, use: awsafe exec --ecs-server PROFILE -- CMD",
        ),
        (["login", "p"], "login takes no command"),
        (["rotate", "p"], "rotate takes no command"),
        (["explain", "p"], "explain takes no command; to run one, use: awsafe exec PROFILE -- CMD"),
        (["import", "credentials-file"], "import takes no command"),
        (["migrate-backend", "--from", "file", "--to", "secret-service"], "migrate-backend takes no command"),
        (["sso", "login"], "sso takes no command"),
        (["sso", "logout"], "sso takes no command"),
        (["sso", "populate"], "sso takes no command"),
        (["import", "aws-vault"], "import takes no command"),
        (["init", "bash"], "init takes no command"),
        (
            ["use", "--shell", "bash", "p"],
            "use takes no command; to run one, use: awsafe exec PROFILE -- CMD",
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_a_command_after_double_dash_is_refused(argv: list[str], message: str) -> None:
    _refused(_from_argv(*argv, "--", "aws", "s3", "ls"), message)
    _from_argv(*argv).validate(_env(), PLAIN)  # the same without one


# -- add ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "a profile name cannot be empty"),
        (" lead", "a profile name cannot start or end with a space"),
        ("a]b", "a profile name cannot contain '['"),
        ("a\nb", "a profile name cannot contain '['"),
    ],
)
def test_add_refuses_a_profile_name_the_config_cannot_hold(name: str, message: str) -> None:
    _refused(AddOptions(profile=name), message)


@pytest.mark.parametrize("missing", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
def test_add_env_needs_both_variables(missing: str) -> None:
    environ = {name: value for name, value in KEYS.items() if name != missing}
    _refused(
        AddOptions(profile="p", from_env=True),
        "--env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to be set",
        _env(environ),
    )


def test_add_env_refuses_temporary_keys() -> None:
    _refused(
        AddOptions(profile="p", from_env=True),
        "AWS_SESSION_TOKEN is set: awsafe add stores long-term keys only",
        _env({**KEYS, "AWS_SESSION_TOKEN": "token"}),
    )


def test_add_takes_keys_from_env_or_a_prompt() -> None:
    AddOptions(profile="p", from_env=True).validate(_env(KEYS), PLAIN)
    # typed at the prompt: the variables do not matter
    AddOptions(profile="p").validate(_env({"AWS_SESSION_TOKEN": "token"}), PLAIN)


def test_add_options_from_argv() -> None:
    assert _from_argv("add", "p", "--env", "--no-add-config") == AddOptions(
        profile="p", from_env=True, add_config=False
    )
    assert _from_argv("add", "p") == AddOptions(profile="p", from_env=False, add_config=True)


# -- export and exec: credentials in a credential subshell would stack ---------------------------


@pytest.mark.parametrize(
    "options",
    [
        ExportOptions(REQUEST),
        ExecOptions(REQUEST, ["true"]),
        ServerOptions(CredentialRequest(profile="test", server_running=True)),
    ],
    ids=["export", "exec", "server"],
)
def test_a_credential_subshell_is_refused(options: Any) -> None:
    _refused(
        options,
        "already in a credential subshell for profile 'outer' (AWS_VAULT is set)",
        _env({"AWS_VAULT": "outer"}),
    )
    options.validate(_env(), PLAIN)
    # a shell switched with `awsafe use` is no subshell: its marker names the same profile
    options.validate(_env({"AWS_VAULT": "outer", "AWSAFE_USE": "outer"}), PLAIN)
    # a program exec started from it never has the marker; one that names another profile is stale
    _refused(options, "already in a credential subshell", _env({"AWS_VAULT": "outer", "AWSAFE_USE": "x"}))


# -- init and use ---------------------------------------------------------------------------------


def test_use_refuses_what_the_shell_function_would_not_send() -> None:
    use = UseOptions(REQUEST, shell="bash")
    _refused(UseOptions(REQUEST), "use changes your shell and needs its function: first run eval")
    _refused(dataclasses.replace(use, shell="cmd"), "--shell must be one of bash, zsh, fish, pwsh, nu")
    _refused(dataclasses.replace(use, unset=True), "--unset takes no profile and no --refresh")
    _refused(
        dataclasses.replace(use, profile_given=False, unset=True, refresh=True),
        "--unset takes no profile and no --refresh",
    )
    _refused(dataclasses.replace(use, refresh=True), "--refresh needs the shell's process id")
    no_session = CredentialRequest(profile="test", no_session=True, server_running=True)
    _refused(
        UseOptions(no_session, shell="bash", refresh=True, parent_pid=1),
        "--refresh cannot be combined with --no-session",
    )
    use.validate(_env(), PLAIN)
    dataclasses.replace(use, shell="powershell").validate(_env(), PLAIN)
    dataclasses.replace(use, refresh=True, parent_pid=1).validate(_env(), PLAIN)


def test_use_in_a_credential_subshell_is_refused_but_switching_a_used_shell_is_not() -> None:
    use = UseOptions(REQUEST, shell="bash")
    _refused(use, "already in a credential subshell for profile 'outer'", _env({"AWS_VAULT": "outer"}))
    use.validate(_env({"AWS_VAULT": "outer", "AWSAFE_USE": "outer"}), PLAIN)
    # dropping the credentials is fine anywhere
    UseOptions(REQUEST, shell="bash", profile_given=False, unset=True).validate(
        _env({"AWS_VAULT": "o"}), PLAIN
    )


def test_use_and_init_options_from_argv() -> None:
    use = _from_argv("use", "--shell", "fish", "--parent-pid", "42", "--refresh", "p")
    assert (use.request.profile, use.request.server_running) == ("p", True)
    assert dataclasses.replace(use, request=REQUEST) == UseOptions(
        REQUEST, shell="fish", refresh=True, parent_pid=42
    )
    assert _from_argv("use", "--shell", "nu", "--unset").unset
    assert _from_argv("use", "--shell", "nu", "--unset").profile_given is False
    assert _from_argv("init", "zsh") == InitOptions("zsh")
    _refused(InitOptions("sh"), "init: unknown shell; choose one of bash, zsh, fish, pwsh, nu")
    InitOptions("nushell").validate(_env(), PLAIN)


# -- exec -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"ecs_server": True, "ec2_server": True}, "--ecs-server and --ec2-server cannot be combined"),
        ({"lazy": True}, "--lazy only applies with --ecs-server or --ec2-server"),
        ({"imds_v1": True}, "--imds-v1 only applies with --ec2-server"),
        ({"imds_v1": True, "ecs_server": True}, "--imds-v1 only applies with --ec2-server"),
    ],
)
def test_exec_refuses_flags_that_do_not_go_together(flags: dict[str, bool], message: str) -> None:
    _refused(ExecOptions(REQUEST, [], **flags), message)


@pytest.mark.parametrize("server", ["ecs_server", "ec2_server"])
def test_exec_with_a_server_refuses_no_session(server: str) -> None:
    request = CredentialRequest(profile="test", no_session=True, server_running=True)
    flag = "--" + server.replace("_", "-")
    _refused(ExecOptions(request, [], **{server: True}), f"{flag} cannot be combined with --no-session")
    ExecOptions(CredentialRequest(profile="test", no_session=True), []).validate(_env(), PLAIN)


@pytest.mark.parametrize(
    ("glob", "environ"),
    [
        (GlobalOptions(prompt="terminal"), {}),
        (GlobalOptions(prompt="Terminal"), {}),
        (PLAIN, {"AWSAFE_PROMPT": "terminal"}),
        (PLAIN, {"AWS_VAULT_PROMPT": "terminal"}),
    ],
)
def test_exec_with_a_server_refuses_the_terminal_prompt(glob: GlobalOptions, environ: dict[str, str]) -> None:
    options = ExecOptions(REQUEST, [], ecs_server=True)
    _refused(
        options,
        "--ecs-server cannot use the terminal prompt: the command owns the terminal",
        _env(environ),
        glob,
    )
    ExecOptions(REQUEST, []).validate(_env(environ), glob)  # without a server the terminal is free
    options.validate(_env(), GlobalOptions(prompt="zenity"))


def test_exec_accepts_the_server_flags_together() -> None:
    ExecOptions(REQUEST, [], ec2_server=True, lazy=True, imds_v1=True).validate(_env(), PLAIN)
    ExecOptions(REQUEST, [], ecs_server=True, lazy=True).validate(_env(), PLAIN)


def test_exec_options_from_argv() -> None:
    options = _from_argv("exec", "--ec2-server", "--imds-v1", "--lazy", "-n", "p", "--", "aws", "s3")
    assert isinstance(options, ExecOptions)
    assert (options.command, options.ec2_server, options.imds_v1, options.lazy) == (
        ["aws", "s3"],
        True,
        True,
        True,
    )
    assert (options.request.profile, options.request.no_session, options.request.server_running) == (
        "p",
        True,
        True,
    )
    assert not options.unmarked
    unmarked = _from_argv("exec", "p", "stray")
    assert isinstance(unmarked, ExecOptions) and unmarked.unmarked and unmarked.command == ["stray"]
    assert isinstance(shell := _from_argv("exec"), ExecOptions) and shell.request.profile == "from-env"


# -- server ---------------------------------------------------------------------------------------

SERVED = CredentialRequest(profile="test", server_running=True)


@pytest.mark.parametrize("port", [-1, 65536])
def test_server_refuses_a_port_out_of_range(port: int) -> None:
    _refused(ServerOptions(SERVED, port=port), f"--port must be 0 to 65535, got {port}")


def test_server_imds_v1_needs_imds() -> None:
    _refused(ServerOptions(SERVED, imds_v1=True), "--imds-v1 only applies with --imds")


@pytest.mark.parametrize("address", ["192.168.1.10", "172.17.0.1", "0.0.0.0"])
def test_server_imds_listens_only_on_loopback_or_the_metadata_address(address: str) -> None:
    _refused(ServerOptions(SERVED, address=address, imds=True), f"--imds cannot listen on {address}")


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "0:0:0:0:0:0:0:0"])
def test_server_refuses_every_interface(address: str) -> None:
    _refused(ServerOptions(SERVED, address=address), f"--address {address} would listen on every interface")


@pytest.mark.parametrize(
    "options",
    [
        ServerOptions(SERVED),
        ServerOptions(SERVED, address="172.17.0.1", port=65535),
        ServerOptions(SERVED, address="169.254.169.254", port=80, imds=True, imds_v1=True),
        ServerOptions(SERVED, address="::1", imds=True),
    ],
    ids=["default", "bridge", "classic imds", "ipv6 loopback"],
)
def test_server_accepts(options: ServerOptions) -> None:
    options.validate(_env(), PLAIN)


def test_server_options_from_argv() -> None:
    options = _from_argv("server", "--imds", "--imds-v1", "--address", "::1", "--port", "8080", "--lazy", "p")
    assert options == ServerOptions(
        CredentialRequest(profile="p", server_running=True, fast_path_key=options.request.fast_path_key),
        address="::1",
        port=8080,
        lazy=True,
        imds=True,
        imds_v1=True,
    )


# -- list, login, rotate, remove, clear: their flags ----------------------------------------------


@pytest.mark.parametrize(
    ("flag", "only"),
    [
        ([], None),
        (["--profiles"], "profiles"),
        (["--sessions"], "sessions"),
        (["--credentials"], "credentials"),
    ],
)
def test_list_options_from_argv(flag: list[str], only: str | None) -> None:
    assert _from_argv("list", *flag) == ListOptions(only=only)


def test_login_rotate_remove_clear_options_from_argv() -> None:
    login = _from_argv("login", "-s", "-a", "--path", "/s3/home", "p")
    assert isinstance(login, LoginOptions)
    assert (login.request.profile, login.path, login.to_stdout, login.auto_logout) == (
        "p",
        "/s3/home",
        True,
        True,
    )
    rotate = _from_argv("rotate", "-n")
    assert isinstance(rotate, RotateOptions)
    assert (rotate.request.profile, rotate.request.no_session) == ("from-env", True)
    assert _from_argv("remove", "-f", "p") == RemoveOptions(profile="p", force=True)
    assert _from_argv("clear") == ClearOptions(profile=None)


# -- explain --------------------------------------------------------------------------------------


def test_explain_options_from_argv() -> None:
    assert _from_argv("explain", "--json", "-n", "-d", "2h", "--region", "eu-west-1", "p") == ExplainOptions(
        CredentialRequest(profile="p", region="eu-west-1", duration="2h", no_session=True), json=True
    )
    assert _from_argv("explain") == ExplainOptions(CredentialRequest(profile="from-env"))


def test_explain_refuses_a_duration_sts_would_refuse() -> None:
    _refused(ExplainOptions(CredentialRequest(profile="p", duration="40h")), "--duration must be between")
    _refused(ExplainOptions(CredentialRequest(profile="p", duration="soon")), "--duration")
    ExplainOptions(CredentialRequest(profile="p", duration="2h")).validate(_env(), PLAIN)


# -- sso ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("options_class", [SsoLoginOptions, SsoLogoutOptions, SsoPopulateOptions])
def test_sso_refuses_a_profile_and_a_session_together(options_class: type[SsoOptions]) -> None:
    _refused(options_class(profile="p", sso_session="corp"), "give a profile or --sso-session, not both")
    options_class(profile="p").validate(_env(), PLAIN)
    options_class(sso_session="corp").validate(_env(), PLAIN)
    options_class().validate(_env(), PLAIN)


def test_sso_options_from_argv() -> None:
    assert _from_argv(
        "sso", "login", "--sso-session", "corp", "--device-code", "--no-browser", "--stdout"
    ) == (SsoLoginOptions(sso_session="corp", device_code=True, no_browser=True, to_stdout=True))
    assert _from_argv("sso", "logout", "p") == SsoLogoutOptions(profile="p")
    assert _from_argv("sso", "populate", "--write", "--prefix", "x-", "--region", "eu-west-1") == (
        SsoPopulateOptions(write=True, prefix="x-", region="eu-west-1")
    )


# -- agent ----------------------------------------------------------------------------------------


def test_agent_refuses_a_command_and_bad_limits() -> None:
    _refused(AgentOptions("start", tail=("x",)), "agent start takes no command")
    _refused(AgentOptions("status", tail=("x",)), "agent status takes no command")
    _refused(AgentOptions("start", idle="0s"), "--idle must be at least 1s")
    _refused(AgentOptions("run", lifetime="soon"), "--lifetime")
    _refused(AgentOptions("start"), "AWSAFE_AGENT_IDLE", _env({"AWSAFE_AGENT_IDLE": "forever"}))
    AgentOptions("start", idle="10m", lifetime="2h").validate(_env(), PLAIN)
    AgentOptions("stop").validate(_env({"AWSAFE_AGENT_IDLE": "forever"}), PLAIN)  # no limits to stop


def test_agent_limits_come_from_the_flags_then_the_variables() -> None:
    env = _env({"AWSAFE_AGENT_IDLE": "5m", "AWSAFE_AGENT_LIFETIME": "3h"})
    assert AgentOptions("start").limits(env) == (dt.timedelta(minutes=5), dt.timedelta(hours=3))
    assert AgentOptions("start", idle="1m").limits(env) == (dt.timedelta(minutes=1), dt.timedelta(hours=3))


def test_agent_options_from_argv() -> None:
    assert _from_argv("agent", "start", "--idle", "10m", "--passphrase-fd", "5") == AgentOptions(
        "start", idle="10m", passphrase_fd=5
    )
    assert _from_argv("agent", "status", "--profiles") == AgentOptions("status", profiles=True)
    assert _from_argv("agent", "stop") == AgentOptions("stop")


# -- import credentials-file, migrate-backend ----------------------------------------------------


def test_import_credentials_file_options_from_argv() -> None:
    assert _from_argv("import", "credentials-file") == ImportCredentialsFileOptions()
    assert _from_argv(
        "import", "credentials-file", "/x/creds", "--dry-run", "--verify", "--overwrite"
    ) == ImportCredentialsFileOptions("/x/creds", dry_run=True, verify=True, overwrite=True)


def test_import_credentials_file_path_defaults_to_the_variable_then_home() -> None:
    options = ImportCredentialsFileOptions()
    assert options.file_path(_env()) == Path("/nonexistent/.aws/credentials")
    assert options.file_path(_env({"AWS_SHARED_CREDENTIALS_FILE": "/etc/c"})) == Path("/etc/c")
    assert ImportCredentialsFileOptions("/x/c").file_path(
        _env({"AWS_SHARED_CREDENTIALS_FILE": "/etc/c"})
    ) == Path("/x/c")


def test_migrate_backend_needs_two_different_known_backends() -> None:
    _refused(MigrateOptions("", "file"), "--from needs one of: ")
    _refused(MigrateOptions("file", "pass-word"), "--to needs one of: ")
    _refused(MigrateOptions("file", "file"), "--from and --to name the same backend")
    _refused(
        MigrateOptions("file", "secret-service", dry_run=True, delete_source=True),
        "--dry-run deletes nothing",
    )
    MigrateOptions("file", "secret-service", delete_source=True).validate(_env(), PLAIN)


def test_migrate_backend_options_from_argv() -> None:
    argv = ("migrate-backend", "--from", "File", "--to", "secret-service", "--profile", "a", "--profile", "b")
    assert _from_argv(*argv, "--overwrite") == MigrateOptions(
        "file", "secret-service", profiles=("a", "b"), overwrite=True
    )


# -- import aws-vault -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("keyctl", "awsafe cannot read aws-vault's keyctl store"),
        ("KWallet", "awsafe cannot read aws-vault's kwallet store"),
        ("nosuch", "--from-backend must name an aws-vault store"),
    ],
)
def test_import_aws_vault_refuses_a_store_it_cannot_read(store: str, message: str) -> None:
    _refused(ImportAwsVaultOptions(from_backend=store), message)


def test_import_aws_vault_accepts_its_stores_and_refuses_an_empty_profile() -> None:
    for store in ("file", "Secret-Service", "keychain", "wincred", None):
        ImportAwsVaultOptions(from_backend=store).validate(_env(), PLAIN)
    _refused(ImportAwsVaultOptions(profiles=("demo", " ")), "--profile cannot be empty")


def test_import_aws_vault_options_from_argv() -> None:
    argv = ["import", "aws-vault", "--from-backend", "file", "--profile", "a", "--profile", "b"]
    assert _from_argv(*argv, "--profile", "a", "--dry-run", "--overwrite", "--delete-source") == (
        ImportAwsVaultOptions(
            from_backend="file", profiles=("a", "b"), dry_run=True, overwrite=True, delete_source=True
        )
    )
    assert _from_argv("import", "aws-vault") == ImportAwsVaultOptions()


# -- run(): validate first, before the config, the vault or AWS ----------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "p", "--", "x"], "add takes no command"),
        (["add", "p", "--env"], "--env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to be set"),
        (["list", "--", "x"], "list takes no command"),
        (["remove", "p", "--", "x"], "remove takes no command"),
        (["clear", "--", "x"], "clear takes no command"),
        (["export", "nosuch", "--", "x"], "export takes no command"),
        (["exec", "--lazy", "nosuch", "--", "/nonexistent/program"], "--lazy only applies with"),
        (["server", "--imds-v1", "nosuch"], "--imds-v1 only applies with --imds"),
        (["login", "nosuch", "--", "x"], "login takes no command"),
        (["rotate", "nosuch", "--", "x"], "rotate takes no command"),
        (["explain", "nosuch", "--", "x"], "explain takes no command"),
        (["explain", "nosuch", "-d", "99h"], "--duration must be between 15m and 36h"),
        (["import", "credentials-file", "", "--dry-run"], "the credentials file path is empty"),
        (["migrate-backend", "--from", "file", "--to", "nosuch"], "--to needs one of: "),
        (["sso", "login", "nosuch", "--sso-session", "corp"], "give a profile or --sso-session, not both"),
        (["sso", "logout", "--", "x"], "sso takes no command"),
        (["sso", "populate", "nosuch", "--sso-session", "corp"], "give a profile or --sso-session, not both"),
        (["agent", "start", "--", "x"], "agent start takes no command"),
        (["agent", "run", "--idle", "0s"], "--idle must be at least 1s"),
        (["import", "aws-vault", "--", "x"], "import takes no command"),
        (
            ["import", "aws-vault", "--from-backend", "kwallet"],
            "awsafe cannot read aws-vault's kwallet store",
        ),
        (["completion", "bash", "--", "x"], "completion takes no command"),
        (["init", "tcsh"], "init: unknown shell"),
        # run directly, not through the function: a hint, and nothing fetched or printed
        (["use", "nosuch"], "use changes your shell and needs its function"),
        (["use", "--shell", "bash", "--refresh", "nosuch"], "--refresh needs the shell's process id"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_every_command_validates_before_anything_else(argv: list[str], message: str) -> None:
    # No config file and no vault: a command that skipped validate() would fail otherwise (exit 3
    # for the unknown profile 'nosuch', or a vault created), never with this line.
    line = one_error_line(run_main(*argv), 2)
    assert line.startswith(f"awsafe: {message}"), line
    assert not Path(os.environ["AWSAFE_FILE_DIR"]).exists()
    assert not Path(os.environ["AWS_CONFIG_FILE"]).exists()
