"""How the API's token authentication appears in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

__all__ = ["TokenScheme"]


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "ipplan.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ipp_<prefix>_<secret>",
            "description": "在“API 令牌”页面或用 `manage.py create_api_token` 创建;只显示一次。",
        }
