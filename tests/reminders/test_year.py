"""A year of reminders: the exact reminders on each day.

Covers the days before, the day itself, overdue repeats, escalation to the head and the bureau,
monthly and quarterly report reminders, weekly and daily digests, and the 2026 国庆/中秋 holiday
shift (Oct 1–7 off, Sep 25 off for 中秋, Sat Oct 10 a make-up working day).

Every day of the year is checked against the pure rules (``notifications.rules``, no database):
``rules_walk`` runs them the way the sweep does (each run day, the latest stage whose day has
come, once). ``send_reminders --as-of`` itself runs on a sample of days (month ends, holidays,
the 调休 Saturday, the days the rules change) and must create exactly what ``rules_walk`` says
for the same run days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest

from notifications.calendar import is_working_day
from notifications.models import Notification
from notifications.rules import (
    Rules,
    escalations_on,
    first_working_day_of_week,
    report_window,
    task_stage_on,
)
from notifications.services.policies import reminder_policy_set
from tasks.choices import ReportCadence, TaskStatus
from tasks.models import Plan, Task
from tasks.services import plan_create, progress_report_submit, task_create

from ..conftest import World
from .helpers import days, sweep, tasks_only, walk

D = dt.date
DUE_SOON, DUE_TODAY, OVERDUE = "due_soon", "due_today", "overdue"
HEAD, BUREAU, REPORT, DIGEST = "escalation_head", "escalation_bureau", "report_due", "digest"
LIAISONS = ("staff", "other_staff")  # the lead's and the responsible department's liaisons
HEADS = ("head",)  # the lead department's head (the responsible one has none)
BUREAUS = ("bureau", "province")  # the bureau of the plans' city and of the province above it
ALL_BUREAUS = ("bureau", "province", "other_bureau")  # the weekly digest goes to every bureau user
Log = dict[dt.date, set[tuple[str, str, str]]]


# --- the rules, day by day, without a database --------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A task as the rules see it: its due date, its plan's rules and cadence, and the periods a
    liaison's department has reported for."""

    title: str
    due: dt.date | None
    rules: Rules = field(default_factory=Rules)
    cadence: str = ReportCadence.NONE
    report_day: int = 25
    reported: frozenset[tuple[str, str]] = frozenset()  # (period, liaison)


def _in_daily_digest(spec: Spec, day: dt.date) -> bool:
    """The task is in its departments' daily digest: late, due within 7 days, or in a before-due
    reminder stage already (a reminder moved forward by a holiday)."""
    if spec.due is None:
        return False
    if spec.due < day or spec.due <= day + dt.timedelta(days=7):
        return True
    return task_stage_on(spec.due, day, spec.rules) is not None


def rules_walk(
    specs: Iterable[Spec], run_days: Iterable[dt.date], *, weekly: bool = False, daily: tuple[str, ...] = ()
) -> Log:
    """What the sweeps on ``run_days`` create, by the pure rules: on each working day a task's
    latest stage whose day has come, each escalation whose day has come and the current period's
    report reminder, each once; the weekly digest on the week's first working day (or the first
    sweep after it) and a daily digest on each day with something to list."""
    specs = list(specs)
    done: set[tuple[str, ...]] = set()
    log: Log = {}

    def once(key: tuple[str, ...], rows: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        if key in done:
            return set()
        done.add(key)
        return rows

    for day in run_days:
        if not is_working_day(day):
            continue
        created: set[tuple[str, str, str]] = set()
        for spec in specs:
            if spec.due is not None:
                stage = task_stage_on(spec.due, day, spec.rules)
                if stage is not None:
                    created |= once(
                        (spec.title, stage.kind, stage.key), {(stage.kind, u, spec.title) for u in LIAISONS}
                    )
                for kind in escalations_on(spec.due, day, spec.rules) if spec.due < day else []:
                    users = HEADS if kind == HEAD else BUREAUS
                    created |= once((spec.title, kind), {(kind, u, spec.title) for u in users})
            window = report_window(spec.cadence, spec.report_day, day)
            if window is not None and window.send_on <= day <= window.end:
                for user in LIAISONS:
                    if (window.period, user) not in spec.reported:
                        created |= once(
                            (spec.title, REPORT, window.period, user), {(REPORT, user, spec.title)}
                        )
        first = first_working_day_of_week(day)
        if weekly and first is not None and first <= day:
            week = day.isocalendar()
            created |= once(
                ("weekly", str(week.year), str(week.week)), {(DIGEST, u, "") for u in ALL_BUREAUS}
            )
        if daily and any(_in_daily_digest(spec, day) for spec in specs):
            created |= {(DIGEST, user, "") for user in daily}
        if created:
            log[day] = created
    return log


def _tasks(log: Log) -> Log:
    """The log without the digests (rows about no task)."""
    return {day: kept for day, rows in log.items() if (kept := {row for row in rows if row[2]})}


YEAR = days(D(2026, 1, 1), D(2026, 12, 31))
#: The days the command runs on: month ends, 中秋 (Fri Sep 25) and 国庆 (Oct 3) off, the 调休
#: Saturday Oct 10, and the days the rules of the tasks below change stage.
SAMPLE = sorted(
    {
        *(day for day in YEAR if (day + dt.timedelta(days=1)).day == 1),
        D(2026, 1, 23),
        D(2026, 3, 10),
        D(2026, 6, 10),
        D(2026, 6, 16),
        D(2026, 6, 22),
        D(2026, 6, 24),
        D(2026, 9, 1),
        D(2026, 9, 7),
        D(2026, 9, 24),
        D(2026, 9, 25),
        D(2026, 9, 28),
        D(2026, 10, 3),
        D(2026, 10, 8),
        D(2026, 10, 9),
        D(2026, 10, 10),
        D(2026, 10, 11),
        D(2026, 10, 12),
        D(2026, 10, 16),
        D(2026, 10, 19),
        D(2026, 10, 23),
        D(2026, 11, 25),
        D(2026, 12, 10),
        D(2026, 12, 25),
    }
)

CUSTOM = Rules(
    days_before=(1,), on_day=False, repeat_every_days=7, escalate_head_after=3, escalate_bureau_after=0
)
DEADLINES = [
    Spec("节后到期", D(2026, 10, 9)),  # Fri after 国庆
    Spec("节中到期", D(2026, 10, 4)),  # Sun inside 国庆
    Spec("自定义", D(2026, 6, 17), CUSTOM),  # Wed; 端午 Fri Jun 19
]
REPORTS = [
    Spec(
        "月报任务",
        None,
        cadence=ReportCadence.MONTHLY,
        report_day=25,
        reported=frozenset({("2026-11", "staff")}),
    ),
    Spec("季报任务", None, cadence=ReportCadence.QUARTERLY, report_day=10),
]


def _plan(world: World, title: str, cadence: str, day: int = 25) -> Plan:
    plan = plan_create(actor=None, region=world.city, title=title, period=(2026, 2026))
    Plan.objects.filter(pk=plan.pk).update(report_cadence=cadence, report_day=day)
    plan.refresh_from_db()
    return plan


def _task(world: World, plan: Plan, path: str, title: str, due: dt.date | None) -> Task:
    return task_create(
        actor=None,
        plan=plan,
        path=path,
        title=title,
        due_date=due,
        lead=[world.lead_dept],
        responsible=[world.other_dept],
    )


@pytest.fixture
def year(world: World) -> World:
    # Only the tasks of this test are open: the shared world's tasks are due relative to today.
    Task.objects.filter(pk__in=[world.task.pk, world.other_task.pk]).update(status=TaskStatus.CANCELLED)
    Plan.objects.filter(pk__in=[world.plan.pk, world.foreign_plan.pk]).update(
        report_cadence=ReportCadence.NONE
    )
    return world


def _for(log: dict[dt.date, set[tuple[str, str, str]]], title: str) -> dict[dt.date, set[tuple[str, str]]]:
    out: dict[dt.date, set[tuple[str, str]]] = {}
    for day, rows in log.items():
        mine = {(kind, user) for kind, user, t in rows if t == title}
        if mine:
            out[day] = mine
    return out


def _each(kind: str, users: tuple[str, ...] = LIAISONS) -> set[tuple[str, str]]:
    return {(kind, user) for user in users}


def test_a_deadline_year_with_national_day() -> None:
    log = rules_walk(DEADLINES, YEAR)

    # Due Fri Oct 9: the 7- and 3-day reminders (Oct 2, Oct 6) fall in 国庆 and both move to
    # Wed Sep 30: one mail (the nearer, 3 days), not two. Nothing Oct 1–7.
    assert _for(log, "节后到期") == {
        D(2026, 9, 30): _each(DUE_SOON),
        D(2026, 10, 8): _each(DUE_SOON),
        D(2026, 10, 9): _each(DUE_TODAY),
        D(2026, 10, 12): _each(OVERDUE),  # +3 (Sat Oct 10, a make-up working day, is not yet +3)
        D(2026, 10, 15): _each(OVERDUE),  # +6
        D(2026, 10, 16): {(HEAD, "head")},  # +7: the lead department's head
        D(2026, 10, 19): _each(OVERDUE),  # +9 is Sun Oct 18: next working day
        D(2026, 10, 21): _each(OVERDUE),  # +12
        D(2026, 10, 23): {(BUREAU, "bureau"), (BUREAU, "province")},  # +14: the city and province bureau
        D(2026, 10, 26): _each(OVERDUE),  # +15 is Sat Oct 24: next working day
        D(2026, 10, 27): _each(OVERDUE),  # +18
        D(2026, 10, 30): _each(OVERDUE),
        D(2026, 11, 2): _each(OVERDUE),
        D(2026, 11, 5): _each(OVERDUE),
        D(2026, 11, 9): _each(OVERDUE),  # +31 is Sun Nov 8
        **{
            D(2026, 11, 11) + dt.timedelta(days=3 * k): _each(OVERDUE)
            for k in range(0, 17)
            if (D(2026, 11, 11) + dt.timedelta(days=3 * k)).weekday() < 5
        },
        **{
            D(2026, 11, 11)
            + dt.timedelta(days=3 * k + (7 - (D(2026, 11, 11) + dt.timedelta(days=3 * k)).weekday())): _each(
                OVERDUE
            )
            for k in range(0, 17)
            if (D(2026, 11, 11) + dt.timedelta(days=3 * k)).weekday() >= 5
        },
    }
    # Due Sun Oct 4, inside the holiday: the day's reminder goes out on the last working day
    # before it (Sep 30, superseding the 1- and 3-day ones); 7 days before is Sun Sep 27 →
    # Thu Sep 24 (Fri Sep 25 is 中秋). After it: +3 = Wed Oct 7 → Thu Oct 8; +6 = Sat Oct 10,
    # a make-up working day, goes out that day; the head at +7 (Sun Oct 11 → Mon Oct 12).
    walked = _for(log, "节中到期")
    assert {day: walked[day] for day in sorted(walked) if day <= D(2026, 10, 19)} == {
        D(2026, 9, 24): _each(DUE_SOON),
        D(2026, 9, 30): _each(DUE_TODAY),
        D(2026, 10, 8): _each(OVERDUE),
        D(2026, 10, 10): _each(OVERDUE),
        D(2026, 10, 12): {(HEAD, "head")},
        D(2026, 10, 13): _each(OVERDUE),
        D(2026, 10, 16): _each(OVERDUE),
        D(2026, 10, 19): _each(OVERDUE) | {(BUREAU, "bureau"), (BUREAU, "province")},  # +14 Sun → Mon
    }
    # The plan's own rules: 1 day before (Tue Jun 16), no day-of, weekly after (Wed Jun 24,
    # Jul 1 …), the head after 3 days (Sat Jun 20 → Mon Jun 22), never the bureau.
    custom = _for(log, "自定义")
    assert {day: custom[day] for day in sorted(custom) if day <= D(2026, 7, 1)} == {
        D(2026, 6, 16): _each(DUE_SOON),
        D(2026, 6, 22): {(HEAD, "head")},
        D(2026, 6, 24): _each(OVERDUE),
        D(2026, 7, 1): _each(OVERDUE),
    }
    assert not any(kind == BUREAU for rows in custom.values() for kind, _ in rows)
    # Nothing at all is created on a day off.
    assert all(is_working_day(day) for day in log)


@pytest.mark.django_db
def test_a_deadline_year_on_sampled_days(year: World) -> None:
    plan = _plan(year, "期限提醒方案", ReportCadence.NONE)
    _task(year, plan, "一.1", "节后到期", D(2026, 10, 9))  # Fri after 国庆
    _task(year, plan, "一.2", "节中到期", D(2026, 10, 4))  # Sun inside 国庆
    # A plan with its own rules: one day before only, repeat weekly, no escalation to the bureau.
    strict = _plan(year, "自定义规则方案", ReportCadence.NONE)
    reminder_policy_set(
        actor=year.users["bureau"],
        plan=strict,
        days_before="1",
        on_day=False,
        repeat_every_days=7,
        escalate_head_after=3,
        escalate_bureau_after=0,
    )
    _task(year, strict, "一.1", "自定义", D(2026, 6, 17))  # Wed; 端午 Fri Jun 19

    log = walk(SAMPLE)

    # The command creates on each sampled day what the rules say for the same run days (a stage
    # whose day fell between two runs is caught up on the next one), and nothing on a day off.
    assert _tasks(log) == rules_walk(DEADLINES, SAMPLE)
    assert D(2026, 10, 9) in log and D(2026, 10, 10) in log
    assert not {D(2026, 9, 25), D(2026, 10, 3), D(2026, 10, 11)} & set(log)
    sent_on = Notification.objects.filter(task__title="节中到期", kind=DUE_TODAY).values_list(
        "message", flat=True
    )
    assert len(sent_on) == 2 and all("节假日" in message for message in sent_on)
    assert all(is_working_day(day) for day in log)


@pytest.mark.django_db
def test_closing_a_task_stops_its_reminders(year: World) -> None:
    plan = _plan(year, "办结方案", ReportCadence.NONE)
    task = _task(year, plan, "一.1", "将办结", D(2026, 10, 9))
    assert tasks_only(sweep(D(2026, 10, 12))) == {OVERDUE: 2}
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.COMPLETED)
    for day in (D(2026, 10, 15), D(2026, 10, 16), D(2026, 10, 23)):
        assert sweep(day)["created"].get(OVERDUE, 0) == 0
    assert not Notification.objects.filter(task=task, kind__in=[HEAD, BUREAU]).exists()


@pytest.mark.django_db
def test_an_extended_deadline_starts_its_reminders_afresh(year: World) -> None:
    plan = _plan(year, "延期方案", ReportCadence.NONE)
    task = _task(year, plan, "一.1", "延期", D(2026, 11, 13))
    assert tasks_only(sweep(D(2026, 11, 12))) == {DUE_SOON: 2}
    Task.objects.filter(pk=task.pk).update(due_date=D(2026, 11, 27))
    assert tasks_only(sweep(D(2026, 11, 12))) == {}
    assert tasks_only(sweep(D(2026, 11, 20))) == {DUE_SOON: 2}  # 7 days before the new date


def test_report_reminders_by_cadence() -> None:
    # The lead department reports November early; only the responsible one is reminded then.
    log = rules_walk(REPORTS, YEAR)

    month_days = {day for day, rows in log.items() if any(t == "月报任务" for _, _, t in rows)}
    # Day 25, or the working day before: Jan 23 (Sun 25), Apr 24 (Sat 25), May 25 …,
    # Jul 24 (Sat 25), Sep 24 (Fri 25 is 中秋), Oct 23 (Sun 25), Dec 25 (Fri).
    assert sorted(month_days) == [
        D(2026, 1, 23),
        D(2026, 2, 25),
        D(2026, 3, 25),
        D(2026, 4, 24),
        D(2026, 5, 25),
        D(2026, 6, 25),
        D(2026, 7, 24),
        D(2026, 8, 25),
        D(2026, 9, 24),
        D(2026, 10, 23),
        D(2026, 11, 25),
        D(2026, 12, 25),
    ]
    assert _for(log, "月报任务")[D(2026, 11, 25)] == {(REPORT, "other_staff")}
    assert _for(log, "月报任务")[D(2026, 10, 23)] == _each(REPORT)
    # Quarterly: day 10 of the quarter's last month: Mar 10, Jun 10, Sep 10, Thu Dec 10.
    quarter_days = sorted(day for day, rows in log.items() if any(t == "季报任务" for _, _, t in rows))
    assert quarter_days == [D(2026, 3, 10), D(2026, 6, 10), D(2026, 9, 10), D(2026, 12, 10)]


@pytest.mark.django_db
def test_report_reminders_on_sampled_days(year: World) -> None:
    monthly = _plan(year, "月报方案", ReportCadence.MONTHLY, day=25)
    task = _task(year, monthly, "一.1", "月报任务", None)
    quarterly = _plan(year, "季报方案", ReportCadence.QUARTERLY, day=10)
    _task(year, quarterly, "一.1", "季报任务", None)
    # The lead department reports November early; only the responsible one is reminded then.
    progress_report_submit(
        actor=year.users["staff"], task=task, text="11月进展", percent=30, period="2026-11"
    )

    log = walk(SAMPLE)

    assert _tasks(log) == rules_walk(REPORTS, SAMPLE)
    assert _for(log, "月报任务")[D(2026, 11, 25)] == {(REPORT, "other_staff")}
    assert sorted(day for day, rows in log.items() if any(t == "季报任务" for _, _, t in rows)) == [
        D(2026, 3, 10),
        D(2026, 6, 10),
        D(2026, 9, 24),  # the sample has no day of Sep 10–23: caught up on the next run
        D(2026, 12, 10),
    ]
    messages = Notification.objects.filter(kind=REPORT, task__title="季报任务").values_list(
        "message", flat=True
    )
    assert {m.split("填报 ")[1].split(" 期")[0] for m in messages} == {
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    }


def test_digests_weekly_for_the_bureau_and_daily_for_those_who_chose_it() -> None:
    # other_staff (the responsible department's liaison) chose the daily digest
    log = rules_walk(
        [Spec("摘要任务", D(2026, 10, 9))],
        days(D(2026, 9, 1), D(2026, 10, 31)),
        weekly=True,
        daily=("other_staff",),
    )

    weekly = sorted(day for day, rows in log.items() if (DIGEST, "bureau", "") in rows)
    # Mondays, except the week of Oct 5 (Mon–Wed are 国庆): Thursday Oct 8. Sep 1 is a Tuesday:
    # that week's digest is caught up on the first sweep of the week.
    assert weekly == [
        D(2026, 9, 1),
        D(2026, 9, 7),
        D(2026, 9, 14),
        D(2026, 9, 21),
        D(2026, 9, 28),
        D(2026, 10, 8),
        D(2026, 10, 12),
        D(2026, 10, 19),
        D(2026, 10, 26),
    ]
    assert {
        user for day in weekly for kind, user, _ in log[day] if kind == DIGEST and user != "other_staff"
    } == {
        "bureau",
        "province",
        "other_bureau",
    }
    # The daily digest: each working day the department has something due within 7 days or late.
    daily = sorted(day for day, rows in log.items() if (DIGEST, "other_staff", "") in rows)
    assert daily[0] == D(2026, 9, 30)  # 7 days before Oct 9 is Oct 2, a holiday: first listed Sep 30
    assert D(2026, 10, 10) in daily and D(2026, 10, 11) not in daily


@pytest.mark.django_db
def test_digests_on_sampled_days(year: World) -> None:
    from departments.models import User

    User.objects.filter(username="other_staff").update(daily_digest=True)
    plan = _plan(year, "摘要方案", ReportCadence.NONE)
    _task(year, plan, "一.1", "摘要任务", D(2026, 10, 9))

    run_days = [day for day in SAMPLE if D(2026, 9, 1) <= day <= D(2026, 10, 31)]
    log = walk(run_days)

    assert log == rules_walk(
        [Spec("摘要任务", D(2026, 10, 9))], run_days, weekly=True, daily=("other_staff",)
    )
    assert {user for rows in log.values() for kind, user, _ in rows if kind == DIGEST} == {
        "bureau",
        "province",
        "other_bureau",
        "other_staff",
    }
    digest = Notification.objects.get(
        kind=DIGEST, recipient__username="other_staff", dedup_key__contains="2026-10-12"
    )
    assert "已逾期(1 项)" in digest.message and "摘要任务" in digest.message
    weekly_text = Notification.objects.get(
        kind=DIGEST, recipient__username="bureau", dedup_key__contains="2026-W42"
    )
    assert "逾期 1 项" in weekly_text.message


@pytest.mark.django_db
def test_dry_run_creates_nothing_and_bad_dates_are_refused(year: World) -> None:
    from django.core.management.base import CommandError

    plan = _plan(year, "试运行方案", ReportCadence.NONE)
    _task(year, plan, "一.1", "试运行", D(2026, 10, 9))
    dry = sweep(D(2026, 10, 9), "--dry-run")
    assert dry["dry_run"] is True and dry["created"][DUE_TODAY] == 2
    assert not Notification.objects.filter(task__title="试运行").exists()
    assert sweep(D(2026, 10, 9))["created"][DUE_TODAY] == 2
    with pytest.raises(CommandError):
        sweep("2026-13-01")
