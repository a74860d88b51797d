"""Reminder rules: what is due on a day, created as notifications exactly once.

Beat only ticks; this module computes from the data which reminders are due "now" and creates
each through ``notification_create``, whose unique ``dedup_key`` (recipient, task, kind, period)
makes a second sweep, a concurrent sweep or a redelivered job a no-op.

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

import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from departments.choices import Role
from departments.models import Department, User
from webhooks.services import emit_task_overdue

from ..calendar import is_working_day, working_day_on_or_after, working_day_on_or_before
from ..choices import (
    CLOSED_STATUSES,
    NotificationKind,
    PlanStatus,
    ReportCadence,
    RequestState,
    ReviewStatus,
)
from ..models import Assignment, Plan, ProgressReport, ReminderPolicy, Task, TaskRequest
from ..reporting.reports import REPORTING_ROLES
from .notifications import Message, notification_create, recipient_language
from .workflow import bureau_users_for

logger = logging.getLogger("ipplan.reminders")

#: Departments that are reminded and must report: the lead and the responsible ones.
#: A digest lists tasks due within this many days.
DIGEST_DUE_WITHIN_DAYS = 7


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


def rules_for(plan: Plan) -> Rules:
    """The plan's own policy, or the defaults."""
    try:
        policy = plan.reminder_policy
    except ReminderPolicy.DoesNotExist:
        return default_rules()
    return Rules(
        days_before=tuple(policy.offsets_before),
        on_day=policy.on_day,
        repeat_every_days=policy.repeat_every_days,
        escalate_head_after=policy.escalate_head_after,
        escalate_bureau_after=policy.escalate_bureau_after,
    )


@transaction.atomic
def reminder_policy_set(
    *,
    actor: User | None,
    plan: Plan,
    days_before: str = "7,3,1",
    on_day: bool = True,
    repeat_every_days: int = 3,
    escalate_head_after: int = 7,
    escalate_bureau_after: int = 14,
) -> ReminderPolicy:
    """Create or change the plan's reminder rules."""
    from ipplan.permissions import Action, require

    if actor is not None:
        require(actor, Action.EDIT_PLAN, plan)
    policy = ReminderPolicy.objects.select_for_update().filter(plan=plan).first() or ReminderPolicy(plan=plan)
    policy.days_before = days_before
    policy.on_day = on_day
    policy.repeat_every_days = repeat_every_days
    policy.escalate_head_after = escalate_head_after
    policy.escalate_bureau_after = escalate_bureau_after
    policy.updated_by = actor
    policy.full_clean()
    policy.save()
    return policy


# --- the pure rules -----------------------------------------------------------------------------


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
    if cadence == ReportCadence.MONTHLY:
        period = f"{today:%Y-%m}"
        month = today.month
    elif cadence == ReportCadence.QUARTERLY:
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


# --- recipients ---------------------------------------------------------------------------------


@dataclass
class _People:
    """Who to write to in a department, looked up once per sweep."""

    cache: dict[tuple[int, str], list[User]] = field(default_factory=dict)

    def _members(self, department_id: int, role: str) -> list[User]:
        key = (department_id, role)
        if key not in self.cache:
            self.cache[key] = list(
                User.objects.filter(department_id=department_id, role=role, is_active=True).order_by("pk")
            )
        return self.cache[key]

    def liaisons(self, department_id: int) -> list[User]:
        """The department's liaisons, or its heads when it has none."""
        return self._members(department_id, Role.DEPT_STAFF) or self._members(department_id, Role.DEPT_HEAD)

    def heads(self, department_id: int) -> list[User]:
        return self._members(department_id, Role.DEPT_HEAD)


def _reporting_departments(task: Task) -> list[Department]:
    seen: dict[int, Department] = {}
    for assignment in task.assignments.all():
        if assignment.role in REPORTING_ROLES:
            seen.setdefault(assignment.department_id, assignment.department)
    return list(seen.values())


# --- messages -----------------------------------------------------------------------------------


def _task_label(task: Task) -> str:
    return _("《%(plan)s》任务 %(path)s %(title)s") % {
        "plan": task.plan.title,
        "path": task.path,
        "title": task.title,
    }


def _day(day: dt.date) -> str:
    """A date as the active language writes it (2026年11月29日, 2026-11-29)."""
    return day.strftime(_("%Y年%m月%d日"))


def _message(kind: str, task: Task, today: dt.date, *, period: str = "", department: str = "") -> str:
    """The text of a reminder, in the active language (``notification_create`` calls it in the
    recipient's)."""
    due = task.due_date
    label = _task_label(task)
    if due is not None:
        params = {"label": label, "due": _day(due), "left": (due - today).days, "late": (today - due).days}
        if kind == NotificationKind.DUE_SOON:
            return _("%(label)s 将于 %(due)s 到期(还有 %(left)s 天),请抓紧推进并及时填报进展。") % params
        if kind == NotificationKind.DUE_TODAY:
            if due == today:
                return _("%(label)s 今天(%(due)s)到期,请及时办结或申请延期。") % params
            return _("%(label)s 将于 %(due)s(节假日)到期,请在假期前办结或申请延期。") % params
        if kind == NotificationKind.OVERDUE:
            return _("%(label)s 已于 %(due)s 到期,已逾期 %(late)s 天,请尽快办结或说明情况。") % params
        if kind == NotificationKind.ESCALATION_HEAD:
            return _("【提请单位负责人】%(label)s 已逾期 %(late)s 天(完成时限 %(due)s),请督促办理。") % params
        if kind == NotificationKind.ESCALATION_BUREAU:
            return _(
                "【提请知识产权局】%(label)s 已逾期 %(late)s 天(完成时限 %(due)s),承办单位:%(department)s。"
            ) % {**params, "department": department}
    if kind == NotificationKind.REPORT_DUE:
        return _("请%(department)s填报 %(period)s 期 %(label)s 的工作进展。") % {
            "department": department,
            "period": period,
            "label": label,
        }
    return label


# --- the sweep ----------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """What a sweep created (or, in a dry run, would have created), by kind."""

    created: Counter[str] = field(default_factory=Counter)
    ids: list[int] = field(default_factory=list)

    def add(self, kind: str, notification_id: int) -> None:
        self.created[str(kind)] += 1
        self.ids.append(notification_id)

    def as_dict(self) -> dict[str, int]:
        return {kind: self.created[kind] for kind in sorted(self.created)}


def _create(
    result: SweepResult, *, user: User, kind: str, task: Task | None, message: Message, key: str
) -> None:
    row, created = notification_create(recipient=user, kind=kind, message=message, dedup_key=key, task=task)
    if created:
        result.add(kind, row.pk)


def _open_tasks() -> QuerySet[Task]:
    return (
        Task.objects.filter(plan__status=PlanStatus.ACTIVE)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("plan", "plan__region", "plan__reminder_policy")
        .prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("department").order_by("pk"))
        )
        .order_by("pk")
    )


def _task_reminders(task: Task, today: dt.date, rules: Rules, people: _People, result: SweepResult) -> None:
    due = task.due_date
    if due is None:
        return
    emit_task_overdue(task=task, today=today)  # once per task and due date (a no-op before it)
    departments = _reporting_departments(task)
    stage = task_stage_on(due, today, rules)
    if stage is not None:
        message = partial(_message, stage.kind, task, today)  # written in each recipient's language
        for department in departments:
            for user in people.liaisons(department.pk):
                key = f"rem:{stage.kind}:t{task.pk}:{due.isoformat()}:{stage.key}:u{user.pk}"
                _create(result, user=user, kind=stage.kind, task=task, message=message, key=key)
    for kind in escalations_on(due, today, rules) if today > due else []:
        names = "、".join(d.name for d in departments)
        message = partial(_message, kind, task, today, department=names)
        if kind == NotificationKind.ESCALATION_HEAD:
            recipients = [u for d in departments for u in people.heads(d.pk)]
        else:
            recipients = list(bureau_users_for(task.plan))
        for user in recipients:
            key = f"rem:{kind}:t{task.pk}:{due.isoformat()}:u{user.pk}"
            _create(result, user=user, kind=kind, task=task, message=message, key=key)


def _report_reminders(task: Task, today: dt.date, people: _People, result: SweepResult) -> None:
    window = report_window(task.plan.report_cadence, task.plan.report_day, today)
    if window is None or not (window.send_on <= today <= window.end):
        return
    if task.start_date is not None and task.start_date > window.end:
        return
    reported = set(
        ProgressReport.objects.filter(task=task, period=window.period).values_list("department_id", flat=True)
    )
    for department in _reporting_departments(task):
        if department.pk in reported:
            continue
        message = partial(
            _message,
            NotificationKind.REPORT_DUE,
            task,
            today,
            period=window.period,
            department=department.name,
        )
        for user in people.liaisons(department.pk):
            key = f"rem:{NotificationKind.REPORT_DUE}:t{task.pk}:d{department.pk}:{window.period}:u{user.pk}"
            _create(result, user=user, kind=NotificationKind.REPORT_DUE, task=task, message=message, key=key)


def _due_soon(task: Task, today: dt.date) -> bool:
    """Due within DIGEST_DUE_WITHIN_DAYS, or already in a before-due reminder stage (so a
    reminder moved forward by a holiday is in the digest that day too)."""
    assert task.due_date is not None
    if task.due_date <= today + dt.timedelta(days=DIGEST_DUE_WITHIN_DAYS):
        return True
    return task_stage_on(task.due_date, today, rules_for(task.plan)) is not None


def _summary_lines(
    tasks: Iterable[Task], today: dt.date, missing: set[int]
) -> tuple[list[str], dict[str, int]]:
    overdue, soon, unreported = [], [], []
    for task in tasks:
        name = f"{task.path} {task.title}"
        if task.due_date is not None and task.due_date < today:
            days = (today - task.due_date).days
            overdue.append("  · " + _("%(task)s(逾期 %(days)s 天)") % {"task": name, "days": days})
        elif task.due_date is not None and _due_soon(task, today):
            soon.append(
                "  · "
                + _("%(task)s(%(due)s到期)") % {"task": name, "due": task.due_date.strftime(_("%m月%d日"))}
            )
        if task.pk in missing:
            unreported.append(f"  · {name}")
    lines: list[str] = []
    for title, items in (
        (_("已逾期"), overdue),
        (_("%(days)s天内到期") % {"days": DIGEST_DUE_WITHIN_DAYS}, soon),
        (_("本期未填报进展"), unreported),
    ):
        if items:
            lines.append(_("%(title)s(%(n)s 项):") % {"title": title, "n": len(items)})
            lines.extend(items[:20])
            if len(items) > 20:
                lines.append("  " + _("…… 另有 %(n)s 项") % {"n": len(items) - 20})
    return lines, {"overdue": len(overdue), "soon": len(soon), "unreported": len(unreported)}


def _missing_reports(tasks: list[Task], today: dt.date, department_id: int | None = None) -> set[int]:
    """Open tasks with a reporting department that has not reported for the current period."""
    missing = set()
    for task in tasks:
        window = report_window(task.plan.report_cadence, task.plan.report_day, today)
        if window is None or today < window.send_on:
            continue
        departments = {d.pk for d in _reporting_departments(task)}
        if department_id is not None:
            departments &= {department_id}
        reported = {r.department_id for r in task.reports.all() if r.period == window.period}
        if departments - reported:
            missing.add(task.pk)
    return missing


def _digests(today: dt.date, result: SweepResult) -> None:
    # Weekly, bureau users: on the first working day of the week (Monday unless it is a holiday).
    week = today.isocalendar()
    first = first_working_day_of_week(today)
    if first is not None and first <= today:
        for user in User.objects.filter(
            role=Role.BUREAU, is_active=True, region__isnull=False
        ).select_related("region"):
            assert user.region is not None
            tasks = list(
                _open_tasks()
                .filter(plan__region__path__startswith=user.region.path)
                .prefetch_related("reports")
            )
            pending_reports = ProgressReport.objects.filter(
                review_status=ReviewStatus.PENDING, task__plan__region__path__startswith=user.region.path
            ).count()
            pending_requests = TaskRequest.objects.filter(
                state=RequestState.AWAITING_REVIEW, task__plan__region__path__startswith=user.region.path
            ).count()
            with translation.override(recipient_language(user)):
                lines, counts = _summary_lines(tasks, today, _missing_reports(tasks, today))
                head = _(
                    "%(region)s知识产权工作方案本周摘要(%(year)s年第%(week)s周):"
                    "在办任务 %(open)s 项,逾期 %(overdue)s 项,"
                    "%(within)s天内到期 %(soon)s 项,未填报 %(unreported)s 项;"
                    "待审核进展 %(reports)s 份,待审核申请 %(requests)s 件。"
                ) % {
                    "region": user.region.name,
                    "year": week.year,
                    "week": week.week,
                    "open": len(tasks),
                    "within": DIGEST_DUE_WITHIN_DAYS,
                    "reports": pending_reports,
                    "requests": pending_requests,
                    **counts,
                }
            key = f"digest:weekly:{week.year}-W{week.week:02d}:u{user.pk}"
            _create(
                result,
                user=user,
                kind=NotificationKind.DIGEST,
                task=None,
                message="\n".join([head, *lines]),
                key=key,
            )
    # Daily, department users who chose it instead of single mails: only when there is news.
    for user in User.objects.filter(
        role__in=[Role.DEPT_STAFF, Role.DEPT_HEAD],
        daily_digest=True,
        is_active=True,
        department__isnull=False,
    ).select_related("department"):
        assert user.department is not None
        tasks = list(
            _open_tasks()
            .filter(assignments__department=user.department, assignments__role__in=REPORTING_ROLES)
            .distinct()
            .prefetch_related("reports")
        )
        with translation.override(recipient_language(user)):
            lines, counts = _summary_lines(tasks, today, _missing_reports(tasks, today, user.department_id))
            head = _("%(department)s今日待办摘要(%(day)s):") % {
                "department": user.department.name,
                "day": _day(today),
            }
        if not lines:
            continue
        _create(
            result,
            user=user,
            kind=NotificationKind.DIGEST,
            task=None,
            message="\n".join([head, *lines]),
            key=f"digest:daily:{today.isoformat()}:u{user.pk}",
        )


class _DryRun(Exception):
    """Raised to roll a dry-run sweep back."""


def reminders_sweep(*, today: dt.date, digests: bool = True, dry_run: bool = False) -> SweepResult:
    """Create every reminder due on ``today`` that does not exist yet; returns what was created.

    Each task is one transaction, so a long sweep holds no long lock and a crash loses nothing
    (the next tick redoes what is missing). ``digests`` is False before the digest hour.
    """
    result = SweepResult()
    if not is_working_day(today):
        return result
    people = _People()
    try:
        with transaction.atomic() if dry_run else contextlib.nullcontext():
            for task in _open_tasks():
                with transaction.atomic():
                    rules = rules_for(task.plan)
                    _task_reminders(task, today, rules, people, result)
                    _report_reminders(task, today, people, result)
            if digests:
                with transaction.atomic():
                    _digests(today, result)
            if dry_run:
                raise _DryRun
    except _DryRun:
        result.ids = []
    logger.info("reminders for %s: %s", today.isoformat(), result.as_dict())
    return result


__all__ = [
    "Rules",
    "Stage",
    "SweepResult",
    "default_rules",
    "escalations_on",
    "first_working_day_of_week",
    "reminder_policy_set",
    "reminders_sweep",
    "report_window",
    "rules_for",
    "task_stage_on",
]
