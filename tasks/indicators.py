"""Numeric targets against their straight-line trajectory from baseline to target.

The trajectory runs from the baseline (its year, or the plan's first year; the first reading when
no baseline is recorded) to the target value at the end of the target year (or the plan's last
year). The light compares the latest reading with where the line stands on that day:
green on or ahead of it, yellow within a tenth of the distance to go, red further behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from .choices import Comparator, Light
from .models import Indicator, IndicatorReading, local_today

TOLERANCE = Decimal("0.1")


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


def trajectory_for(indicator: Indicator, readings: list[IndicatorReading]) -> Trajectory | None:
    plan = indicator.plan
    end_year = indicator.target_year or plan.period_end
    if end_year is None:
        return None
    if indicator.baseline is not None:
        start_year = indicator.baseline_year or plan.period_start or end_year
        start, start_value = dt.date(start_year, 1, 1), indicator.baseline
    elif readings:
        start, start_value = readings[0].observed_on, readings[0].value
    else:
        return None
    end = dt.date(end_year, 12, 31)
    if end <= start:
        return None
    return Trajectory(start=start, end=end, start_value=start_value, target=indicator.target_value)


def light_for(indicator: Indicator, value: Decimal, expected: Decimal, start_value: Decimal) -> Light:
    """Green when the reading is on or ahead of the line in the direction the target asks for
    (for 左右/等于 targets: within half the tolerance of it)."""
    distance = abs(indicator.target_value - start_value) or abs(indicator.target_value) or Decimal(1)
    if indicator.comparator in (Comparator.ABOUT, Comparator.EQUAL):
        off = abs(value - expected)
        if off <= distance * TOLERANCE / 2:
            return Light.GREEN
        return Light.YELLOW if off <= distance * TOLERANCE else Light.RED
    lower_is_better = indicator.comparator in (Comparator.AT_MOST, Comparator.BELOW)
    behind = value - expected if lower_is_better else expected - value
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
        light = light_for(indicator, latest.value, expected, trajectory.start_value)
    return IndicatorStatus(indicator, readings, trajectory, latest, expected, light)
