"""The schema of the API's one error format (kept import-free: settings use it)."""

from typing import Any

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details: the one error format of the API.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "example": "urn:ipplan:error:invalid"},
        "title": {"type": "string", "example": "Bad Request"},
        "status": {"type": "integer", "example": 400},
        "detail": {"type": "string", "example": "progress: 进度必须在 0 到 100 之间。"},
        "code": {"type": "string", "example": "invalid"},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "Validation errors by field name (only for 400).",
        },
        "current": {
            "type": "object",
            "additionalProperties": True,
            "description": "The stored values when a write lost a race (409, 412).",
        },
    },
}
