"""DRF permission classes. Who may do what is decided by ``ipplan.permissions``; these only add
what is particular to the API (a read-only token cannot write)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request

from ..models import ApiToken


class TokenAllowsMethod(BasePermission):
    message = _("该 API 令牌为只读令牌,不能修改数据。")
    code = "token_read_only"

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        return not (
            isinstance(token, ApiToken) and request.method not in SAFE_METHODS and not token.can_write
        )


DEFAULT = [IsAuthenticated, TokenAllowsMethod]
