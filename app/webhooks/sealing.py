"""Webhook secrets at rest: sealed with Fernet (AES-128-CBC and HMAC-SHA256 from the
``cryptography`` library) under a key derived from a setting, so a copy of the database alone
does not let anyone sign deliveries a receiver would trust.

The secret cannot be hashed like an API token: each delivery is signed with it (HMAC needs
the secret itself), so it is encrypted. The key is derived with HKDF-SHA256 from
``DESKGRAPH_WEBHOOK_SECRETS_KEY`` or, without one, ``SECRET_KEY`` (with its own ``info``, so
the derived key is useless for sessions and the other way round). Pure: no Flask, no
SQLAlchemy.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography loads with the first secret sealed or opened (issue 20)
    from cryptography.fernet import Fernet

INFO = b"deskgraph webhook secrets v1"


class Unreadable(Exception):
    """A sealed secret this key does not open (the key setting changed, or the row was
    tampered with)."""


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret: str, key: str) -> str:
    """``secret`` encrypted and authenticated under ``key`` (text, about 170 characters)."""
    return _fernet(key).encrypt(secret.encode()).decode()


def unseal(sealed: str, key: str) -> str:
    """The secret ``sealed`` holds.

    :raise Unreadable: another key sealed it, or it was changed.
    """
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(key).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        raise Unreadable("this key does not open the sealed secret") from None
