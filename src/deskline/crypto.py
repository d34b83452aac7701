"""Secrets at rest: authenticated encryption of stored credentials and tokens.

A :class:`SecretBox` derives a Fernet key from deskline's secret key (HKDF-SHA256 with a
purpose label), so one configured key serves several independent purposes.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from deskline.errors import ConfigurationError


def derive_key(secret_key: bytes, purpose: str, length: int = 32) -> bytes:
    """A key for one purpose, derived from the master secret."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose.encode()).derive(
        secret_key
    )


class SecretBox:
    """Encrypts and decrypts short secrets (tokens, passwords) for storage."""

    def __init__(self, secret_key: bytes, purpose: str = "deskline-secrets-at-rest") -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, purpose)))

    def __repr__(self) -> str:
        return "SecretBox(<hidden>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken as exc:
            raise ConfigurationError(
                "a stored secret cannot be decrypted: was DESKLINE_SECRET_KEY changed?"
            ) from exc


def mask(value: str | None, keep: int = 4) -> str:
    """A secret as shown in logs and output: only its last characters."""
    if not value:
        return ""
    if len(value) <= keep * 2:
        return "****"
    return "****" + value[-keep:]
