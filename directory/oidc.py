"""OIDC sign-in (统一身份认证) with Authlib's Django client: authorization-code flow, state and
nonce checked by Authlib, the groups claim mapped by ``directory_user_sync``; the second factor
and the session rules are the same as for the login form."""

from __future__ import annotations

import functools
import time
from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import user_has_device

from departments.accounts.signin import PENDING, _safe_next
from departments.sessions import sign_in
from ipplan.security.choices import EventAction, EventResult
from ipplan.security.services import security_event

from .backends import oidc_enabled
from .choices import DirectorySource
from .services import DirectoryRefusal, directory_user_sync

NEXT = "directory_oidc_next"
ID_TOKEN = "directory_oidc_id_token"


@functools.lru_cache(maxsize=4)
def _client(discovery_url: str, client_id: str, client_secret: str, scope: str) -> Any:
    oauth = OAuth()
    return oauth.register(
        "ipplan",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=discovery_url,
        client_kwargs={"scope": scope, "default_timeout": 10},
    )


def oidc_client() -> Any:
    return _client(
        settings.IPPLAN_OIDC_DISCOVERY_URL,
        settings.IPPLAN_OIDC_CLIENT_ID,
        settings.IPPLAN_OIDC_CLIENT_SECRET,
        settings.IPPLAN_OIDC_SCOPES,
    )


def _redirect_uri(request: HttpRequest) -> str:
    return settings.IPPLAN_OIDC_REDIRECT_URI or request.build_absolute_uri(reverse("directory:oidc_callback"))


def _failed(request: HttpRequest, reason: str, message: str) -> HttpResponse:
    security_event(
        action=EventAction.LOGIN_FAILED,
        result=EventResult.FAILURE,
        request=request,
        detail={"stage": "directory", "source": DirectorySource.OIDC, "reason": reason[:200]},
    )
    messages.error(request, message)
    return redirect("login")


@never_cache
@require_GET
def oidc_login(request: HttpRequest) -> HttpResponse:
    """Send the browser to the platform's sign-in page (Authlib keeps state and nonce in the session)."""
    if not oidc_enabled():
        return redirect("login")
    request.session[NEXT] = _safe_next(request, request.GET.get("next"))
    try:
        return oidc_client().authorize_redirect(request, _redirect_uri(request))  # type: ignore[no-any-return]
    except (AuthlibBaseError, OSError, ValueError) as error:
        return _failed(request, type(error).__name__, _("统一身份认证平台暂时无法访问,请稍后再试。"))


def _groups(claims: dict[str, Any]) -> list[str]:
    value = claims.get(settings.IPPLAN_OIDC_GROUPS_CLAIM)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


@never_cache
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The platform sends the browser back with a code: exchange it, check the ID token, map the user."""
    if not oidc_enabled():
        return redirect("login")
    client = oidc_client()
    try:
        token = client.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if settings.IPPLAN_OIDC_GROUPS_CLAIM not in claims:
            claims.update(client.userinfo(token=token))
    except (AuthlibBaseError, OSError, ValueError, KeyError) as error:
        return _failed(request, f"{type(error).__name__}: {error}", _("统一身份认证登录失败,请重新登录。"))
    subject = f"{claims.get('iss', '')}|{claims.get('sub', '')}"
    try:
        user = directory_user_sync(
            source=DirectorySource.OIDC,
            subject=subject if claims.get("sub") else "",
            username=str(claims.get(settings.IPPLAN_OIDC_USERNAME_CLAIM) or ""),
            groups=_groups(claims),
            email=str(claims.get("email") or ""),
            display_name=str(claims.get("name") or ""),
            request=request,
        )
    except DirectoryRefusal as refusal:
        messages.error(request, refusal.message)
        return redirect("login")
    next_url = request.session.pop(NEXT, None) or reverse(settings.LOGIN_REDIRECT_URL)
    id_token = token.get("id_token", "")
    if user_has_device(user):
        # The same second step as the login form: the code from the authenticator app.
        request.session.cycle_key()
        request.session[PENDING] = {"user": user.pk, "at": time.time(), "attempts": 0, "next": next_url}
        request.session[ID_TOKEN] = id_token
        return redirect("login_verify")
    sign_in(request, user)
    request.session[ID_TOKEN] = id_token
    return redirect(_safe_next(request, next_url))


def oidc_logout_url(request: HttpRequest) -> str | None:
    """Where to send the browser after signing out of ipplan: the platform's end-session page
    (RP-initiated logout) when the session came from it and the platform has one."""
    id_token = request.session.get(ID_TOKEN)
    if not id_token or not oidc_enabled():
        return None
    try:
        metadata = oidc_client().load_server_metadata()
    except (AuthlibBaseError, OSError, ValueError):
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.IPPLAN_OIDC_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL)),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
