"""The API's exception handler, noting refusals for the security audit log first."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from ..security.middleware import note_refusal
from .errors import exception_handler as problem_handler


def _out_of_reach(exc: Exception, view: Any, kwargs: dict[str, Any]) -> None:
    """A detail lookup that answered 404 for an object that exists: mark it as a refusal (the
    caller still gets 404, exactly as for a missing object)."""
    if getattr(exc, "refused_action", None) or not hasattr(view, "get_queryset"):
        return
    lookup = str(getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk"))
    value = kwargs.get(lookup)
    if value is None:
        return
    try:
        model = view.get_queryset().model
        field = getattr(view, "lookup_field", "pk")
        exists = model._default_manager.filter(**{field: value}).exists()
    except (ValueError, TypeError, AttributeError, NotImplementedError):
        return
    if exists:
        exc.refused_action = str(getattr(view, "read_action", "") or "view")  # type: ignore[attr-defined]
        exc.refused_type = model._meta.label_lower  # type: ignore[attr-defined]
        exc.refused_id = value  # type: ignore[attr-defined]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: remember a refusal on the request, then answer as before."""
    request = context.get("request")
    if isinstance(exc, Http404 | exceptions.NotFound):
        _out_of_reach(exc, context.get("view"), context.get("kwargs") or {})
    if request is not None:
        note_refusal(getattr(request, "_request", request), exc)
    return problem_handler(exc, context)
