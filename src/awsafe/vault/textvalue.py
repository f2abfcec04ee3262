"""Secret bytes as the text the keychain, pass and KeePass backends hold (base64), and back."""

from __future__ import annotations

import base64
import binascii

from awsafe.errors import StoreCorruptError


def render_text_value(value: bytes) -> str:
    """``value`` as base64 text: these stores keep text, and any byte may be in a secret."""
    return base64.b64encode(bytes(value)).decode("ascii")


def parse_text_value(text: str | bytes, where: str) -> bytes:
    """The bytes of a stored text; StoreCorruptError naming ``where`` (never the text) when it is
    not what awsafe wrote."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise StoreCorruptError(f"{where} is not awsafe data") from e
