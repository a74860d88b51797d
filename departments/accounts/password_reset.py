"""Password reset by e-mail, throttled: at most IPPLAN_PASSWORD_RESET_PER_HOUR mails per address
and per account in an hour (counted in the cache; use Redis when several web processes run).

Every request gets the same neutral answer (the "sent" page), whether the address belongs to an
account, belongs to none, or is over its limit, so the form tells nobody which addresses exist or
how often they were asked for; only the number of mails is capped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.cache import cache

from .signin import BlindIndexPasswordResetForm, PasswordResetView

logger = logging.getLogger("ipplan.security")

#: The window the limit counts in (seconds).
WINDOW = 3600


def _spend(key: str, limit: int) -> bool:
    """Count one use of ``key`` in its window; False once the window's count passes ``limit``."""
    cache.add(key, 0, timeout=WINDOW)  # the window starts with the first use
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW)
        count = 1
    return count <= limit


class ThrottledPasswordResetForm(BlindIndexPasswordResetForm):
    """The reset form (accounts found by the address's blind index), sending to an address or an account at most the hourly limit."""

    def get_users(self, email: str) -> Iterator[Any]:
        limit = int(settings.IPPLAN_PASSWORD_RESET_PER_HOUR)
        digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
        if not _spend(f"ipplan:pwreset:address:{digest}", limit):
            logger.warning("password reset for an address over its hourly limit: no mail sent")
            return
        for user in super().get_users(email):
            if _spend(f"ipplan:pwreset:account:{user.pk}", limit):
                yield user
            else:
                logger.warning("password reset for account %s over its hourly limit: no mail sent", user.pk)


password_reset = PasswordResetView.as_view(form_class=ThrottledPasswordResetForm)
