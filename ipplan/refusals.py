"""Expected refusals leave one line in the log, not a traceback.

A 403 (the permission policy said no), a 404 (missing, or out of the user's reach), a 409 (a stale
form, a status that does not allow the step) or a 412 (a stale ``If-Match``) is the application
working as designed. Django's request logger writes a 403 with the whole traceback and the others
as a bare "Forbidden: /path"; ``RefusalLogMiddleware`` writes one line instead, naming the method,
path, status, user and reason, and ``QuietRefusals`` (a filter on ``django.request``) drops
Django's own record of the same response. Unexpected errors (500) are left as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

#: The answers that are refusals, not faults.
REFUSALS = frozenset({403, 404, 409, 412})
#: Views may leave their reason here (e.g. the conflict message of a stale form).
REASON_ATTRIBUTE = "_ipplan_refusal_reason"

logger = logging.getLogger("ipplan.refusals")


def note_reason(request: HttpRequest, reason: str) -> None:
    """Say why ``request`` is about to be refused, for the log line."""
    setattr(request, REASON_ATTRIBUTE, reason)


def _reason(request: HttpRequest, response: HttpResponse) -> str:
    noted = getattr(request, REASON_ATTRIBUTE, "")
    if noted:
        return str(noted)
    # the security audit middleware keeps what the permission policy refused
    refusal: dict[str, Any] = getattr(request, "_ipplan_security_refusal", None) or {}
    if refusal:
        what = " ".join(str(refusal[k]) for k in ("action", "type", "id") if refusal.get(k) not in (None, ""))
        return f"{refusal.get('reason', '')} {what}".strip()
    data = getattr(response, "data", None)  # an API answer: its problem detail
    if isinstance(data, dict):
        return str(data.get("detail") or data.get("title") or "")
    return response.reason_phrase


def _user(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "-"
    return f"{user.get_username()}#{user.pk}"


class RefusalLogMiddleware:
    """Outermost middleware: one log line per refused request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in REFUSALS:
            logger.warning(
                "refused %s %s %s user=%s reason=%s",
                request.method,
                request.path[:300],
                response.status_code,
                _user(request),
                _reason(request, response)[:300] or "-",
                extra={"status_code": response.status_code, "refused": True},
            )
            response._has_been_logged = True  # type: ignore[attr-defined]  # Django's log_response skips it
        return response


class QuietRefusals(logging.Filter):
    """Drop ``django.request``'s record (and traceback) of a refusal: the middleware's line says it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) not in REFUSALS
