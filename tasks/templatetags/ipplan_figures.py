"""Display of measures: a rate or score with no data prints as —, never 100 %."""

from __future__ import annotations

from django import template

register = template.Library()

NO_DATA = "—"


@register.filter
def rate(value: float | None) -> str:
    """``85.0`` → ``85.0%``; None (0/0, no data) → ``—``."""
    return NO_DATA if value is None else f"{value:.1f}%"


@register.filter
def score(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:.1f}"


@register.filter
def rank(value: int | None) -> str:
    return NO_DATA if value is None else str(value)
