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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ConfigFile(path=str(path), profiles={}, sso_sessions={})
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start})") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config file ({e.strerror})") from e
    return parse_config(text, str(path))
