"""Helpers of the viewsets' extra actions: one object's action documented in one line, and the
input of a write read through its serializer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request

View = TypeVar("View", bound=Callable[..., Any])

_NOT_GIVEN: Any = object()


def object_action(
    tag: str,
    *,
    request: Any = _NOT_GIVEN,
    responses: Any,
    methods: list[str] | None = None,
    **options: Any,
) -> Callable[[View], View]:
    """An action on one object (``detail=True``, POST unless ``methods`` says otherwise), without
    the list's filters, documented under ``tag`` with its ``request`` and ``responses``;
    ``options`` go to DRF's ``@action`` (``url_path``, ``pagination_class``, ``parser_classes``)."""
    schema: dict[str, Any] = {"tags": [tag], "responses": responses, "filters": False}
    if request is not _NOT_GIVEN:
        schema["request"] = request

    def decorate(view: View) -> View:
        routed = action(detail=True, methods=methods or ["post"], filter_backends=[], **options)(view)
        return extend_schema(**schema)(routed)  # type: ignore[no-any-return]

    return decorate


def validated(serializer_class: type[serializers.Serializer[Any]], request: Request, **options: Any) -> Any:
    """The validated data of ``request.data`` read by ``serializer_class`` (a 400 with the
    field errors otherwise); ``options`` go to the serializer (``partial=True``)."""
    form = serializer_class(data=request.data, **options)
    form.is_valid(raise_exception=True)
    return form.validated_data
