"""The Chinese working-day calendar: holidays and make-up working days (调休).

``chinese-calendar`` knows the State Council's schedule for the years it ships; for a year it
does not know yet, Monday to Friday are working days.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

ONE_DAY = dt.timedelta(days=1)


def is_working_day(day: dt.date) -> bool:
    """True on a working day, including a make-up Saturday or Sunday (e.g. 2026-10-10)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no schedule for
        return day.weekday() < 5


def working_day_on_or_before(day: dt.date) -> dt.date:
    """``day`` if it is a working day, else the last working day before it."""
    while not is_working_day(day):
        day -= ONE_DAY
    return day


def working_day_on_or_after(day: dt.date) -> dt.date:
    """``day`` if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += ONE_DAY
    return day
