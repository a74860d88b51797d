"""Strong ETags from an object's version, conditional GETs and mandatory ``If-Match`` on writes."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework.request import Request
from rest_framework.response import Response

from ..versioning import version_of
from .errors import PreconditionFailed, PreconditionRequired

__all__ = ["ETagMixin", "check_if_match", "etag_for", "not_modified", "version_of"]


def etag_for(obj: models.Model) -> str:
    return f'"{obj._meta.model_name}-{obj.pk}-{version_of(obj)}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def not_modified(request: Request, etag: str) -> bool:
    """True when ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks for GET)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = [tag.removeprefix("W/") for tag in _tags(header)]
    return "*" in tags or etag in tags


def check_if_match(request: Request, obj: models.Model) -> int:
    """The version the client expects, from ``If-Match``; 428 without it, 412 when stale.

    ``*`` is refused with 412 like a stale tag (the body's ``current.etag`` is the one to send):
    it would match any version and let a client overwrite a change it never saw, which is what
    the lock is for. A list that holds ``*`` beside tags is judged by its tags alone.
    """
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    tags = [tag for tag in _tags(header) if tag != "*"]
    etag = etag_for(obj)
    if etag not in tags:  # strong comparison: a weak tag never matches
        raise PreconditionFailed(current={"etag": etag, "version": version_of(obj)})
    return version_of(obj)


class ETagMixin:
    """For detail views: ETag on every response, 304 for a matching ``If-None-Match``."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        etag = getattr(self, "_etag", None)
        if etag and 200 <= response.status_code < 300:
            response["ETag"] = etag
        return response

    def conditional(self, request: Request, obj: models.Model, data: Any) -> Response:
        """The detail response for ``obj``: 304 when the client has it, else ``data``."""
        self._etag = etag_for(obj)
        if request.method in ("GET", "HEAD") and not_modified(request, self._etag):
            return Response(status=304, headers={"ETag": self._etag})
        return Response(data)
