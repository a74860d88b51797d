"""PBKDF2-HMAC-SM3 password hashing (商用密码), selected with ``IPPLAN_PASSWORD_HASHER=sm3``.

Django's PBKDF2 hasher with SM3 as the digest, run by OpenSSL (``ipplan/sm3.py``).
When it heads ``PASSWORD_HASHERS`` the other hashers stay listed behind it, so an existing
PBKDF2-SHA256 hash still verifies and is rewritten as SM3 at the user's next sign-in (Django's
``must_update`` / ``setter`` mechanism).
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from .sm3 import pbkdf2_sm3


class PBKDF2SM3PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2 with HMAC-SM3 (GB/T 32905).

    Rounds: ``IPPLAN_PASSWORD_SM3_ITERATIONS``, by default as many as Django's PBKDF2-SHA256
    (SM3 is about 2.5 times slower per round in OpenSSL 3.0, so a sign-in costs about 2 s of one
    core here instead of 0.8 s; lower it if that is too slow). A stored hash with other rounds is
    rewritten at the next sign-in.
    """

    algorithm = "pbkdf2_sm3"

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        self._check_encode_args(password, salt)  # type: ignore[attr-defined]
        iterations = iterations or self.iterations
        derived = pbkdf2_sm3(password.encode(), salt.encode(), iterations)
        return f"{self.algorithm}${iterations}${salt}${base64.b64encode(derived).decode('ascii')}"

    @property
    def iterations(self) -> int:  # type: ignore[override]
        configured: int = getattr(settings, "IPPLAN_PASSWORD_SM3_ITERATIONS", 0)
        return configured or PBKDF2PasswordHasher.iterations
