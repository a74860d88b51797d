"""The API's filter backend: the shared FilterSets, read strictly.

The browser lists ignore a blank filter; the API answers 400 for a malformed or blank typed value
(a date, a number, a choice, true/false) and names the parameter. An id that names nothing the
caller can see is not an error: the list is simply empty, as for any other filter.
"""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.request import Request

_ID = re.compile(r"^-?[0-9]+$")
_BOOLEAN = {"true", "false"}


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        params = request.query_params
        problems: dict[str, list[str]] = {}
        nul = False
        for name, filter_ in filterset.filters.items():
            if name not in params:
                continue
            values = params.getlist(name)
            if isinstance(filter_, django_filters.CharFilter):
                nul = nul or any("\x00" in value for value in values)
                continue
            if len(values) > 1 and not isinstance(filter_, django_filters.MultipleChoiceFilter):
                problems[name] = [_("只能给出一次。")]
            elif any(value == "" for value in values):
                problems[name] = [_("不能为空。")]
            elif isinstance(filter_, django_filters.BooleanFilter) and any(v not in _BOOLEAN for v in values):
                problems[name] = [_("只能是 true 或 false。")]
        if problems:
            raise exceptions.ValidationError(problems)
        if nul:
            return queryset.none()  # no stored text holds a NUL character
        if filterset.is_valid():
            return filterset.qs
        errors = filterset.errors.as_data()
        unknown_ids = {
            name
            for name, found in errors.items()
            if isinstance(filterset.filters.get(name), django_filters.ModelChoiceFilter)
            and all(error.code == "invalid_choice" for error in found)
            and all(_ID.match(value) for value in params.getlist(name))
        }
        if unknown_ids == set(errors):
            return queryset.none()
        raise exceptions.ValidationError(
            {name: list(messages) for name, messages in filterset.errors.items() if name not in unknown_ids}
        )
