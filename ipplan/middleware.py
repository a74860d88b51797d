"""Request-level defences that must run before anything reads the request or after every view.

* ``RequestBodyLimitMiddleware`` (placed before CsrfViewMiddleware, which parses form bodies):
  a body over the limit of its path is refused with 413 before anything parses it, whether its
  length is declared (``Content-Length``) or not (chunked transfer encoding, read up to the limit
  into a spooled file and refused past it). The limit is ``IPPLAN_MAX_BODY_BYTES`` (Django's
  2.5 MB, also ``DATA_UPLOAD_MAX_MEMORY_SIZE``) everywhere except the upload endpoints (report
  submission with evidence files, plan import, and their API equivalents), which have their own
  limits and stream file parts to disk.
* ``NoStoreMiddleware``: every response to a signed-in user carries ``Cache-Control: private,
  no-store`` so that neither a shared proxy nor the browser's cache keeps a page that showed task
  content, a token or a webhook secret; static files and anonymous pages are left alone.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ipplan.api.errors import PROBLEM_TYPE, problem

#: What a chunked body is read in, and how much of it stays in memory before the spool file.
_CHUNK = 64 * 1024
_SPOOL_IN_MEMORY = 1024 * 1024


@dataclass(frozen=True)
class UploadRoute:
    """An endpoint that takes files: its path, the setting holding its limit (bytes), and whether
    file parts go straight to disk (TemporaryFileUploadHandler) instead of memory first."""

    pattern: re.Pattern[str]
    limit_setting: str
    to_disk: bool = True


UPLOAD_ROUTES = (
    UploadRoute(re.compile(r"^/tasks/\d+/reports/$"), "IPPLAN_REPORT_MAX_BODY_BYTES"),
    UploadRoute(re.compile(r"^/api/v1/tasks/\d+/reports/$"), "IPPLAN_REPORT_MAX_BODY_BYTES"),
    UploadRoute(re.compile(r"^/plans/import/$"), "IPPLAN_IMPORT_MAX_BODY_BYTES"),
    UploadRoute(re.compile(r"^/plans/\d+/reimport/$"), "IPPLAN_IMPORT_MAX_BODY_BYTES"),
    # The API import keeps Django's default handlers (memory up to FILE_UPLOAD_MAX_MEMORY_SIZE,
    # then disk) until its view stops copying request.data, which cannot copy a file on disk.
    UploadRoute(re.compile(r"^/api/v1/imports/$"), "IPPLAN_IMPORT_MAX_BODY_BYTES", to_disk=False),
)


def body_limit(path: str) -> tuple[int, UploadRoute | None]:
    """The largest body accepted on ``path`` (bytes) and its upload route, if it is one."""
    for route in UPLOAD_ROUTES:
        if route.pattern.match(path):
            return int(getattr(settings, route.limit_setting)), route
    return int(settings.IPPLAN_MAX_BODY_BYTES), None


def _language(request: HttpRequest) -> str:
    # LocaleMiddleware has not run yet: choose the language the same way it would.
    return translation.get_language_from_request(request)


def refusal(request: HttpRequest, status: int, code: str, message: str, **extra: object) -> HttpResponse:
    """A short answer in the user's language: problem details under /api/, a page elsewhere."""
    if request.path_info.startswith("/api/"):
        body = json.dumps(problem(status, code, message, **extra), ensure_ascii=False)
        return HttpResponse(body, status=status, content_type=PROBLEM_TYPE)
    page = format_html(
        '<!doctype html><html lang="{}"><head><meta charset="utf-8"><title>{}</title></head>'
        "<body><h1>{}</h1><p>{}</p></body></html>",
        _language(request),
        status,
        status,
        message,
    )
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")


def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
    with translation.override(_language(request)):
        message = _("提交的内容过大,超过了上限 %(limit)s。") % {"limit": filesizeformat(limit)}
        return refusal(request, 413, "too_large", message, max_bytes=limit)


def _bad_body(request: HttpRequest) -> HttpResponse:
    with translation.override(_language(request)):
        return refusal(request, 400, "invalid", _("请求内容格式不正确。"))


class RequestBodyLimitMiddleware:
    """Refuse a body over its path's limit with 413 before anything parses it (see module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit, route = body_limit(request.path_info)
        declared = request.META.get("CONTENT_LENGTH") or ""
        spool: IO[bytes] | None = None
        if declared.strip():
            try:
                length = int(declared)
            except ValueError:
                return _bad_body(request)
            if length < 0:
                return _bad_body(request)
            if length > limit:
                return _too_large(request, limit)
        elif self._chunked(request):
            spool = self._spool(request, limit)
            if spool is None:
                return _too_large(request, limit)
        try:
            if route is not None:
                if route.to_disk:
                    request.upload_handlers = [TemporaryFileUploadHandler(request)]
                refused = self._parse_form(request, limit)
                if refused is not None:
                    return refused
            return self.get_response(request)
        finally:
            if spool is not None:
                spool.close()

    @staticmethod
    def _chunked(request: HttpRequest) -> bool:
        # Only a server that ends the input stream itself (gunicorn sets wsgi.input_terminated)
        # can hand over a body without a length; elsewhere Django reads none of it.
        encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        return "chunked" in encoding and bool(request.META.get("wsgi.input_terminated"))

    @staticmethod
    def _spool(request: HttpRequest, limit: int) -> IO[bytes] | None:
        """Read a body of unknown length up to ``limit`` into a spooled file and give it to Django
        with its length; None (nothing kept) when it is longer."""
        source = request.META["wsgi.input"]
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 closed after the response
        total = 0
        while True:
            chunk = source.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                spool.close()
                return None
            spool.write(chunk)
        spool.seek(0)
        request.META["CONTENT_LENGTH"] = str(total)
        request._stream = cast(Any, LimitedStream(cast(Any, spool), total))
        return spool

    @staticmethod
    def _parse_form(request: HttpRequest, limit: int) -> HttpResponse | None:
        """Parse an upload form here, where its handlers are set, so that a field over Django's
        in-memory limit gets a clear 413 rather than a bare 400 from the CSRF check. The API
        parses its own bodies (DRF)."""
        if request.method != "POST" or request.path_info.startswith("/api/"):
            return None
        if request.content_type not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return None
        try:
            request.POST  # noqa: B018 parsed now, kept on the request
        except RequestDataTooBig:
            return _too_large(request, int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or limit))
        except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent):
            return _bad_body(request)
        return None


class NoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every answer to a signed-in user (see module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return response  # public files keep their caching (whitenoise serves most before us)
        user = getattr(request, "user", None)  # the token's user too: DRF sets it on the request
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
