"""OpenAPI: every operation documents its errors, ETag headers and preconditions.

Views opt in with attributes:
* ``etag_detail = True``: detail GETs carry ``ETag`` and honour ``If-None-Match`` (304); PATCH, PUT
  and DELETE on the detail require ``If-Match`` (428 without, 412 when stale).
* ``if_match_actions``: extra (POST) actions that require the task's ``If-Match`` too.
* ``extra_error_codes``: e.g. ``{422}`` for endpoints that may refuse well-formed content.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from . import auth_scheme  # noqa: F401  (registers the token scheme with drf-spectacular)

ERROR_DESCRIPTIONS = {
    400: "请求参数或字段无效;errors 按字段列出原因。",
    401: "未登录,或 API 令牌无效、过期、已吊销、来源地址不允许。",
    403: "无权执行该操作(权限策略),或只读令牌试图修改。",
    404: "对象不存在或不在您的可见范围内;页码超出范围。",
    409: "与对象当前状态冲突(例如状态流转不允许、重复提交)。",
    413: "上传的文件过大。",
    412: "If-Match 与当前 ETag 不一致:对象已被他人修改。",
    422: "内容格式正确但无法处理(例如无法解析的文档、未解决的单位名称)。",
    428: "修改须带 If-Match 请求头(该对象的 ETag)。",
    429: "请求过于频繁;Retry-After 给出需等待的秒数。",
}


def _problem(code: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


class AutoSchema(SpectacularAutoSchema):
    def _is_detail(self) -> bool:
        return "{" in self.path and not self._is_list_view()

    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _needs_if_match(self) -> bool:
        if not getattr(self.view, "etag_detail", False):
            return False
        if self.method in ("PATCH", "PUT", "DELETE") and self._is_detail():
            return True
        return self._action() in getattr(self.view, "if_match_actions", ())

    def _has_etag(self) -> bool:
        return (
            getattr(self.view, "etag_detail", False)
            and self._is_detail()
            and self._action() in ("retrieve", "partial_update", "update")
        )

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._needs_if_match():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=True,
                    description="对象的 ETag(上次读取时的响应头)。`*` 不被接受:与过期的 ETag 一样答 412,响应体 current.etag 为当前 ETag。",
                )
            )
        if self._has_etag():
            if self.method == "GET":
                parameters.append(
                    OpenApiParameter(
                        "If-None-Match",
                        OpenApiTypes.STR,
                        OpenApiParameter.HEADER,
                        description="上次读取的 ETag;未变化时返回 304,不含正文。",
                    )
                )
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=[200],
                    required=True,
                    description="强 ETag,随对象版本变化;修改时放入 If-Match。",
                )
            )
        return parameters

    def _error_codes(self) -> set[int]:
        codes = {400, 401, 403, 404, 429}
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes |= {409, 422}
        if self._needs_if_match():
            codes |= {412, 428}
        codes |= set(getattr(self.view, "extra_error_codes", ()))
        return codes

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if self._has_etag() and self.method == "GET":
            responses.setdefault("304", {"description": "未修改(If-None-Match 与当前 ETag 一致)。"})
        for code in sorted(self._error_codes()):
            responses.setdefault(str(code), _problem(code))
        return responses


#: Text fields refuse the NUL character (databases cannot store it); the schema says so.
NO_NUL = "^[^\\u0000]*$"


def forbid_nul_characters(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: free-text request fields get a pattern without NUL."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        for field in component.get("properties", {}).values():
            if field.get("type") == "string" and not ({"format", "enum", "pattern"} & field.keys()):
                field["pattern"] = NO_NUL
    return result
