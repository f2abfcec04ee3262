"""The profile picker of `exec`, `export` and `login` (aws-vault's fork has one): at a terminal,
with no profile argument and no AWS_PROFILE, the user chooses one of the configured profiles.

Without a terminal (a pipe, credential_process, a script) today's rule stays: the ``default``
profile, with no question asked. The fast path never gets here: it declines such a call
(``cli.fastpath``). The menu is drawn on stderr, so ``eval "$(awsafe export)"`` still gets only
the credentials on stdout; questionary (over prompt_toolkit) is imported only when it is shown.
"""

from __future__ import annotations

import dataclasses

from awsafe.environment import Environment
from awsafe.errors import UsageError
from awsafe.wiring.options import CredentialRequest
from awsafe.wiring.provider import read_config

QUESTION = "Choose AWS profile:"


def at_a_terminal(env: Environment) -> bool:
    """stdin and stderr both a terminal: someone is there to answer, and to see the menu."""
    try:
        return env.stdin_isatty() and env.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def choose_profile(request: CredentialRequest, profile_given: bool, env: Environment) -> CredentialRequest:
    """``request`` for the profile the user picks, when the picker applies; else unchanged."""
    if profile_given or env.get("AWS_PROFILE") or not at_a_terminal(env):
        return request
    names = list(read_config(env).profiles)
    if not names:
        return request  # nothing to choose from: `default`, and its own message if it is missing
    from awsafe.credentials.fastpath import fast_path_key

    chosen = ask_profile(names, env)
    return dataclasses.replace(request, profile=chosen, fast_path_key=fast_path_key(chosen, env.environ))


def ask_profile(names: list[str], env: Environment) -> str:
    """Show the menu (cursor on ``default`` when there is one: Enter keeps today's choice);
    Ctrl-C is KeyboardInterrupt, which main() turns into exit 130."""
    import questionary
    from prompt_toolkit.input import create_input
    from prompt_toolkit.output import create_output

    question = questionary.select(
        QUESTION,
        choices=names,
        default="default" if "default" in names else None,
        input=create_input(env.stdin),
        output=create_output(stdout=env.stderr),
    )
    answer = question.unsafe_ask()
    if not isinstance(answer, str) or answer not in names:
        raise UsageError("no profile chosen", hint="name one: awsafe exec PROFILE, or set AWS_PROFILE")
    return answer
