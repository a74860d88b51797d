"""API tokens: ``Authorization: Bearer ipp_…`` (``Token`` is accepted as the scheme too)."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from ..models import ApiToken
from ..services import TOKEN_PREFIX, api_token_touch, parse_networks, token_digest


def client_ip(request: Request) -> str | None:
    return request._request.META.get("REMOTE_ADDR") or None


def ip_allowed(token: ApiToken, ip: str | None) -> bool:
    if not token.allowed_ips.strip():
        return True
    if ip is None:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in parse_networks(token.allowed_ips))


class TokenAuthentication(BaseAuthentication):
    """Authenticate by an API token; ``request.auth`` is the ApiToken."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request).decode("latin-1")
        scheme, _sep, credentials = header.partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None  # no token: the session (or nothing) authenticates
        secret = credentials.strip()
        prefix = secret[len(TOKEN_PREFIX) :].split("_", 1)[0] if secret.startswith(TOKEN_PREFIX) else ""
        token = (
            ApiToken.objects.select_related("user", "user__region", "user__department")
            .filter(prefix=prefix)
            .first()
            if prefix
            else None
        )
        if token is None or not hmac.compare_digest(token.digest, token_digest(secret)):
            raise exceptions.AuthenticationFailed(_("API 令牌无效。"), code="token_invalid")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("API 令牌已被吊销。"), code="token_revoked")
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("API 令牌已过期。"), code="token_expired")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("该令牌所属用户已停用。"), code="user_inactive")
        ip = client_ip(request)
        if not ip_allowed(token, ip):
            raise exceptions.AuthenticationFailed(
                _("该令牌不允许从地址 %(ip)s 使用。") % {"ip": ip}, code="token_ip_not_allowed"
            )
        api_token_touch(token=token, ip=ip)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return f'{self.keyword} realm="api"'
