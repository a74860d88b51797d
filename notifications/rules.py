"""The reminder rules as plain functions of dates: which reminder stage a task is in on a day,
which escalations have come, the reporting period and its reminder day, the week's first working
day. No database, no model: the reminder sweep (``tasks.services.reminders``) evaluates them once
per due date, and the year walk (``tests/reminders/test_year.py``) checks them for every day.

Rules per task (defaults in settings, per plan in ``ReminderPolicy``):

* before the due date (7, 3, 1 days) and on the day. A reminder whose day is a day off goes out
  on the working day before; when several fall on the same working day only the nearest to the
  deadline is sent (one mail, not three, before 国庆).
* after the due date every N days; a reminder on a day off goes out on the next working day (a
  task cannot be chased before it is late).
* escalation to the department heads after M days and to the bureau after K days, once each
  (on the first working day at or after due + M/K).

Reminders are *states*, not events: each working day a task is in the latest stage whose day has
come; if that stage has not been notified it is now, so a day the system was down is caught up
on the next working day without repeating earlier stages. Nothing is sent on days off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from .calendar import is_working_day, working_day_on_or_after, working_day_on_or_before
from .choices import NotificationKind

#: Report cadences (the values of ``tasks.choices.ReportCadence``; this app sits below tasks).
MONTHLY = "monthly"
QUARTERLY = "quarterly"


@dataclass(frozen=True)
class Rules:
    """The reminder rules in force for one plan; 0 turns a rule off."""

    days_before: tuple[int, ...] = (7, 3, 1)
    on_day: bool = True
    repeat_every_days: int = 3
    escalate_head_after: int = 7
    escalate_bureau_after: int = 14


def default_rules() -> Rules:
    days = sorted(
        {int(p) for p in str(settings.IPPLAN_REMINDER_DAYS_BEFORE).split(",") if p.strip().isdigit()},
        reverse=True,
    )
    return Rules(
        days_before=tuple(d for d in days if d > 0),
        on_day=settings.IPPLAN_REMINDER_ON_DAY,
        repeat_every_days=settings.IPPLAN_REMINDER_REPEAT_EVERY_DAYS,
        escalate_head_after=settings.IPPLAN_REMINDER_ESCALATE_HEAD_AFTER,
        escalate_bureau_after=settings.IPPLAN_REMINDER_ESCALATE_BUREAU_AFTER,
    )


@dataclass(frozen=True)
class Stage:
    """One reminder of a task: its kind, its id within the due date, and the day it goes out."""

    kind: str
    key: str
    nominal: dt.date
    send_on: dt.date


def task_stage_on(due: dt.date, today: dt.date, rules: Rules) -> Stage | None:
    """The latest before/on/after-due reminder stage whose day has come by ``today``, if any."""
    if today <= due:
        stages = [
            Stage(NotificationKind.DUE_SOON, f"d{d}", due - dt.timedelta(days=d), dt.date.min)
            for d in rules.days_before
        ]
        if rules.on_day:
            stages.append(Stage(NotificationKind.DUE_TODAY, "d0", due, dt.date.min))
        came = [
            Stage(s.kind, s.key, s.nominal, working_day_on_or_before(s.nominal))
            for s in stages
            if working_day_on_or_before(s.nominal) <= today
        ]
        return max(came, key=lambda s: s.nominal) if came else None
    step = rules.repeat_every_days
    if step <= 0:
        return None
    k = (today - due).days // step
    while k >= 1:
        nominal = due + dt.timedelta(days=k * step)
        send_on = working_day_on_or_after(nominal)
        if send_on <= today:
            return Stage(NotificationKind.OVERDUE, f"o{k}", nominal, send_on)
        k -= 1
    return None


def escalations_on(due: dt.date, today: dt.date, rules: Rules) -> list[str]:
    """The escalation kinds whose day has come: once a task is M (K) days late."""
    kinds: list[str] = []
    for kind, after in (
        (NotificationKind.ESCALATION_HEAD, rules.escalate_head_after),
        (NotificationKind.ESCALATION_BUREAU, rules.escalate_bureau_after),
    ):
        if after > 0 and working_day_on_or_after(due + dt.timedelta(days=after)) <= today:
            kinds.append(kind)
    return kinds


@dataclass(frozen=True)
class ReportWindow:
    period: str
    due: dt.date
    send_on: dt.date
    end: dt.date


def report_window(cadence: str, report_day: int, today: dt.date) -> ReportWindow | None:
    """The reporting period covering ``today`` and its due day (day D of the month, or of the
    quarter's last month), shifted to the working day before when it is a day off."""
    if cadence == MONTHLY:
        period = f"{today:%Y-%m}"
        month = today.month
    elif cadence == QUARTERLY:
        quarter = (today.month - 1) // 3 + 1
        period = f"{today.year}-Q{quarter}"
        month = quarter * 3
    else:
        return None
    due = dt.date(today.year, month, report_day)
    next_month = dt.date(today.year + (month == 12), month % 12 + 1, 1)
    end = next_month - dt.timedelta(days=1)
    return ReportWindow(period, due, working_day_on_or_before(due), end)


def first_working_day_of_week(today: dt.date) -> dt.date | None:
    """The first working day of ``today``'s ISO week on or after its Monday (None if none)."""
    monday = today - dt.timedelta(days=today.weekday())
    for offset in range(7):
        day = monday + dt.timedelta(days=offset)
        if is_working_day(day):
            return day
    return None
