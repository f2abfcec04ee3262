"""The file I/O edge of config: read the AWS config file (`awsafe.paths` says where it is)."""

from __future__ import annotations

from pathlib import Path

from awsafe.config.parse import ConfigFile, parse_config
from awsafe.errors import ConfigError


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
