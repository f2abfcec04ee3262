"""The zenity, kdialog, osascript and ykman drivers, run as stand-in programs on PATH."""

from __future__ import annotations

import os

import pytest

from awsafe.errors import MfaError
from awsafe.prompts.mfa import MfaRequest, choose_mfa_source
from tests.unit.prompts.conftest import StandIns

SERIAL = "arn:aws:iam::111111111111:mfa/alice"
REQUEST = MfaRequest(profile="admin", serial=SERIAL)
TEXT = f"Enter MFA code for {SERIAL} (profile admin)"


def no_tty() -> bool:
    return False


def ask(standins: StandIns, driver: str, request: MfaRequest = REQUEST, **env: str) -> str:
    environ = {**standins.environ, "DISPLAY": ":0", **env}
    return choose_mfa_source(token=None, driver=driver, environ=environ, tty_available=no_tty)(request)


def stdin_is_closed(call: dict[str, object]) -> bool:
    return call["stdin"] is None or call["stdin"] == os.devnull


# --- zenity, kdialog, osascript ---------------------------------------------------------------


def test_zenity_is_asked_with_an_entry_dialog(standins: StandIns) -> None:
    zenity = standins.add("zenity", stdout="123456\n")
    assert ask(standins, "zenity", MARKER="seen") == "123456"
    [call] = zenity.calls()
    assert call["argv"] == ["--entry", "--title", "awsafe", "--text", TEXT]
    assert call["env"]["DISPLAY"] == ":0" and call["env"]["MARKER"] == "seen"  # environ is passed on
    assert stdin_is_closed(call)


def test_zenity_text_keeps_underscores_and_backslashes(standins: StandIns) -> None:
    # zenity reads --text as a mnemonic label after C-unescaping: "_" and "\" must be doubled.
    zenity = standins.add("zenity", stdout="123456\n")
    ask(standins, "zenity", MfaRequest("dev_ops", "arn:aws:iam::1:mfa/j_smith"))
    text = zenity.argvs()[0][-1]
    assert text == "Enter MFA code for arn:aws:iam::1:mfa/j__smith (profile dev__ops)"


def test_kdialog_is_asked_with_an_inputbox(standins: StandIns) -> None:
    kdialog = standins.add("kdialog", stdout="654321\n")
    assert ask(standins, "kdialog") == "654321"
    [call] = kdialog.calls()
    assert call["argv"] == ["--inputbox", TEXT, "--title", "awsafe"]
    assert stdin_is_closed(call)


def test_osascript_is_asked_with_a_dialog_and_prints_the_answer(standins: StandIns) -> None:
    osascript = standins.add("osascript", stdout="111222\n")
    assert ask(standins, "osascript", MfaRequest('my "quoted" profile', SERIAL)) == "111222"
    [call] = osascript.calls()
    assert call["argv"] == [
        "-e",
        f'display dialog "Enter MFA code for {SERIAL} (profile my \\"quoted\\" profile)" '
        'default answer "" buttons {"Cancel", "OK"} default button "OK" cancel button "Cancel" '
        'with title "awsafe"',
        "-e",
        "text returned of result",
    ]
    assert stdin_is_closed(call)


@pytest.mark.parametrize("driver", ["zenity", "kdialog", "osascript"])
def test_cancelling_a_dialog_is_an_mfa_error(standins: StandIns, driver: str) -> None:
    standins.add(driver, exit_code=1)
    with pytest.raises(MfaError) as e:
        ask(standins, driver)
    assert str(e.value) == f"MFA prompt cancelled ({driver} exited with 1, profile 'admin')"


def test_a_dialog_that_cannot_start_says_why_without_gtk_chatter(standins: StandIns) -> None:
    standins.add(
        "zenity",
        stderr="Gtk-Message: 10:00:00: GtkDialog mapped without a transient parent\n"
        "(zenity:42): Gtk-WARNING **: cannot open display: :9\n",
        exit_code=255,
    )
    with pytest.raises(MfaError) as e:
        ask(standins, "zenity")
    assert str(e.value) == (
        "MFA prompt cancelled (zenity exited with 255, profile 'admin'): "
        "(zenity:42): Gtk-WARNING **: cannot open display: :9"
    )


def test_a_dialog_answer_that_is_not_a_code_is_refused(standins: StandIns) -> None:
    standins.add("kdialog", stdout="hunter2hunter2\n")
    with pytest.raises(MfaError) as e:
        ask(standins, "kdialog")
    assert "hunter2" not in str(e.value)
    assert "is not a 6-digit MFA code" in str(e.value)


# --- ykman -------------------------------------------------------------------------------------


def test_ykman_reads_the_oath_account_named_after_the_serial(standins: StandIns) -> None:
    ykman = standins.add("ykman", stdout="987654\n")
    assert ask(standins, "ykman") == "987654"
    [call] = ykman.calls()
    assert call["argv"] == ["oath", "accounts", "code", "--single", SERIAL]
    assert stdin_is_closed(call)


def test_ykman_honours_the_credential_name_and_device(standins: StandIns) -> None:
    ykman = standins.add("ykman", stdout="987654\n")
    ask(standins, "ykman", YKMAN_OATH_CREDENTIAL_NAME="AWS:alice", YKMAN_OATH_DEVICE_SERIAL="1234567")
    assert ykman.argvs() == [["--device", "1234567", "oath", "accounts", "code", "--single", "AWS:alice"]]


def test_ykman_before_version_4_uses_oath_code(standins: StandIns) -> None:
    ykman = standins.add("ykman", stdout="987654\n")
    ask(standins, "ykman", AWS_VAULT_YKMAN_VERSION="3")
    assert ykman.argvs() == [["oath", "code", "--single", SERIAL]]


def test_ykman_output_with_the_account_name_gives_the_last_word(standins: StandIns) -> None:
    standins.add("ykman", stdout=f"{SERIAL}  246810\n")
    assert ask(standins, "ykman") == "246810"


def test_ykman_failure_names_the_account_and_says_why(standins: StandIns) -> None:
    standins.add("ykman", stderr="Error: No matching account found.\nmore\n", exit_code=1)
    with pytest.raises(MfaError) as e:
        ask(standins, "ykman", YKMAN_OATH_CREDENTIAL_NAME="AWS:alice")
    assert str(e.value) == (
        "ykman could not read OATH account 'AWS:alice' for profile 'admin' (ykman exited with 1): "
        "Error: No matching account found."
    )
    assert "YKMAN_OATH_CREDENTIAL_NAME" in (e.value.hint or "")


def test_ykman_with_no_output_is_not_a_code(standins: StandIns) -> None:
    standins.add("ykman", stdout="")
    with pytest.raises(MfaError, match="^ykman gave nothing for profile 'admin'"):
        ask(standins, "ykman")
