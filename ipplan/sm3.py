"""SM3 (GB/T 32905) through OpenSSL: HMAC-SM3 and PBKDF2-HMAC-SM3.

Python's ``hashlib`` offers SM3 when the system's OpenSSL does (Debian's does); where it does not,
the same functions come from ``cryptography``, whose wheels carry their own OpenSSL. Both give
identical results (a test compares them), so hashes and blind indexes made on one machine verify
on another. Nothing cryptographic is written here.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


@cache
def hashlib_has_sm3() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


def hmac_sm3(key: bytes, data: bytes, *, use_hashlib: bool | None = None) -> bytes:
    """HMAC-SM3 of ``data`` under ``key``."""
    if hashlib_has_sm3() if use_hashlib is None else use_hashlib:
        return hmac.new(key, data, "sm3").digest()
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


def pbkdf2_sm3(password: bytes, salt: bytes, iterations: int, *, use_hashlib: bool | None = None) -> bytes:
    """PBKDF2-HMAC-SM3, 32 bytes (SM3's digest size, as Django's PBKDF2 hashers use theirs)."""
    if hashlib_has_sm3() if use_hashlib is None else use_hashlib:
        return hashlib.pbkdf2_hmac("sm3", password, salt, iterations)
    return PBKDF2HMAC(algorithm=hashes.SM3(), length=32, salt=salt, iterations=iterations).derive(password)
