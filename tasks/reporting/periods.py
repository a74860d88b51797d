"""Reporting periods (填报期): keys, bounds, and when a task starts owing reports."""

from __future__ import annotations

import datetime as dt

from ..choices import ReportCadence


def current_periods(today: dt.date) -> tuple[str, str]:
    """The reporting period keys that cover ``today``: monthly ``2026-11`` and quarterly ``2026-Q4``."""
    return f"{today:%Y-%m}", f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def period_for(cadence: str, today: dt.date) -> str:
    """The key of the period of ``cadence`` that covers ``today`` ('' for no cadence)."""
    if cadence == ReportCadence.NONE:
        return ""
    month, quarter = current_periods(today)
    return quarter if cadence == ReportCadence.QUARTERLY else month


def period_bounds(key: str) -> tuple[dt.date, dt.date]:
    """First and last day of the period ``2026-11`` or ``2026-Q4``."""
    year, _sep, part = key.partition("-")
    if part.startswith("Q"):
        first_month = (int(part[1:]) - 1) * 3 + 1
        last_month = first_month + 2
    else:
        first_month = last_month = int(part)
    first = dt.date(int(year), first_month, 1)
    after = dt.date(int(year) + (last_month == 12), last_month % 12 + 1, 1)
    return first, after - dt.timedelta(days=1)


def period_keys(start: dt.date, end: dt.date, cadence: str) -> list[str]:
    """The reporting period keys of ``cadence`` that overlap ``start``..``end``, oldest first."""
    keys: list[str] = []
    if cadence == ReportCadence.NONE:
        return keys
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        key = f"{year}-{month:02d}" if cadence == ReportCadence.MONTHLY else f"{year}-Q{(month - 1) // 3 + 1}"
        if key not in keys:
            keys.append(key)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def task_started_on(*, start_date: dt.date | None, created_at: dt.datetime | dt.date) -> dt.date:
    """When a task starts owing reports: its start date, else the day it was created (local)."""
    if start_date is not None:
        return start_date
    if isinstance(created_at, dt.datetime):
        from django.utils import timezone

        return timezone.localdate(created_at)
    return created_at


def periods_owed(
    *, cadence: str, started_on: dt.date, closed_on: dt.date | None, start: dt.date, end: dt.date
) -> list[str]:
    """**Periods owed** by one reporting department for one task in ``start``..``end``: the periods
    of the plan's cadence that overlap the window, end on or after the day the task started (the
    period in which it starts counts, months before it existed do not) and, for a completed task,
    begin on or before the day it was completed (``closed_on``)."""
    keys = []
    for key in period_keys(start, end, cadence):
        first, last = period_bounds(key)
        if last >= started_on and (closed_on is None or first <= closed_on):
            keys.append(key)
    return keys
