"""choose_mfa_source: --mfa-token once, then mfa_process, then the prompt driver
(docs/sessions.md#mfa-codes)."""

from __future__ import annotations

import os
import time

import pytest

from awsafe.errors import MfaError, UsageError
from awsafe.prompts import terminal
from awsafe.prompts.mfa import DRIVERS, MfaRequest, choose_mfa_source
from tests.unit.prompts.conftest import StandIns

SERIAL = "arn:aws:iam::111111111111:mfa/alice"
REQUEST = MfaRequest(profile="admin", serial=SERIAL)


def no_tty() -> bool:
    return False


def a_tty() -> bool:
    return True


@pytest.fixture
def fake_terminal(monkeypatch: pytest.MonkeyPatch) -> list[MfaRequest]:
    """Replace the /dev/tty driver; the list holds every request it was asked."""
    asked: list[MfaRequest] = []

    def ask(request: MfaRequest) -> str:
        asked.append(request)
        return "222222"

    monkeypatch.setattr(terminal, "ask_mfa_code", ask)
    return asked


# --- the driver name ----------------------------------------------------------------------


def test_an_unknown_driver_is_a_usage_error_listing_the_valid_ones() -> None:
    with pytest.raises(UsageError) as e:
        choose_mfa_source(token=None, driver="pass", environ={})
    assert "unknown prompt driver 'pass'" in str(e.value)
    for name in DRIVERS:
        assert name in str(e.value)
    assert DRIVERS == ("terminal", "zenity", "kdialog", "osascript", "ykman")


def test_the_terminal_driver_with_a_server_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="terminal prompt cannot be used while a credential server"):
        choose_mfa_source(token=None, driver="terminal", environ={}, server_running=True)


def test_driver_names_are_case_insensitive_and_empty_means_automatic(standins: StandIns) -> None:
    standins.add("ykman", stdout="333333\n")
    source = choose_mfa_source(token=None, driver="YKMAN", environ=standins.environ, tty_available=no_tty)
    assert source(REQUEST) == "333333"
    source = choose_mfa_source(token=None, driver="", environ=standins.environ, tty_available=no_tty)
    assert source(REQUEST) == "333333"


def test_choosing_runs_nothing_until_a_code_is_needed(standins: StandIns) -> None:
    ykman = standins.add("ykman", stdout="333333\n")

    def tty_must_not_be_probed() -> bool:
        raise AssertionError("the terminal was probed before any request")

    choose_mfa_source(token=None, driver=None, environ=standins.environ, tty_available=tty_must_not_be_probed)
    assert ykman.calls() == []


# --- --mfa-token ------------------------------------------------------------------------------


def test_the_token_answers_the_first_request_only(standins: StandIns) -> None:
    ykman = standins.add("ykman", stdout="333333\n")
    source = choose_mfa_source(token="111111", driver=None, environ=standins.environ, tty_available=no_tty)
    assert source(REQUEST) == "111111"
    assert ykman.calls() == []
    assert source(REQUEST) == "333333"
    assert len(ykman.calls()) == 1


def test_the_token_is_used_before_mfa_process(standins: StandIns) -> None:
    otp = standins.add("otp", stdout="444444\n")
    source = choose_mfa_source(token=" 111111 ", driver=None, environ=standins.environ, tty_available=no_tty)
    request = MfaRequest("admin", SERIAL, mfa_process="otp admin")
    assert source(request) == "111111"
    assert otp.calls() == []
    assert source(request) == "444444"


def test_a_bad_token_is_refused_once_then_the_next_source_asks(standins: StandIns) -> None:
    standins.add("ykman", stdout="333333\n")
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    source = choose_mfa_source(token=secret, driver=None, environ=standins.environ, tty_available=no_tty)
    with pytest.raises(MfaError) as e:
        source(REQUEST)
    assert secret not in str(e.value)
    assert str(e.value).startswith("--mfa-token gave a value of 40 characters (not shown)")
    assert source(REQUEST) == "333333"


def test_the_token_is_not_in_the_sources_repr() -> None:
    source = choose_mfa_source(token="918273", driver=None, environ={}, tty_available=no_tty)
    assert "918273" not in repr(source)


# --- mfa_process before the driver ---------------------------------------------------------


def test_mfa_process_is_used_before_an_explicit_driver(standins: StandIns) -> None:
    ykman = standins.add("ykman", stdout="333333\n")
    standins.add("otp", stdout="444444\n")
    source = choose_mfa_source(token=None, driver="ykman", environ=standins.environ, tty_available=no_tty)
    assert source(MfaRequest("admin", SERIAL, mfa_process="otp")) == "444444"
    assert ykman.calls() == []
    assert source(MfaRequest("other", SERIAL)) == "333333"


def test_mfa_process_is_used_before_the_terminal(standins: StandIns, fake_terminal: list[MfaRequest]) -> None:
    standins.add("otp", stdout="444444\n")
    source = choose_mfa_source(token=None, driver=None, environ=standins.environ, tty_available=a_tty)
    assert source(MfaRequest("admin", SERIAL, mfa_process="otp")) == "444444"
    assert fake_terminal == []


# --- automatic choice ------------------------------------------------------------------------


def test_automatic_prefers_the_terminal(standins: StandIns, fake_terminal: list[MfaRequest]) -> None:
    zenity = standins.add("zenity", stdout="555555\n")
    source = choose_mfa_source(
        token=None, driver=None, environ={**standins.environ, "DISPLAY": ":0"}, tty_available=a_tty
    )
    assert source(REQUEST) == "222222"
    assert fake_terminal == [REQUEST]
    assert zenity.calls() == []


def test_automatic_never_picks_the_terminal_while_a_server_runs(
    standins: StandIns, fake_terminal: list[MfaRequest]
) -> None:
    standins.add("zenity", stdout="555555\n")
    source = choose_mfa_source(
        token=None,
        driver=None,
        environ={**standins.environ, "DISPLAY": ":0"},
        server_running=True,
        tty_available=a_tty,
    )
    assert source(REQUEST) == "555555"
    assert fake_terminal == []


@pytest.mark.parametrize("display", [{"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "wayland-0"}])
def test_without_a_terminal_zenity_with_a_display(standins: StandIns, display: dict[str, str]) -> None:
    zenity = standins.add("zenity", stdout="555555\n")
    kdialog = standins.add("kdialog", stdout="666666\n")
    standins.add("ykman", stdout="333333\n")
    source = choose_mfa_source(
        token=None, driver=None, environ={**standins.environ, **display}, tty_available=no_tty
    )
    assert source(REQUEST) == "555555"
    assert len(zenity.calls()) == 1
    assert kdialog.calls() == []


def test_kdialog_when_there_is_no_zenity(standins: StandIns) -> None:
    standins.add("kdialog", stdout="666666\n")
    standins.add("ykman", stdout="333333\n")
    source = choose_mfa_source(
        token=None, driver=None, environ={**standins.environ, "DISPLAY": ":0"}, tty_available=no_tty
    )
    assert source(REQUEST) == "666666"


def test_no_dialog_without_a_display_then_ykman(standins: StandIns) -> None:
    zenity = standins.add("zenity", stdout="555555\n")
    kdialog = standins.add("kdialog", stdout="666666\n")
    ykman = standins.add("ykman", stdout="333333\n")
    source = choose_mfa_source(token=None, driver=None, environ=standins.environ, tty_available=no_tty)
    assert source(REQUEST) == "333333"
    assert zenity.calls() == [] and kdialog.calls() == []
    assert len(ykman.calls()) == 1


def test_osascript_only_on_macos(standins: StandIns) -> None:
    standins.add("osascript", stdout="777777\n")
    standins.add("ykman", stdout="333333\n")
    on_mac = choose_mfa_source(
        token=None, driver=None, environ=standins.environ, tty_available=no_tty, platform="darwin"
    )
    assert on_mac(REQUEST) == "777777"
    on_linux = choose_mfa_source(
        token=None, driver=None, environ=standins.environ, tty_available=no_tty, platform="linux"
    )
    assert on_linux(REQUEST) == "333333"


def test_with_no_way_to_ask_the_error_comes_at_once(standins: StandIns) -> None:
    standins.add("zenity", stdout="555555\n")  # present, but there is no display
    source = choose_mfa_source(
        token=None, driver=None, environ=standins.environ, tty_available=no_tty, platform="linux"
    )
    started = time.monotonic()
    with pytest.raises(MfaError) as e:
        source(REQUEST)
    assert time.monotonic() - started < 2
    assert str(e.value) == (
        f"no way to ask for the MFA code of profile 'admin' (serial {SERIAL}): no terminal, no GUI "
        "prompt (zenity or kdialog with DISPLAY or WAYLAND_DISPLAY), no ykman on PATH"
    )
    assert e.value.hint == "pass --mfa-token CODE, set mfa_process, or use --prompt"


def test_with_a_server_and_no_other_way_the_error_says_who_owns_the_terminal(standins: StandIns) -> None:
    source = choose_mfa_source(
        token=None, driver=None, environ=standins.environ, server_running=True, tty_available=a_tty
    )
    with pytest.raises(MfaError, match="no terminal prompt while a credential server runs"):
        source(REQUEST)


# --- explicit drivers ----------------------------------------------------------------------


def test_an_explicit_driver_beats_the_automatic_order(
    standins: StandIns, fake_terminal: list[MfaRequest]
) -> None:
    standins.add("zenity", stdout="555555\n")
    kdialog = standins.add("kdialog", stdout="666666\n")
    source = choose_mfa_source(
        token=None, driver="kdialog", environ={**standins.environ, "DISPLAY": ":0"}, tty_available=a_tty
    )
    assert source(REQUEST) == "666666"
    assert len(kdialog.calls()) == 1
    assert fake_terminal == []


def test_an_explicit_terminal_is_used_even_if_dialogs_exist(
    standins: StandIns, fake_terminal: list[MfaRequest]
) -> None:
    standins.add("zenity", stdout="555555\n")
    source = choose_mfa_source(
        token=None, driver="terminal", environ={**standins.environ, "DISPLAY": ":0"}, tty_available=a_tty
    )
    assert source(REQUEST) == "222222"


def test_an_explicit_driver_that_is_not_installed_is_named(standins: StandIns) -> None:
    source = choose_mfa_source(token=None, driver="zenity", environ=standins.environ, tty_available=no_tty)
    with pytest.raises(
        MfaError, match="^the zenity MFA prompt for profile 'admin': 'zenity' not found on PATH$"
    ):
        source(REQUEST)


def test_an_explicit_terminal_without_one_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def no_dev_tty(path: str, flags: int, mode: int = 0o777) -> int:
        if path == "/dev/tty":
            raise OSError(6, "No such device or address", path)
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", no_dev_tty)
    source = choose_mfa_source(token=None, driver="terminal", environ={}, tty_available=no_tty)
    with pytest.raises(MfaError, match="^no terminal to ask for the MFA code of profile 'admin'$"):
        source(REQUEST)


def test_every_driver_answer_is_validated(standins: StandIns) -> None:
    standins.add("zenity", stdout="12345\n")
    source = choose_mfa_source(
        token=None, driver=None, environ={**standins.environ, "DISPLAY": ":0"}, tty_available=no_tty
    )
    with pytest.raises(MfaError, match="^the zenity prompt gave '12345' for profile 'admin'"):
        source(REQUEST)
