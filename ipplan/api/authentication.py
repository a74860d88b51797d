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
from rest_framework.settings import api_settings

from ..models import ApiToken
from ..security.choices import EventAction, EventResult
from ..security.services import security_event
from ..services import TOKEN_PREFIX, api_token_touch, parse_networks, token_digest
from .throttling import AnonymousRateThrottle


def client_ip(request: Request) -> str | None:
    """The caller's address: REMOTE_ADDR, or behind ``NUM_PROXIES`` trusted proxies the address
    the nearest of them saw (read from X-Forwarded-For, as DRF's throttles do)."""
    meta = request._request.META
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return meta.get("REMOTE_ADDR") or None


class FailedAttemptThrottle(AnonymousRateThrottle):
    """Counts failed token presentations per address, so that guessing is rate-limited too
    (authentication runs before DRF's throttles, which would never see these requests)."""

    scope = "anonymous"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": "auth-failure", "ident": client_ip(request) or "unknown"}


def _refuse(
    request: Request, message: str, code: str, token: ApiToken | None = None
) -> exceptions.AuthenticationFailed:
    security_event(
        action=EventAction.LOGIN_FAILED,
        result=EventResult.FAILURE,
        actor=None,
        actor_name=token.user.get_username() if token is not None else "",
        request=request._request,
        source_ip=client_ip(request),
        obj=token,
        detail={"via": "api_token", "code": code},
    )
    throttle = FailedAttemptThrottle()
    if not throttle.allow_request(request, None):
        raise exceptions.Throttled(throttle.wait())
    return exceptions.AuthenticationFailed(message, code=code)


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
            raise _refuse(request, _("API 令牌无效。"), "token_invalid")
        if token.revoked_at is not None:
            raise _refuse(request, _("API 令牌已被吊销。"), "token_revoked", token)
        if token.expires_at <= timezone.now():
            raise _refuse(request, _("API 令牌已过期。"), "token_expired", token)
        if not token.user.is_active:
            raise _refuse(request, _("该令牌所属用户已停用。"), "user_inactive", token)
        ip = client_ip(request)
        if not ip_allowed(token, ip):
            raise _refuse(
                request, _("该令牌不允许从地址 %(ip)s 使用。") % {"ip": ip}, "token_ip_not_allowed", token
            )
        api_token_touch(token=token, ip=ip)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return f'{self.keyword} realm="api"'
