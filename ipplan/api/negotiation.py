"""Content negotiation: JSON is the API's one representation, whatever Accept asks for."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request


class JSONFallbackNegotiation(DefaultContentNegotiation):
    """A client asking for text/html (a browser typing the URL) gets JSON rather than 406."""

    def select_renderer(
        self, request: Request, renderers: list[Any], format_suffix: str | None = None
    ) -> Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            renderer = renderers[0]
            return renderer, renderer.media_type
