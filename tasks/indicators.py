"""Numeric targets against their straight-line trajectory from baseline to target, and their printing.

The trajectory runs from the start (the baseline year, or the plan's first year; the first reading
when neither a baseline nor, for a 新增 target, a start year is known) to the target at the end of
the target year (or the plan's last year). What the line runs between follows the basis read from
the sentence (``IndicatorBasis``):

- 达到/提高到/下降到/控制在 (level) and 累计 (cumulative): from the baseline to the target value;
- 新增 (increment): from 0 to the target value; readings are what has been added since the start;
- 提高/降低 (rise/fall) by a value: from the baseline to the baseline plus or minus the value, where
  个百分点 and plain units add, % is a share of the baseline (降低10%: 0.9 × baseline) and 倍 a
  multiple (提高1倍: 2 × baseline); readings are levels.

The light compares the latest reading with where the line stands on that day, in the direction the
comparator asks for: ≥/>/新增/提高 higher is better, ≤/</下降到/控制在…以内/降低 lower is better,
a bare figure follows the line's own direction. Green on or ahead of the line, yellow behind it by
at most a tenth of the distance from start to target, red further behind. 左右 (~) is a band: green
within 5 % of the target either side of the line, yellow within 10 %, red outside.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from planparser.indicators import split_unit

from .choices import Comparator, IndicatorBasis, Light
from .models import Indicator, IndicatorReading, local_today

__all__ = [
    "IndicatorStatus",
    "Trajectory",
    "effective_target",
    "format_number",
    "format_quantity",
    "format_target",
    "indicator_status",
    "light_for",
    "lower_is_better",
    "split_unit",
    "trajectory_for",
]

TOLERANCE = Decimal("0.1")
ABOUT_BAND = Decimal("0.05")


@dataclass
class Trajectory:
    start: dt.date
    end: dt.date
    start_value: Decimal
    target: Decimal

    def expected_on(self, day: dt.date) -> Decimal:
        if day <= self.start:
            return self.start_value
        if day >= self.end:
            return self.target
        span = Decimal((self.end - self.start).days)
        return self.start_value + (self.target - self.start_value) * Decimal((day - self.start).days) / span


@dataclass
class IndicatorStatus:
    indicator: Indicator
    readings: list[IndicatorReading]
    trajectory: Trajectory | None
    latest: IndicatorReading | None
    expected: Decimal | None
    light: Light | None


def effective_target(indicator: Indicator, start_value: Decimal) -> Decimal:
    """The level the readings must reach: the target value, or the baseline moved by it (提高/降低)."""
    value = indicator.target_value
    if indicator.basis not in (IndicatorBasis.RISE, IndicatorBasis.FALL):
        return value
    sign = 1 if indicator.basis == IndicatorBasis.RISE else -1
    if indicator.unit == "%":
        return start_value * (1 + sign * value / 100)
    if indicator.unit == "倍":
        return start_value * (1 + value) if sign > 0 else start_value / (1 + value)
    return start_value + sign * value


def trajectory_for(indicator: Indicator, readings: list[IndicatorReading]) -> Trajectory | None:
    plan = indicator.plan
    end_year = indicator.target_year or plan.period_end
    if end_year is None:
        return None
    start_year = indicator.baseline_year or plan.period_start
    if indicator.basis == IndicatorBasis.INCREMENT:
        # counted from nothing: the line starts at 0 when the plan (or the stated baseline year) starts
        if start_year is not None:
            start, start_value = dt.date(start_year, 1, 1), Decimal(0)
        elif readings:
            start, start_value = readings[0].observed_on, Decimal(0)
        else:
            return None
    elif indicator.baseline is not None:
        start, start_value = dt.date(start_year or end_year, 1, 1), indicator.baseline
    elif readings:
        start, start_value = readings[0].observed_on, readings[0].value
    else:
        return None
    end = dt.date(end_year, 12, 31)
    if end <= start:
        return None
    return Trajectory(
        start=start, end=end, start_value=start_value, target=effective_target(indicator, start_value)
    )


def lower_is_better(indicator: Indicator, start_value: Decimal, target: Decimal) -> bool:
    if indicator.comparator in (Comparator.AT_MOST, Comparator.BELOW):
        return True
    if indicator.comparator == Comparator.EQUAL:
        return target < start_value  # a bare figure: the way the line runs
    return False


def light_for(
    indicator: Indicator,
    value: Decimal,
    expected: Decimal,
    start_value: Decimal,
    *,
    target: Decimal | None = None,
) -> Light:
    """The light of a reading ``value`` against the line's ``expected`` value on its day (see the
    module docstring); ``target`` is the line's end (``effective_target`` when not given)."""
    if target is None:
        target = effective_target(indicator, start_value)
    distance = abs(target - start_value) or abs(target) or Decimal(1)
    if indicator.comparator == Comparator.ABOUT:
        band = abs(target) * ABOUT_BAND or distance * TOLERANCE / 2
        off = abs(value - expected)
        if off <= band:
            return Light.GREEN
        return Light.YELLOW if off <= 2 * band else Light.RED
    behind = value - expected if lower_is_better(indicator, start_value, target) else expected - value
    if behind <= 0:
        return Light.GREEN
    return Light.YELLOW if behind <= distance * TOLERANCE else Light.RED


def indicator_status(indicator: Indicator, today: dt.date | None = None) -> IndicatorStatus:
    """Uses ``indicator.readings.all()`` so that a prefetch serves a whole list."""
    today = today or local_today()
    readings = sorted(indicator.readings.all(), key=lambda r: (r.observed_on, r.pk))
    trajectory = trajectory_for(indicator, readings)
    latest = readings[-1] if readings else None
    expected = light = None
    if trajectory is not None and latest is not None:
        expected = trajectory.expected_on(latest.observed_on)
        light = light_for(indicator, latest.value, expected, trajectory.start_value, target=trajectory.target)
    return IndicatorStatus(indicator, readings, trajectory, latest, expected, light)


# --- printing: one place for every page, export, briefing and API ``display`` -----------------

_SYMBOL = {
    Comparator.AT_LEAST: "≥ ",
    Comparator.AT_MOST: "≤ ",
    Comparator.ABOVE: "> ",
    Comparator.BELOW: "< ",
    Comparator.EQUAL: "",
}
_IMPLIED = {  # the comparator a verb already says: 新增 1,500 件 needs no ≥
    IndicatorBasis.INCREMENT: Comparator.AT_LEAST,
    IndicatorBasis.CUMULATIVE: Comparator.AT_LEAST,
    IndicatorBasis.RISE: Comparator.AT_LEAST,
    IndicatorBasis.FALL: Comparator.AT_MOST,
}


def format_number(value: Decimal | float | int, places: int = 4) -> str:
    """Digits grouped by thousands, at most ``places`` decimals and no trailing zeros: 5,000 / 8.5."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    number = number.quantize(Decimal(1).scaleb(-places)).normalize()
    if number == 0:
        number = Decimal(0)  # not -0 or 0E-4
    return format(number, ",f")


def format_quantity(value: Decimal | float | int | None, unit: str = "", places: int = 4) -> str:
    """A value in the unit as written: 40%, 5,000 件, 8.5 万件, 5 个百分点; — when there is none."""
    if value is None:
        return "—"
    number = format_number(value, places)
    if not unit:
        return number
    return f"{number}{unit}" if unit in ("%", "‰") else f"{number} {unit}"


def format_target(target: Any) -> str:
    """An Indicator (or a parsed one) as a Chinese target: ≥ 40%, 约 5,000 件, 新增 1,500 件."""
    value = getattr(target, "target_value", None)
    if value is None:
        value = target.value
    quantity = format_quantity(value, target.unit or "")
    comparator = target.comparator or Comparator.EQUAL
    basis = getattr(target, "basis", IndicatorBasis.LEVEL) or IndicatorBasis.LEVEL
    implied = _IMPLIED.get(basis)
    if comparator == Comparator.ABOUT:
        if implied is None:
            return _("约 %(quantity)s") % {"quantity": quantity}
        return _("%(verb)s约 %(quantity)s") % {"verb": IndicatorBasis(basis).label, "quantity": quantity}
    symbol = _SYMBOL.get(comparator, "")
    if implied is None:
        return symbol + quantity
    if comparator == implied:
        symbol = ""
    return f"{IndicatorBasis(basis).label} {symbol}{quantity}"
