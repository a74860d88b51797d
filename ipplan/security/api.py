"""The API's exception handler, noting refusals for the security audit log first."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from ipplan.api.errors import exception_handler as problem_handler

from .middleware import note_refusal


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: remember a refusal on the request, then answer as before."""
    request = context.get("request")
    if request is not None:
        note_refusal(getattr(request, "_request", request), exc)
    return problem_handler(exc, context)
