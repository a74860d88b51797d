"""Logs what is seen at the edge of a request: refusals (403, and 404 for an object that exists
but is out of the caller's reach), exports and file downloads; then writes any refusal kept aside
while a transaction was open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from .choices import EventAction, EventResult
from .services import flush_pending, security_event

#: view name -> (event, what): successful responses of these views are logged.
AUDITED_VIEWS: dict[str, tuple[str, str]] = {
    "tasks:ledger_export": (EventAction.EXPORT, "ledger"),
    "tasks:briefing_export": (EventAction.EXPORT, "briefing"),
    "tasks:assessment_export": (EventAction.EXPORT, "assessment"),
    "tasks:attachment": (EventAction.FILE_DOWNLOAD, "tasks.attachment"),
    "api-attachment-download": (EventAction.FILE_DOWNLOAD, "tasks.attachment"),
}
_REFUSAL = "_ipplan_security_refusal"
_ADMIN_FLAGS = {1: EventAction.ADMIN_ADD, 2: EventAction.ADMIN_CHANGE, 3: EventAction.ADMIN_DELETE}


def note_refusal(request: HttpRequest, exc: BaseException) -> None:
    """Remember why ``request`` was refused, for the event written when the response leaves.

    A PermissionDenied (the policy's ``require``, DRF's permission classes) is a refusal; an
    Http404 is one only when the policy raised it for an object that exists (``get_for``).
    """
    from rest_framework import exceptions as drf

    detail: dict[str, Any] = {}
    if isinstance(exc, PermissionDenied | drf.PermissionDenied):
        detail = {"reason": str(exc)[:200]}
    elif isinstance(exc, Http404 | drf.NotFound) and getattr(exc, "refused_action", None):
        detail = {"reason": "not visible"}
    else:
        return
    for attribute in ("refused_action", "refused_type", "refused_id"):
        if getattr(exc, attribute, None) is not None:
            detail[attribute.removeprefix("refused_")] = str(getattr(exc, attribute))
    setattr(request, _REFUSAL, detail)


class SecurityAuditMiddleware:
    """Place after AuthenticationMiddleware: the events name the user the request ran as."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        admin_write = request.method == "POST" and request.path.startswith(_admin_prefix())
        last_entry = _last_log_entry() if admin_write else 0
        response = self.get_response(request)
        try:
            self._log(request, response)
            if admin_write:
                _log_admin_changes(request, last_entry)
        finally:
            flush_pending()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        note_refusal(request, exception)

    def _log(self, request: HttpRequest, response: HttpResponse) -> None:
        refusal: dict[str, Any] | None = getattr(request, _REFUSAL, None)
        where = {"method": request.method, "path": request.path[:300], "status": response.status_code}
        if response.status_code == 403 or (refusal is not None and response.status_code == 404):
            security_event(
                action=EventAction.ACCESS_REFUSED,
                result=EventResult.REFUSED,
                request=request,
                object_type=(refusal or {}).get("type", ""),
                object_id=(refusal or {}).get("id", ""),
                detail={**where, **(refusal or {})},
            )
            return
        match = request.resolver_match
        audited = AUDITED_VIEWS.get(match.view_name) if match is not None else None
        if audited is None or response.status_code != 200:
            return
        action, what = audited
        pk = match.kwargs.get("pk") if match is not None else None
        security_event(
            action=action,
            request=request,
            object_type=what,
            object_id=pk if pk is not None else "",
            detail={**where, "query": request.META.get("QUERY_STRING", "")[:500]},
        )


def _admin_prefix() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("admin:index")
    except NoReverseMatch:
        return "/admin/"


def _last_log_entry() -> int:
    from django.contrib.admin.models import LogEntry

    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _log_admin_changes(request: HttpRequest, after: int) -> None:
    """Every admin LogEntry this request wrote (one, or many for a bulk action) becomes an event,
    with the address the request came from."""
    from django.contrib.admin.models import LogEntry

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    entries = LogEntry.objects.filter(pk__gt=after, user_id=user.pk).select_related("content_type")
    for entry in entries.order_by("pk"):
        kind = entry.content_type
        security_event(
            action=_ADMIN_FLAGS.get(entry.action_flag, EventAction.ADMIN_CHANGE),
            request=request,
            object_type=f"{kind.app_label}.{kind.model}" if kind is not None else "",  # type: ignore[attr-defined]
            object_id=entry.object_id or "",
            object_label=entry.object_repr,
            detail={"change": entry.get_change_message()[:1000], "log_entry": entry.pk},
        )
