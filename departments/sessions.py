"""Sign-in, sign-out and the session policy (等保 2.0 identification and authentication).

* ``sign_in`` / ``sign_out`` / ``login_failed`` are the one place each of these events happens
  (the security log is wired here).
* ``SessionPolicyMiddleware`` ends a session idle for ``IPPLAN_SESSION_IDLE_MINUTES`` or older
  than ``IPPLAN_SESSION_MAX_HOURS``, and tells a browser whose session was ended why.
* ``session_register`` keeps at most ``IPPLAN_MAX_SESSIONS_PER_USER`` sessions per account: a new
  sign-in ends the oldest ones. The times live in the session itself and the list of a user's
  sessions in ``UserSession`` rows, so it works with the database and the cache session backends.
* ``AccountGateMiddleware`` keeps a user whose password must change (first sign-in, expired) on
  the change page, and a user whose role needs two-factor sign-in on the enrolment page, until
  done. API calls with a token are not sessions and are not affected.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ipplan.security.choices import EventAction, EventResult
from ipplan.security.services import security_event

from .models import SessionEndReason, User, UserSession
from .passwords import password_change_required

if TYPE_CHECKING:
    from django_otp.models import Device

STARTED = "authn_started"
SEEN = "authn_seen"
#: A user's session rows older than this are deleted at their next sign-in (every session is
#: over by then: the store forgets one after SESSION_COOKIE_AGE, at most two weeks).
KEEP_ROWS = dt.timedelta(days=30)
#: Refresh the "last seen" time at most this often, so that a burst of requests writes once.
SEEN_RESOLUTION_SECONDS = 60


def _client_ip(request: HttpRequest) -> str | None:
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def second_factor_required(user: User) -> bool:
    """Whether ``user``'s role must sign in with a second factor (``IPPLAN_2FA_REQUIRED_ROLES``)."""
    return user.role in settings.IPPLAN_2FA_REQUIRED_ROLES


def sign_in(request: HttpRequest, user: User, *, device: Device | None = None) -> None:
    """Sign ``user`` in (after the password and, when they have one, the second factor)."""
    if device is not None:
        # django-otp persists the verified device in the session when the login signal fires.
        user.otp_device = device  # type: ignore[attr-defined]
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = time.time()
    request.session[STARTED] = now
    request.session[SEEN] = now
    session_register(request, user)


def login_failed(request: HttpRequest, username: str, *, stage: str) -> None:
    """A failed sign-in (``stage`` 'password' or 'second_factor'); axes counts the password ones.

    A failed password is logged by the security log's ``user_login_failed`` receiver (Django's
    authenticate sends it); a failed second factor is logged here.
    """
    if stage != "password":
        security_event(
            action=EventAction.LOGIN_FAILED,
            result=EventResult.FAILURE,
            actor_name=username,
            request=request,
            detail={"step": stage},
        )


def sign_out(request: HttpRequest, *, reason: str = SessionEndReason.LOGOUT) -> None:
    """End the current session (the user's choice, or the policy's ``reason``)."""
    if reason != SessionEndReason.LOGOUT:
        security_event(action=EventAction.SESSION_EXPIRED, request=request, detail={"reason": str(reason)})
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason
        )
    auth_logout(request)


def session_register(request: HttpRequest, user: User) -> UserSession:
    """Record the new session and end the user's oldest ones beyond the allowed number."""
    key = request.session.session_key
    if key is None:
        request.session.save()
        key = request.session.session_key
    assert key is not None
    record, _created = UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "created_at": timezone.now(),
            "ended_at": None,
            "end_reason": "",
            "ip_address": _client_ip(request),
            "user_agent": request.headers.get("User-Agent", "")[:200],
        },
    )
    # Rows outlive their sessions only to tell a returning browser why it was signed out.
    UserSession.objects.filter(user=user, created_at__lt=timezone.now() - KEEP_ROWS).delete()
    limit = settings.IPPLAN_MAX_SESSIONS_PER_USER
    if limit > 0:
        older = UserSession.objects.filter(user=user, ended_at__isnull=True).exclude(pk=record.pk)
        for stale in list(older.order_by("-created_at", "-id")[limit - 1 :]):
            session_end(stale, reason=SessionEndReason.CONCURRENT)
    return record


def session_keep_after_password_change(request: HttpRequest, user: User) -> None:
    """Keep this session signed in after its user changed their password.

    Django gives the session a new key (``update_session_auth_hash``); the session's row follows
    it, or a later sign-in elsewhere could not end this session.
    """
    old_key = request.session.session_key
    update_session_auth_hash(request, user)
    new_key = request.session.session_key
    if old_key and new_key and new_key != old_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def session_end(record: UserSession, *, reason: str) -> None:
    """End another session: drop it from the session store and say why on its row."""
    _session_store()(session_key=record.session_key).delete()
    security_event(
        action=EventAction.SESSION_EXPIRED,
        actor=record.user,
        source_ip=record.ip_address,
        detail={"reason": str(reason), "session": record.pk},
    )
    record.ended_at = timezone.now()
    record.end_reason = reason
    record.save(update_fields=["ended_at", "end_reason"])


def sessions_end_for_user(user: User, *, reason: str = SessionEndReason.ADMIN) -> int:
    """End every open session of ``user`` (after a reset of their password or second factor)."""
    records = list(UserSession.objects.filter(user=user, ended_at__isnull=True))
    for record in records:
        session_end(record, reason=reason)
    return len(records)


ENDED_MESSAGES: dict[str, Callable[[], str]] = {
    SessionEndReason.IDLE: lambda: _("您长时间未操作,会话已结束,请重新登录。"),
    SessionEndReason.EXPIRED: lambda: _("会话已超过最长时间,请重新登录。"),
    SessionEndReason.CONCURRENT: lambda: _("您的账号已在其他地方登录,本会话已结束。"),
    SessionEndReason.ADMIN: lambda: _("管理员已结束您的会话,请重新登录。"),
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _to_login(request: HttpRequest) -> HttpResponse:
    target = reverse("login")
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)


class SessionPolicyMiddleware:
    """Idle and absolute session timeouts, and the reason an ended session ended."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            reason = self._expired(request)
            if reason is not None:
                sign_out(request, reason=reason)
                messages.warning(request, ENDED_MESSAGES[reason]())
                if not _is_api(request):
                    return _to_login(request)
        else:
            self._explain_ended(request)
        return self.get_response(request)

    @staticmethod
    def _expired(request: HttpRequest) -> str | None:
        now = time.time()
        session = request.session
        started, seen = session.get(STARTED), session.get(SEEN)
        if started is None or seen is None:
            # Not made by sign_in (a session from before this policy, a test's force_login): the
            # session store's own expiry (SESSION_COOKIE_AGE = the absolute limit) bounds it.
            return None
        max_hours, idle_minutes = settings.IPPLAN_SESSION_MAX_HOURS, settings.IPPLAN_SESSION_IDLE_MINUTES
        if max_hours > 0 and now - started > max_hours * 3600:
            return SessionEndReason.EXPIRED
        if idle_minutes > 0 and now - seen > idle_minutes * 60:
            return SessionEndReason.IDLE
        if now - seen >= SEEN_RESOLUTION_SECONDS:
            session[SEEN] = now
        return None

    @staticmethod
    def _explain_ended(request: HttpRequest) -> None:
        # The browser still presents the key of a session the server ended (another sign-in, an
        # administrator): say why, once (the session middleware then drops the empty cookie).
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not key or request.session.session_key == key:
            return
        record = (
            UserSession.objects.filter(session_key=key, ended_at__isnull=False)
            .exclude(end_reason=SessionEndReason.LOGOUT)
            .first()
        )
        if record is not None and record.end_reason in ENDED_MESSAGES:
            messages.warning(request, ENDED_MESSAGES[record.end_reason]())
            # Told once: the row keeps its reason but no longer answers to this key.
            UserSession.objects.filter(pk=record.pk).update(session_key=f"told:{record.pk}")


#: URL names a user who must change their password or set up 2FA may still open.
GATE_OPEN_NAMES = (
    "password_change",
    "password_change_done",
    "logout",
    "login",
    "account_2fa",
    "account_2fa_disable",
    "set_language",
)


class AccountGateMiddleware:
    """Keeps a user on the password-change or 2FA-enrolment page until that is done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: set[str] | None = None

    def _open(self, request: HttpRequest) -> bool:
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in GATE_OPEN_NAMES}
        static = "/" + settings.STATIC_URL.lstrip("/")
        return request.path in self._open_paths or request.path.startswith(static)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or self._open(request):
            return self.get_response(request)
        person: User = user  # type: ignore[assignment]
        why = password_change_required(person)
        if why is not None:
            text = (
                _("首次登录,请先修改管理员设置的初始密码。")
                if why == "first"
                else _("您的密码已超过 %(days)d 天未修改,请先修改密码。")
                % {"days": settings.IPPLAN_PASSWORD_MAX_AGE_DAYS}
            )
            return self._stop(request, "password_change", text)
        if second_factor_required(person) and not person.is_verified():  # type: ignore[attr-defined]
            from django_otp import user_has_device

            if user_has_device(person):
                # A session that skipped the second step (it cannot come from our sign-in page).
                sign_out(request)
                messages.warning(request, _("请重新登录并输入动态验证码。"))
                return _to_login(request)
            return self._stop(request, "account_2fa", _("您的角色须使用双因素登录,请先绑定身份验证器。"))
        return self.get_response(request)

    @staticmethod
    def _stop(request: HttpRequest, name: str, text: str) -> HttpResponse:
        if _is_api(request):
            return JsonResponse(
                {"type": "about:blank", "title": text, "status": 403, "code": "account_action_required"},
                status=403,
                content_type="application/problem+json",
            )
        messages.warning(request, text)
        return redirect(name)
