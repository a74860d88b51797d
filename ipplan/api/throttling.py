"""Rate limits: per token (or per signed-in user) and, for anonymous calls, per address."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from ..models import ApiToken


class ClientRateThrottle(SimpleRateThrottle):
    """Each token has its own budget; session users share one per user."""

    scope = "client"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None  # AnonymousRateThrottle counts these
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(AnonRateThrottle):
    scope = "anonymous"
