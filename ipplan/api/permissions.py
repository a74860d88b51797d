"""DRF permission classes. Who may do what is decided by ``ipplan.permissions``; these only add
what is particular to the API (a read-only token cannot write)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import Throttled
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from ..models import ApiToken
from .throttling import AnonymousRateThrottle


class TokenAllowsMethod(BasePermission):
    message = _("该 API 令牌为只读令牌,不能修改数据。")
    code = "token_read_only"

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        return not (
            isinstance(token, ApiToken) and request.method not in SAFE_METHODS and not token.can_write
        )


class AnonymousThrottled(BasePermission):
    """Runs the anonymous rate limit before the 401 (DRF checks permissions before throttles,
    so without this a caller without credentials would never be limited)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        throttle = AnonymousRateThrottle()
        if not throttle.allow_request(request, view):
            raise Throttled(throttle.wait())
        return True
