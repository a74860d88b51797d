"""Indicator figures printed the Chinese way (≥ 40%, 约 5,000 件, 8.5 万件) on every page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from ..indicators import format_quantity, format_target

register = template.Library()


@register.filter
def indicator_target(indicator: Any) -> str:
    """``{{ indicator|indicator_target }}``: the target with its comparator (Indicator or parsed)."""
    return format_target(indicator)


@register.filter
def quantity(value: Decimal | float | int | None, unit: str = "") -> str:
    """``{{ reading.value|quantity:indicator.unit }}``: a value in the unit as written."""
    return format_quantity(value, unit or "")


@register.filter
def quantity1(value: Decimal | float | int | None, unit: str = "") -> str:
    """As ``quantity`` with one decimal at most (where a trajectory stands on a day)."""
    return format_quantity(value, unit or "", places=1)
