"""The `awsafe` shell function `awsafe init SHELL` prints, one per shell; pure text, never prints.

The function is thin: `awsafe use ...` asks the program for the statements of this shell
(`command awsafe use --shell SHELL --parent-pid PID ...`) and evaluates them; every other
subcommand goes to the program unchanged. The program writes the statements on stdout only
when it succeeded, and everything else (errors, prompts, `--help`) on stderr or the
terminal, so a failure evaluates nothing.
"""

from __future__ import annotations

_POSIX = """\
# awsafe shell integration for {shell}: `awsafe use PROFILE` sets this shell's credentials
# (docs/commands/use.md); every other command goes to the awsafe program.
awsafe() {{
  if [ "$#" -gt 0 ] && [ "$1" = use ]; then
    shift
    local __awsafe_statements
    __awsafe_statements="$(command awsafe use --shell {shell} --parent-pid "$$" "$@")" || return
    eval "$__awsafe_statements"
  else
    command awsafe "$@"
  fi
}}
"""

_FISH = """\
# awsafe shell integration for fish: `awsafe use PROFILE` sets this shell's credentials
# (docs/commands/use.md); every other command goes to the awsafe program.
function awsafe --description 'awsafe; `awsafe use PROFILE` sets the credentials of this shell'
    if test (count $argv) -gt 0; and test "$argv[1]" = use
        set -l __awsafe_rest $argv
        set -e __awsafe_rest[1]
        set -l __awsafe_statements (command awsafe use --shell fish --parent-pid $fish_pid $__awsafe_rest)
        or return
        string join \\n -- $__awsafe_statements | source
    else
        command awsafe $argv
    end
end
"""

_PWSH = """\
# awsafe shell integration for PowerShell: `awsafe use PROFILE` sets this session's credentials
# (docs/commands/use.md); every other command goes to the awsafe program.
function awsafe {
    $awsafeProgram = Get-Command -Name awsafe -CommandType Application -ErrorAction Stop |
        Select-Object -First 1
    if ($args.Count -gt 0 -and $args[0] -ceq 'use') {
        $awsafeRest = @($args | Select-Object -Skip 1)
        $awsafeStatements = & $awsafeProgram use --shell pwsh --parent-pid $PID @awsafeRest
        if ($LASTEXITCODE -ne 0) { return }
        Invoke-Expression (@($awsafeStatements) -join "`n")
    } else {
        & $awsafeProgram @args
    }
}
"""

# Nushell cannot evaluate text: the program answers with JSON, the function loads it.
_NU = """\
# awsafe shell integration for nushell: `awsafe use PROFILE` sets this shell's credentials
# (docs/commands/use.md); every other command goes to the awsafe program. Nushell cannot
# eval: save this once (awsafe init nu | save -f ~/.cache/awsafe/init.nu) and source it from
# config.nu.
def --env --wrapped awsafe [...args] {
    if ($args | length) > 0 and ($args | first) == 'use' {
        let change = (^awsafe use --shell nu --parent-pid $nu.pid ...($args | skip 1) | from json)
        for name in $change.unset {
            if ($name in $env) { hide-env $name }
        }
        load-env $change.set
    } else {
        ^awsafe ...$args
    }
}
"""


def render_function(shell: str) -> str:
    """The function's source for ``shell`` (one of statements.SHELLS)."""
    if shell in ("bash", "zsh"):
        return _POSIX.format(shell=shell)
    texts = {"fish": _FISH, "pwsh": _PWSH, "nu": _NU}
    if shell not in texts:
        raise ValueError("unknown shell")  # a bug: validated by the command
    return texts[shell]
