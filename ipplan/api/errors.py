"""One error format for the whole API: RFC 9457 problem details (``application/problem+json``).

    {"type": "urn:ipplan:error:invalid", "title": "Bad Request", "status": 400,
     "detail": "…", "code": "invalid", "errors": {"progress": ["…"]}}

``code`` is stable and machine-readable; ``errors`` names the fields of a validation error;
``current`` carries the stored values when a write lost a race (409/412).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..exceptions import ConflictError, TransitionError

PROBLEM_TYPE = "application/problem+json"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("修改前须在 If-Match 请求头中提供该对象的 ETag。")
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("该对象已被修改:If-Match 与当前 ETag 不一致,请重新读取后再修改。")
    default_code = "precondition_failed"

    def __init__(self, detail: Any = None, *, current: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.current = current or {}


def lost_race(exc: ConflictError) -> PreconditionFailed:
    """A service found the version changed under its row lock, after If-Match had matched:
    to the client that is the same failed precondition (412), with the stored values."""
    return PreconditionFailed(exc.message, current=exc.current)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("该操作与对象的当前状态冲突。")
    default_code = "conflict"

    def __init__(self, detail: Any = None, code: str | None = None, current: dict[str, Any] | None = None):
        super().__init__(detail, code)
        self.current = current or {}


def problem(status_code: int, code: str, detail: str, *, errors: Any = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:ipplan:error:{code}",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v})
    return body


def problem_response(status_code: int, code: str, detail: str, **extra: Any) -> Response:
    return Response(
        problem(status_code, code, detail, **extra), status=status_code, content_type=PROBLEM_TYPE
    )


def _strings(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _strings(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_strings(v) for v in detail]
    return force_str(detail)


class RuleViolation(exceptions.ValidationError):
    """Well-formed input that a domain rule refuses (raised by a service): 422, fields named."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def _django_validation(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return RuleViolation(
            {field: [m for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
        )
    return RuleViolation({"non_field_errors": error.messages})


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            message = _first_message(value)
            return message if key == "non_field_errors" else f"{key}: {message}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return force_str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error of every endpoint leaves through here."""
    current: dict[str, Any] = {}
    if isinstance(exc, ConflictError):
        current = exc.current
        exc = Conflict(exc.message, code="conflict", current=current)
    elif isinstance(exc, TransitionError):
        exc = Conflict(" ".join(exc.messages), code=exc.code or "invalid_transition")
    elif isinstance(exc, DjangoValidationError):
        exc = _django_validation(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django log it and answer 500 (handler500 keeps the format)

    headers: dict[str, str] = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    current = getattr(exc, "current", None) or current

    if isinstance(exc, exceptions.ValidationError):
        errors = _strings(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
        body = problem(exc.status_code, "invalid", _first_message(errors), errors=errors)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        body = problem(exc.status_code, code, force_str(exc.detail), current=current)
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_TYPE)


def _json_problem(request: HttpRequest, status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(problem(status_code, code, detail), status=status_code, content_type=PROBLEM_TYPE)


def api_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_problem(request, 400, "bad_request", force_str(_("请求无法解析(格式错误或字段过多)。")))


def api_forbidden(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_problem(request, 403, "forbidden", force_str(_("禁止访问。")))


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_problem(request, 404, "not_found", force_str(_("没有这个接口或对象。")))


def api_server_error(request: HttpRequest) -> JsonResponse:
    return _json_problem(request, 500, "server_error", force_str(_("服务器内部错误,已记录,请稍后重试。")))
