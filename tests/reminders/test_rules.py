"""The pure rules: the working-day calendar and which stage a task is in on a day."""

from __future__ import annotations

import datetime as dt

import pytest

from notifications import rules
from notifications.calendar import is_working_day, working_day_on_or_after, working_day_on_or_before

D = dt.date
RULES = rules.Rules()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 9, 30), True),
        (D(2026, 10, 1), False),  # 国庆
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),  # Saturday make-up working day
        (D(2026, 10, 11), False),
        (D(2026, 9, 25), False),  # 中秋, a Friday
        (D(2026, 9, 20), True),  # Sunday make-up working day
        (D(2027, 3, 1), True),  # beyond the package's years: Monday to Friday
        (D(2027, 3, 6), False),
    ],
)
def test_working_days(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


def test_shifts() -> None:
    assert working_day_on_or_before(D(2026, 10, 5)) == D(2026, 9, 30)
    assert working_day_on_or_after(D(2026, 10, 5)) == D(2026, 10, 8)
    assert working_day_on_or_before(D(2026, 9, 27)) == D(2026, 9, 24)
    assert working_day_on_or_before(D(2026, 10, 9)) == D(2026, 10, 9)


def test_stages_of_a_task_due_after_national_day() -> None:
    due = D(2026, 10, 9)
    stage = lambda day: (s.kind, s.key) if (s := rules.task_stage_on(due, day, RULES)) else None  # noqa: E731
    assert stage(D(2026, 9, 29)) is None
    assert stage(D(2026, 9, 30)) == ("due_soon", "d3")  # d7 and d3 both moved here; the nearer wins
    assert stage(D(2026, 10, 8)) == ("due_soon", "d1")
    assert stage(D(2026, 10, 9)) == ("due_today", "d0")
    assert stage(D(2026, 10, 10)) is None  # +1: not yet a repeat
    assert stage(D(2026, 10, 12)) == ("overdue", "o1")
    assert stage(D(2026, 10, 14)) == ("overdue", "o1")  # still in stage o1: nothing new to send
    assert rules.task_stage_on(due, D(2026, 10, 12), rules.Rules(repeat_every_days=0)) is None


def test_escalations_and_report_windows() -> None:
    due = D(2026, 10, 9)
    assert rules.escalations_on(due, D(2026, 10, 15), RULES) == []
    assert rules.escalations_on(due, D(2026, 10, 16), RULES) == ["escalation_head"]
    assert rules.escalations_on(due, D(2026, 10, 23), RULES) == ["escalation_head", "escalation_bureau"]
    assert (
        rules.escalations_on(due, D(2026, 12, 1), rules.Rules(escalate_head_after=0, escalate_bureau_after=0))
        == []
    )
    window = rules.report_window("monthly", 25, D(2026, 10, 28))
    assert window is not None and (window.period, window.send_on, window.end) == (
        "2026-10",
        D(2026, 10, 23),
        D(2026, 10, 31),
    )
    window = rules.report_window("quarterly", 10, D(2026, 11, 2))
    assert window is not None and (window.period, window.due, window.end) == (
        "2026-Q4",
        D(2026, 12, 10),
        D(2026, 12, 31),
    )
    assert rules.report_window("none", 25, D(2026, 10, 28)) is None


def test_first_working_day_of_the_week() -> None:
    assert rules.first_working_day_of_week(D(2026, 10, 9)) == D(2026, 10, 8)  # Mon–Wed are 国庆
    assert rules.first_working_day_of_week(D(2026, 10, 1)) == D(2026, 9, 28)
    assert rules.first_working_day_of_week(D(2026, 2, 18)) is None  # 春节: the whole week off
