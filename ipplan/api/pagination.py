"""Page numbers for people, a keyset cursor over (updated_at, id) for mirrors.

``?page=2&page_size=100`` pages as usual. ``?cursor=`` (empty to start, then the ``next_cursor``
of the previous answer) walks the objects in the order they last changed; a changed object moves
to the end. A write stamps ``updated_at`` before it commits, so a row can become visible behind a
cursor already past it: a mirror therefore resumes each run from an overlap,
``?updated_since=<latest updated_at seen minus a margin>&cursor=``, and compares versions
(tests/api/test_concurrency.py measures how many late rows the overlap catches).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


#: ``<microseconds since the epoch>-<id>`` of the last object returned; empty to start.
CURSOR_PATTERN = r"^([0-9]{1,16}-[0-9]{1,18})?$"
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(moment: dt.datetime, pk: int) -> str:
    micros = (moment - EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}-{pk}"


def decode_cursor(value: str) -> tuple[dt.datetime, int]:
    if not _CURSOR.match(value) or not value:
        raise exceptions.ValidationError({"cursor": [_("游标无效:请使用上一页返回的 next_cursor。")]})
    micros, pk = value.split("-")
    return EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_param = "cursor"
    last_page_strings = ()  # "?page=last" is not a number

    def __init__(self) -> None:
        self.sync_field: str | None = None
        self.next_cursor: str | None = None
        self.has_more = False

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        value = raw[-1]
        if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("必须是 1 到 %(max)s 之间的整数。") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(value)

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        repeated = [
            name
            for name in (self.page_query_param, self.page_size_query_param, self.cursor_query_param)
            if len(request.query_params.getlist(name)) > 1
        ]
        if repeated:
            raise exceptions.ValidationError({name: [_("只能给出一次。")] for name in repeated})
        page = request.query_params.get(self.page_query_param)
        if page is not None and not (page.isascii() and page.isdigit() and len(page) <= 9 and int(page) >= 1):
            raise exceptions.ValidationError({self.page_query_param: [_("页码必须是正整数。")]})
        field = getattr(view, "sync_field", None)
        if field and self.cursor_query_param in request.query_params:
            return self._keyset(queryset, request, field)
        return super().paginate_queryset(queryset, request, view)

    def _keyset(self, queryset: QuerySet[Any], request: Request, field: str) -> list[Any]:
        self.request = request
        self.sync_field = field
        size = self.get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param, "")
        queryset = queryset.order_by(field, "pk")
        if cursor:
            moment, pk = decode_cursor(cursor)
            queryset = queryset.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
        rows = list(queryset[: size + 1])
        self.has_more = len(rows) > size
        rows = rows[:size]
        last = rows[-1] if rows else None
        if last is None:
            self.next_cursor = cursor or None
        elif isinstance(last, dict):  # a page read with values(): the row has the id and the field
            self.next_cursor = encode_cursor(last[field], last["id"])
        else:
            self.next_cursor = encode_cursor(getattr(last, field), last.pk)
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
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "https://ipplan.example.gov.cn/api/v1/tasks/?page=3",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "https://ipplan.example.gov.cn/api/v1/tasks/?page=1",
                },
                "next_cursor": {
                    "type": "string",
                    "nullable": True,
                    "example": None,
                    "description": _("游标分页时:下次同步从这里继续(保存它,下次作为 cursor 传入)。"),
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 999999999}
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
                    "schema": {"type": "string", "pattern": CURSOR_PATTERN},
                }
            )
        return parameters
