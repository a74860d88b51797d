"""Receivers of signals Django and django-axes already send: logins, failures, lockouts, logouts.

They only record; nothing else happens here (the house rule: no business logic in signals).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from .choices import EventAction, EventResult
from .services import flush_pending, security_event


def _username(credentials: dict[str, Any] | None) -> str:
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    return str((credentials or {}).get(field) or (credentials or {}).get("username") or "")[:150]


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    security_event(action=EventAction.LOGIN, actor=user, request=request, obj=user)


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:  # logging out without a session
        return
    security_event(action=EventAction.LOGOUT, actor=user, request=request, obj=user)


def on_login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    locked = bool(getattr(request, "axes_locked_out", False))
    security_event(
        action=EventAction.LOGIN_FAILED,
        result=EventResult.REFUSED if locked else EventResult.FAILURE,
        actor=None,
        actor_name=_username(credentials),
        request=request,
        detail={"locked_out": locked} if locked else {},
    )


def on_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str = "", ip_address: str = "", **kwargs: Any
) -> None:
    security_event(
        action=EventAction.LOCKOUT,
        result=EventResult.REFUSED,
        actor=None,
        actor_name=str(username or "")[:150],
        request=request,
        source_ip=ip_address or None,
        detail={"username": str(username or "")[:150]},
    )


def after_job(*args: Any, **kwargs: Any) -> None:
    """A Celery job ended: write what it kept aside inside a transaction that rolled back."""
    flush_pending()


def connect() -> None:
    """Called from IpplanConfig.ready()."""
    from axes.signals import user_locked_out
    from celery.signals import task_postrun

    user_logged_in.connect(on_login, dispatch_uid="ipplan.security.login")
    user_logged_out.connect(on_logout, dispatch_uid="ipplan.security.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="ipplan.security.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="ipplan.security.locked_out")
    task_postrun.connect(after_job, dispatch_uid="ipplan.security.after_job", weak=False)
