"""Errors raised by services, understood by views, the API and commands alike."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """The object changed since the caller read it (optimistic locking).

    ``current`` holds the stored values so the caller can show them instead of overwriting.
    """

    def __init__(self, message: str, *, current: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.current = current or {}


class TransitionError(ValidationError):
    """The requested change is not allowed from the object's current state."""


__all__ = ["ConflictError", "TransitionError", "ValidationError"]
