"""KeePass databases made by `keepassxc-cli` (an implementation independent of pykeepass): one
made per test session, copied for each test (creating one costs a key derivation benchmark)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSPHRASE = "keepass-test-passphrase"


@dataclass(frozen=True)
class KeePassTemplate:
    path: Path
    passphrase: str

    def copy_to(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / "awsafe.kdbx"
        shutil.copy2(self.path, target)
        return target


def keepassxc_cli(*args: str, passphrase: str = PASSPHRASE) -> subprocess.CompletedProcess[str]:
    """The real keepassxc-cli, the passphrase on stdin; fails the test when it fails."""
    done = subprocess.run(
        ["keepassxc-cli", *args], input=passphrase + "\n", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


# keepassxc-cli 2.7 writes KDBX 3.1 unless the content needs KDBX 4; an entry's CustomData
# does, so importing this XML gives a KDBX 4 database (with KeePassXC's AES-KDF).
KDBX4_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<KeePassFile><Meta><Generator>awsafe tests</Generator></Meta><Root><Group>
<UUID>AAAAAAAAAAAAAAAAAAAAAA==</UUID><Name>Root</Name>
<Entry><UUID>AQAAAAAAAAAAAAAAAAAAAA==</UUID><String><Key>Title</Key><Value>unrelated</Value></String>
<CustomData><Item><Key>made-by</Key><Value>keepassxc-cli import</Value></Item></CustomData></Entry>
</Group></Root></KeePassFile>
"""


def _made(argv: list[str]) -> None:
    done = subprocess.run(
        ["keepassxc-cli", *argv],
        input=f"{PASSPHRASE}\n{PASSPHRASE}\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def keepass_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeePassTemplate]:
    """Empty databases by keepassxc-cli, by format: "4" (`import` of an XML) and "3.1"
    (`db-create`, its default)."""
    if shutil.which("keepassxc-cli") is None:
        pytest.skip("keepassxc-cli is needed (scripts/test installs keepassxc)")
    directory = tmp_path_factory.mktemp("keepass")
    (directory / "in.xml").write_text(KDBX4_XML)
    _made(
        [
            "import",
            "--quiet",
            "--set-password",
            "--decryption-time",
            "100",
            str(directory / "in.xml"),
            str(directory / "4.kdbx"),
        ]
    )
    _made(["db-create", "--quiet", "--set-password", "--decryption-time", "100", str(directory / "3.kdbx")])
    templates = {"4": directory / "4.kdbx", "3.1": directory / "3.kdbx"}
    for version, path in templates.items():
        major = int.from_bytes(path.read_bytes()[10:12], "little")
        assert str(major) == version.split(".")[0], (version, major)
    return {version: KeePassTemplate(path, PASSPHRASE) for version, path in templates.items()}


@pytest.fixture(scope="session")
def keepass_template(keepass_templates: dict[str, KeePassTemplate]) -> KeePassTemplate:
    """The KDBX 4 database."""
    return keepass_templates["4"]
