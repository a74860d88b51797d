"""Page numbers for people, a keyset cursor over (updated_at, id) for mirrors.

``?page=2&page_size=100`` pages as usual. ``?cursor=`` (empty to start, then the ``next_cursor``
of the previous answer) walks the objects in the order they last changed; a changed object moves
to the end, so a client that follows the cursor to the end and resumes later sees every change.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


def encode_cursor(moment: dt.datetime, pk: int) -> str:
    raw = json.dumps([moment.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        moment_text, pk = json.loads(raw)
        moment = parse_datetime(moment_text)
        if moment is None or not isinstance(pk, int) or moment.tzinfo is None:
            raise ValueError
        return moment, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise exceptions.ValidationError(
            {"cursor": [_("游标无效:请使用上一页返回的 next_cursor。")]}
        ) from None


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_param = "cursor"

    def __init__(self) -> None:
        self.sync_field: str | None = None
        self.next_cursor: str | None = None
        self.has_more = False

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        field = getattr(view, "sync_field", None)
        if field and self.cursor_query_param in request.query_params:
            return self._keyset(queryset, request, field)
        return super().paginate_queryset(queryset, request, view)

    def _keyset(self, queryset: QuerySet[Any], request: Request, field: str) -> list[Any]:
        self.request = request
        self.sync_field = field
        size = self.get_page_size(request) or self.page_size
        cursor = request.query_params.get(self.cursor_query_param, "")
        queryset = queryset.order_by(field, "pk")
        if cursor:
            moment, pk = decode_cursor(cursor)
            queryset = queryset.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
        rows = list(queryset[: size + 1])
        self.has_more = len(rows) > size
        rows = rows[:size]
        last = rows[-1] if rows else None
        self.next_cursor = (
            encode_cursor(getattr(last, field), last.pk) if last is not None else cursor or None
        )
        return rows

    def get_paginated_response(self, data: Any) -> Response:
        if self.sync_field is None:
            return super().get_paginated_response(data)
        url = self.request.build_absolute_uri()
        next_url = None
        if self.has_more and self.next_cursor:
            next_url = replace_query_param(url, self.cursor_query_param, self.next_cursor)
        return Response(
            {
                "next": next_url,
                "previous": None,
                "next_cursor": self.next_cursor,
                "results": data,
            }
        )

    def get_next_link(self) -> str | None:
        link = super().get_next_link()
        return remove_query_param(link, self.cursor_query_param) if link else None

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "count": {"type": "integer", "example": 123, "description": _("总数(页码分页时)")},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "next_cursor": {
                    "type": "string",
                    "nullable": True,
                    "description": _("游标分页时:下次同步从这里继续(保存它,下次作为 cursor 传入)。"),
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        if getattr(view, "sync_field", None):
            parameters.append(
                {
                    "name": self.cursor_query_param,
                    "required": False,
                    "in": "query",
                    "description": _(
                        "同步用的游标分页:按 (%(field)s, id) 升序。首次传空值,之后传上次返回的 next_cursor。"
                    )
                    % {"field": view.sync_field},
                    "schema": {"type": "string"},
                }
            )
        return parameters
