"""Replacing the plaintext credentials file: through a link, keeping the mode, never over an edit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from awsafe.errors import ConfigError
from awsafe.migration.rewrite import read_plaintext_file, replace_plaintext_file


def test_a_link_is_followed_and_the_mode_kept(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "credentials"
    real.parent.mkdir()
    real.write_bytes(b"[p]\naws_secret_access_key = s\n")
    real.chmod(0o640)
    link = tmp_path / "credentials"
    link.symlink_to(real)
    (tmp_path / "dotfiles" / ".credentials.old.awsafe-tmp").write_bytes(b"[p]\n")  # a killed run's

    original = read_plaintext_file(link)
    assert original.path == real
    replace_plaintext_file(original, b"[p]\n")

    assert link.is_symlink() and real.read_bytes() == b"[p]\n"
    assert real.stat().st_mode & 0o777 == 0o640
    assert os.listdir(real.parent) == ["credentials"]  # no backup, no temporary file


def test_a_file_changed_meanwhile_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "aws" / "credentials"
    path.parent.mkdir()
    path.write_bytes(b"[p]\naws_secret_access_key = s\n")
    original = read_plaintext_file(path)
    path.write_bytes(b"[p]\naws_secret_access_key = s\n[q]\n")
    with pytest.raises(ConfigError, match="changed while awsafe was moving its keys"):
        replace_plaintext_file(original, b"[p]\n")
    assert path.read_bytes() == b"[p]\naws_secret_access_key = s\n[q]\n"
    assert os.listdir(path.parent) == ["credentials"]


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        read_plaintext_file(tmp_path / "credentials")
