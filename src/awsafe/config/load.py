"""The file I/O edge of config: find and read the AWS config file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from awsafe.config.parse import ConfigFile, parse_config
from awsafe.errors import ConfigError


def config_path(env: Mapping[str, str], home: Path) -> Path:
    configured = env.get("AWS_CONFIG_FILE")
    return Path(configured).expanduser() if configured else home / ".aws" / "config"


def load_config(path: Path) -> ConfigFile:
    """Read and parse the config; a missing file is an empty config, not an error."""
    try:
        # Bytes, not text: decoding a 20 MB generated file costs more than resolving
        # a profile in it; parse_config checks the encoding and decodes what it uses.
        data = path.read_bytes()
    except FileNotFoundError:
        return ConfigFile(path=str(path), profiles={}, sso_sessions={})
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config file ({e.strerror})") from e
    return parse_config(data, str(path))
