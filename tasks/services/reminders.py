"""The reminder sweep: which reminders the rules call for today, created as notifications once.

Beat only ticks; this module reads the open tasks and computes from the data which reminders are
due "now" (the rules themselves are plain functions of dates in ``notifications.rules``), and
creates them through ``notifications_create_many``, whose unique ``dedup_key`` (recipient, task,
kind, period) makes a second sweep, a concurrent sweep or a redelivered job a no-op. Each page
of late tasks is published as ``events.TasksOverdue`` (the webhooks app records ``task.overdue``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import translation
from django.utils.translation import gettext as _

from departments.models import User
from ipplan.roles import Role
from notifications.calendar import is_working_day
from notifications.choices import NotificationKind
from notifications.models import Notification, ReminderPolicy
from notifications.rules import (
    ReportWindow,
    Rules,
    Stage,
    default_rules,
    escalations_on,
    first_working_day_of_week,
    report_window,
    task_stage_on,
)
from notifications.services.notifications import (
    NewNotification,
    language_or_default,
    notifications_create_many,
    recipient_language,
)

from .. import events
from ..choices import (
    CLOSED_STATUSES,
    PlanStatus,
    RequestState,
    ReviewStatus,
    TaskStatus,
)
from ..models import Assignment, Plan, ProgressReport, Task, TaskRequest
from ..reporting.reports import REPORTING_ROLES, is_report_missing, report_missing_q

logger = logging.getLogger("ipplan.reminders")

#: Departments that are reminded and must report: the lead and the responsible ones.
#: A digest lists tasks due within this many days.
DIGEST_DUE_WITHIN_DAYS = 7


# --- recipients ---------------------------------------------------------------------------------


@dataclass
class _People:
    """Who to write to, read once per sweep: department members by role and the bureau users,
    with the language each reads their notifications in.

    Bounded by the number of users (not of tasks): ids only, no model instances.
    """

    staff: dict[int, list[int]] = field(default_factory=dict)
    heads_by: dict[int, list[int]] = field(default_factory=dict)
    bureau: list[tuple[int, str]] = field(default_factory=list)
    language_of: dict[int, str] = field(default_factory=dict)
    #: The languages the recipients read, the site's own first.
    languages: list[str] = field(default_factory=list)
    _bureau_cache: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _People:
        people = cls()
        rows = (
            User.objects.filter(
                role__in=[Role.DEPT_STAFF, Role.DEPT_HEAD], is_active=True, department__isnull=False
            )
            .order_by("pk")
            .values_list("pk", "department_id", "role", "language")
        )
        for pk, department_id, role, language in rows.iterator(chunk_size=5000):
            target = people.staff if role == Role.DEPT_STAFF else people.heads_by
            target.setdefault(department_id, []).append(pk)
            people.language_of[pk] = language_or_default(language)
        bureau = (
            User.objects.filter(role=Role.BUREAU, is_active=True, region__isnull=False)
            .order_by("pk")
            .values_list("pk", "region__path", "language")
        )
        for pk, path, language in bureau:
            people.bureau.append((pk, path))
            people.language_of[pk] = language_or_default(language)
        found = set(people.language_of.values())
        first = [settings.LANGUAGE_CODE] if settings.LANGUAGE_CODE in found else []
        people.languages = first + sorted(found - set(first))
        return people

    def reading(self, user_ids: list[int], language: str) -> list[int]:
        """Those of ``user_ids`` who read ``language`` (all of them when everyone reads one)."""
        if len(self.languages) <= 1:
            return user_ids
        return [pk for pk in user_ids if self.language_of[pk] == language]

    def liaisons(self, department_id: int) -> list[int]:
        """The department's liaisons, or its heads when it has none."""
        return self.staff.get(department_id) or self.heads_by.get(department_id, [])

    def heads(self, department_id: int) -> list[int]:
        return self.heads_by.get(department_id, [])

    def bureau_for(self, region_path: str) -> list[int]:
        """Bureau users of the region or a region above it (as ``bureau_users_for``)."""
        if region_path not in self._bureau_cache:
            prefixes = {region_path[: i + 1] for i, char in enumerate(region_path) if char == "/" and i > 0}
            self._bureau_cache[region_path] = [pk for pk, path in self.bureau if path in prefixes]
        return self._bureau_cache[region_path]


# --- messages -----------------------------------------------------------------------------------


@dataclass
class _Texts:
    """The reminder templates in one language, translated once (a sweep writes hundreds of
    thousands of texts: one ``gettext`` per text was most of its Python time), and the dates it
    wrote in that language."""

    label: str
    day: str
    separator: str
    due_soon: str
    due_today: str
    due_holiday: str
    overdue: str
    escalation_head: str
    escalation_bureau: str
    report_due: str
    days: dict[dt.date, str] = field(default_factory=dict)

    @classmethod
    def active(cls) -> _Texts:
        """The templates in the active language."""
        return cls(
            label=_("《%(plan)s》任务 %(path)s %(title)s"),
            day=_("%Y年%m月%d日"),
            separator=_("、"),
            due_soon=_("%(label)s 将于 %(due)s 到期(还有 %(left)s 天),请抓紧推进并及时填报进展。"),
            due_today=_("%(label)s 今天(%(due)s)到期,请及时办结或申请延期。"),
            due_holiday=_("%(label)s 将于 %(due)s(节假日)到期,请在假期前办结或申请延期。"),
            overdue=_("%(label)s 已于 %(due)s 到期,已逾期 %(late)s 天,请尽快办结或说明情况。"),
            escalation_head=_(
                "【提请单位负责人】%(label)s 已逾期 %(late)s 天(完成时限 %(due)s),请督促办理。"
            ),
            escalation_bureau=_(
                "【提请知识产权局】%(label)s 已逾期 %(late)s 天(完成时限 %(due)s),承办单位:%(department)s。"
            ),
            report_due=_("请%(department)s填报 %(period)s 期 %(label)s 的工作进展。"),
        )

    def date(self, day: dt.date) -> str:
        if day not in self.days:
            self.days[day] = day.strftime(self.day)
        return self.days[day]


def _task_label(plan_title: str, path: str, title: str, texts: _Texts | None = None) -> str:
    texts = texts or _Texts.active()
    return texts.label % {"plan": plan_title, "path": path, "title": title}


def _day(day: dt.date) -> str:
    """A date as the active language writes it (2026年11月29日, 2026-11-29)."""
    return _Texts.active().date(day)


def _message(
    kind: str,
    label: str,
    due: dt.date | None,
    today: dt.date,
    *,
    period: str = "",
    department: str = "",
    texts: _Texts | None = None,
) -> str:
    """The text of a reminder in the active language (the sweep activates each recipient's), or
    in the language of ``texts``."""
    texts = texts or _Texts.active()
    if due is not None:
        params = {
            "label": label,
            "due": texts.date(due),
            "left": (due - today).days,
            "late": (today - due).days,
        }
        if kind == NotificationKind.DUE_SOON:
            return texts.due_soon % params
        if kind == NotificationKind.DUE_TODAY:
            return (texts.due_today if due == today else texts.due_holiday) % params
        if kind == NotificationKind.OVERDUE:
            return texts.overdue % params
        if kind == NotificationKind.ESCALATION_HEAD:
            return texts.escalation_head % params
        if kind == NotificationKind.ESCALATION_BUREAU:
            return texts.escalation_bureau % {**params, "department": department}
    if kind == NotificationKind.REPORT_DUE:
        return texts.report_due % {"department": department, "period": period, "label": label}
    return label


# --- the sweep ----------------------------------------------------------------------------------

#: Open tasks read per query by the sweep (one page of tasks, one of their assignments, one of
#: their reports for the current period, one insert of the page's notifications).
SWEEP_CHUNK = 5000


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


@dataclass(frozen=True)
class _PlanFacts:
    """What the sweep needs of an active plan (never its document text)."""

    title: str
    rules: Rules
    window: ReportWindow | None
    region_path: str
    cadence: str


def _open_task_filter() -> Q:
    """Open tasks of active plans: the ones reminders are about."""
    return Q(plan__status=PlanStatus.ACTIVE) & ~Q(status__in=CLOSED_STATUSES)


def _active_plans(today: dt.date) -> dict[int, _PlanFacts]:
    """Each active plan's title, rules, report window and region, in one query."""
    plans: dict[int, _PlanFacts] = {}
    defaults = default_rules()
    rows = (
        Plan.objects.filter(status=PlanStatus.ACTIVE)
        .select_related("reminder_policy", "region")
        .only(
            "title",
            "report_cadence",
            "report_day",
            "region__path",
            "reminder_policy__days_before",
            "reminder_policy__on_day",
            "reminder_policy__repeat_every_days",
            "reminder_policy__escalate_head_after",
            "reminder_policy__escalate_bureau_after",
        )
    )
    for plan in rows.iterator(chunk_size=2000):
        try:
            policy = plan.reminder_policy
        except ReminderPolicy.DoesNotExist:
            rules = defaults
        else:
            rules = Rules(
                days_before=tuple(policy.offsets_before),
                on_day=policy.on_day,
                repeat_every_days=policy.repeat_every_days,
                escalate_head_after=policy.escalate_head_after,
                escalate_bureau_after=policy.escalate_bureau_after,
            )
        plans[plan.pk] = _PlanFacts(
            title=plan.title,
            rules=rules,
            window=report_window(plan.report_cadence, plan.report_day, today),
            region_path=plan.region.path,
            cadence=plan.report_cadence,
        )
    return plans


@dataclass
class _Stages:
    """``task_stage_on``/``escalations_on`` memoised per (due date, rules): a sweep sees a few
    hundred distinct due dates, not one per task."""

    today: dt.date
    stages: dict[tuple[dt.date, Rules], Stage | None] = field(default_factory=dict)
    escalations: dict[tuple[dt.date, Rules], list[str]] = field(default_factory=dict)

    def stage(self, due: dt.date, rules: Rules) -> Stage | None:
        key = (due, rules)
        if key not in self.stages:
            self.stages[key] = task_stage_on(due, self.today, rules)
        return self.stages[key]

    def escalation_kinds(self, due: dt.date, rules: Rules) -> list[str]:
        if due >= self.today:
            return []
        key = (due, rules)
        if key not in self.escalations:
            self.escalations[key] = escalations_on(due, self.today, rules)
        return self.escalations[key]


def _open_task_pages(chunk_size: int) -> Iterator[list[dict[str, Any]]]:
    """Open tasks of active plans in pages ordered by id (keyset: one query a page, no cursor
    held between pages, memory bounded by the page)."""
    last = 0
    while True:
        rows = (
            Task.objects.filter(_open_task_filter(), pk__gt=last)
            .order_by("pk")
            .values("pk", "plan_id", "path", "title", "due_date", "start_date")[:chunk_size]
        )
        page = cast(list[dict[str, Any]], list(rows))
        if not page:
            return
        yield page
        if len(page) < chunk_size:
            return
        last = page[-1]["pk"]


def _reporting_departments_of(task_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Per task, its lead and responsible departments (id, name) once each, in assignment order."""
    departments: dict[int, list[tuple[int, str]]] = {}
    rows = (
        Assignment.objects.filter(task_id__in=task_ids, role__in=REPORTING_ROLES)
        .order_by("pk")
        .values_list("task_id", "department_id", "department__name")
    )
    for task_id, department_id, name in rows:
        mine = departments.setdefault(task_id, [])
        if all(existing != department_id for existing, _name in mine):
            mine.append((department_id, name))
    return departments


def _reported_in(task_ids: list[int], periods: set[str]) -> set[tuple[int, int, str]]:
    """(task, department, period) of the reports already made for these tasks and periods."""
    if not periods:
        return set()
    return set(
        ProgressReport.objects.filter(task_id__in=task_ids, period__in=periods).values_list(
            "task_id", "department_id", "period"
        )
    )


def _page_notifications(
    page: list[dict[str, Any]],
    plans: dict[int, _PlanFacts],
    stages: _Stages,
    people: _People,
) -> list[NewNotification]:
    """Every reminder the rules call for on this page of tasks (created or not yet), each in its
    recipient's language: one pass over the page per language read, under that language."""
    today = stages.today
    task_ids = [row["pk"] for row in page]
    departments_of = _reporting_departments_of(task_ids)
    periods = {
        facts.window.period
        for facts in plans.values()
        if facts.window is not None and facts.window.send_on <= today <= facts.window.end
    }
    reported = _reported_in(task_ids, periods)
    rows: list[NewNotification] = []
    for language in people.languages:
        with translation.override(language):
            texts = _Texts.active()
            rows.extend(_page_rows(page, plans, stages, people, language, texts, departments_of, reported))
    return rows


def _page_rows(
    page: list[dict[str, Any]],
    plans: dict[int, _PlanFacts],
    stages: _Stages,
    people: _People,
    language: str,
    texts: _Texts,
    departments_of: dict[int, list[tuple[int, str]]],
    reported: set[tuple[int, int, str]],
) -> list[NewNotification]:
    """The page's reminders to those who read ``language`` (the active one; ``texts`` are its
    templates): each text is written once per task, kind and department, whatever the number of
    its recipients, and only when someone reads it."""
    today = stages.today
    rows: list[NewNotification] = []
    for task in page:
        facts = plans[task["plan_id"]]
        task_id = task["pk"]
        due: dt.date | None = task["due_date"]
        departments = departments_of.get(task_id, [])
        label = _task_label(facts.title, task["path"], task["title"], texts)
        if due is not None:
            stage = stages.stage(due, facts.rules)
            if stage is not None:
                recipients = people.reading(
                    [u for department_id, _n in departments for u in people.liaisons(department_id)], language
                )
                if recipients:
                    message = _message(stage.kind, label, due, today, texts=texts)
                    for user_id in recipients:
                        key = f"rem:{stage.kind}:t{task_id}:{due.isoformat()}:{stage.key}:u{user_id}"
                        rows.append(NewNotification(user_id, str(stage.kind), task_id, message, key))
            for kind in stages.escalation_kinds(due, facts.rules):
                if kind == NotificationKind.ESCALATION_HEAD:
                    recipients = [u for department_id, _n in departments for u in people.heads(department_id)]
                else:
                    recipients = people.bureau_for(facts.region_path)
                recipients = people.reading(recipients, language)
                if not recipients:
                    continue
                names = texts.separator.join(name for _pk, name in departments)
                message = _message(kind, label, due, today, department=names, texts=texts)
                for user_id in recipients:
                    key = f"rem:{kind}:t{task_id}:{due.isoformat()}:u{user_id}"
                    rows.append(NewNotification(user_id, str(kind), task_id, message, key))
        window = facts.window
        if window is None or not (window.send_on <= today <= window.end):
            continue
        start: dt.date | None = task["start_date"]
        for department_id, name in departments:  # the lead and responsible departments
            missing = is_report_missing(
                status=TaskStatus.IN_PROGRESS,  # the sweep reads open tasks only
                cadence=facts.cadence,
                started_on=start or today,  # no start date: it started when it was created
                roles=REPORTING_ROLES,
                periods_filed={window.period}
                if (task_id, department_id, window.period) in reported
                else set(),
                today=today,
            )
            if not missing:
                continue
            recipients = people.reading(people.liaisons(department_id), language)
            if not recipients:
                continue
            message = _message(
                NotificationKind.REPORT_DUE,
                label,
                due,
                today,
                period=window.period,
                department=name,
                texts=texts,
            )
            for user_id in recipients:
                key = f"rem:{NotificationKind.REPORT_DUE}:t{task_id}:d{department_id}:{window.period}:u{user_id}"
                rows.append(NewNotification(user_id, str(NotificationKind.REPORT_DUE), task_id, message, key))
    return rows


def _overdue_of(
    page: list[dict[str, Any]], plans: dict[int, _PlanFacts], today: dt.date
) -> list[events.OverdueTask]:
    """The page's tasks open past their due date (for this sweep's ``TasksOverdue`` event)."""
    return [
        events.OverdueTask(row["pk"], row["due_date"], plans[row["plan_id"]].region_path)
        for row in page
        if row["due_date"] is not None and row["due_date"] < today
    ]


def _task_reminders(today: dt.date, result: SweepResult, chunk_size: int) -> None:
    """The before/on/after-due reminders, escalations and report reminders of every open task,
    page by page: a constant number of queries per page, whatever the number of notifications."""
    plans = _active_plans(today)
    if not plans:
        return
    people = _People.load()
    stages = _Stages(today)
    sweep = events.Sweep(today)

    def built() -> Iterator[list[NewNotification]]:
        for page in _open_task_pages(chunk_size):
            events.publish(events.TasksOverdue(sweep, _overdue_of(page, plans, today)))
            yield _page_notifications(page, plans, stages, people)

    pages = built()
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # one connection: a dry run or a caller's transaction sees (and rolls back) every row
        for rows in pages:
            for notification_id, kind in notifications_create_many(rows):
                result.add(kind, notification_id)
        return

    # Autocommit, each page its own statement anyway: a second connection writes page N while
    # this one reads and builds page N+1, so the database's inserting and Python's building
    # overlap instead of taking turns (each is about half of the sweep).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep-writer") as writer:
        try:
            written: Future[list[tuple[int, str]]] | None = None
            for rows in pages:
                if written is not None:
                    for notification_id, kind in written.result():
                        result.add(kind, notification_id)
                written = writer.submit(notifications_create_many, rows)
            if written is not None:
                for notification_id, kind in written.result():
                    result.add(kind, notification_id)
        finally:
            writer.submit(lambda: connection.close()).result()  # the writer thread's own connection


# --- digests ------------------------------------------------------------------------------------


def _soon_q(today: dt.date, plans: dict[int, _PlanFacts], prefix: str = "") -> Q:
    """Not late and due within DIGEST_DUE_WITHIN_DAYS, or already in a before-due reminder stage
    (so a reminder moved forward by a holiday is in the digest that day too). The stage depends
    only on the due date and the plan's rules, so the later due dates that are in a stage today
    are listed per set of rules (a handful of dates). ``prefix`` reaches the task from another
    model (``task__``)."""
    horizon = today + dt.timedelta(days=DIGEST_DUE_WITHIN_DAYS)
    soon = Q(**{f"{prefix}due_date__gte": today, f"{prefix}due_date__lte": horizon})
    by_rules: dict[Rules, list[int]] = {}
    for plan_id, facts in plans.items():
        by_rules.setdefault(facts.rules, []).append(plan_id)
    for rules, plan_ids in by_rules.items():
        reach = max(rules.days_before, default=0) + 31  # the longest run of days off is 9
        later = [
            horizon + dt.timedelta(days=n)
            for n in range(1, reach + 1)
            if task_stage_on(horizon + dt.timedelta(days=n), today, rules) is not None
        ]
        if later:
            soon |= Q(**{f"{prefix}plan_id__in": plan_ids, f"{prefix}due_date__in": later})
    return soon


def _report_plans(today: dt.date, plans: dict[int, _PlanFacts]) -> list[int]:
    """The plans whose reminder day of the current reporting period has come."""
    return [
        plan_id
        for plan_id, facts in plans.items()
        if facts.window is not None and today >= facts.window.send_on
    ]


def _unreported_q(today: dt.date, plans: dict[int, _PlanFacts]) -> Q:
    """A task with a reporting department whose report is missing (``tasks.reporting.reports``),
    once the plan's reminder day has come."""
    owing = Assignment.objects.filter(task=OuterRef("pk"), role__in=REPORTING_ROLES).filter(
        report_missing_q(today, task="task_id", department="department_id", prefix="task__")
    )
    return Q(plan_id__in=_report_plans(today, plans)) & Q(Exists(owing))


def _department_unreported_q(today: dt.date, plans: dict[int, _PlanFacts]) -> Q:
    """On a reporting assignment row: its department's report is missing
    (``tasks.reporting.reports``), once the plan's reminder day has come."""
    return Q(task__plan_id__in=_report_plans(today, plans)) & report_missing_q(
        today, task="task_id", department="department_id", prefix="task__"
    )


def _not_yet_written(users: list[tuple[User, str]]) -> list[tuple[User, str]]:
    """The (user, dedup key) pairs whose digest has not been written yet (one query)."""
    done = set(
        Notification.objects.filter(dedup_key__in=[key for _u, key in users]).values_list(
            "dedup_key", flat=True
        )
    )
    return [(user, key) for user, key in users if key not in done]


#: The digest's three lists: their keys and titles (in the active language).
_LISTS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("overdue", lambda: _("已逾期")),
    ("soon", lambda: _("%(days)s天内到期") % {"days": DIGEST_DUE_WITHIN_DAYS}),
    ("unreported", lambda: _("本期未填报进展")),
)


def _line(kind: str, path: str, title: str, due: dt.date | None, today: dt.date) -> str:
    """One task of a digest list, in the active language."""
    name = f"{path} {title}"
    if kind == "overdue" and due is not None:
        return "  · " + _("%(task)s(逾期 %(days)s 天)") % {"task": name, "days": (today - due).days}
    if kind == "soon" and due is not None:
        return "  · " + _("%(task)s(%(due)s到期)") % {"task": name, "due": due.strftime(_("%m月%d日"))}
    return f"  · {name}"


def _lines(
    counts: dict[str, int], firsts: dict[str, list[tuple[int, str, str, dt.date | None]]], today: dt.date
) -> list[str]:
    """The digest's body in the active language: each non-empty list with its first 20 tasks (by
    id) and how many more."""
    lines: list[str] = []
    for kind, title in _LISTS:
        total = counts.get(kind, 0)
        if not total:
            continue
        lines.append(_("%(title)s(%(n)s 项):") % {"title": title(), "n": total})
        first = sorted(set(firsts.get(kind, [])))[:20]
        lines.extend(_line(kind, path, name, due, today) for _pk, path, name, due in first)
        if total > 20:
            lines.append("  " + _("…… 另有 %(n)s 项") % {"n": total - 20})
    return lines


Firsts = dict[Any, dict[str, list[tuple[int, str, str, dt.date | None]]]]


def _firsts_by(rows: QuerySet[Any], group: str, task: str, conditions: dict[str, Q], limit: int) -> Firsts:
    """Per group and list, the first ``limit`` tasks by id: one windowed query per list (the
    database ranks within each group; only the first rows come back)."""
    firsts: Firsts = {}
    for kind, condition in conditions.items():
        ranked = (
            rows.filter(condition)
            .annotate(rank=Window(RowNumber(), partition_by=[F(group)], order_by=[F(f"{task}id").asc()]))
            .filter(rank__lte=limit)
            .values_list(group, f"{task}id", f"{task}path", f"{task}title", f"{task}due_date")
        )
        for key, pk, path, title, due in ranked:
            firsts.setdefault(key, {}).setdefault(kind, []).append((pk, path, title, due))
    return firsts


def _weekly_digests(
    today: dt.date, plans: dict[int, _PlanFacts], open_tasks: QuerySet[Task]
) -> list[NewNotification]:
    """Weekly, bureau users: their region's figures, aggregated per region in SQL (a fixed number
    of queries for every bureau user together) and summed over the regions below theirs."""
    week = today.isocalendar()
    users = [
        (user, f"digest:weekly:{week.year}-W{week.week:02d}:u{user.pk}")
        for user in User.objects.filter(role=Role.BUREAU, is_active=True, region__isnull=False)
        .select_related("region")
        .order_by("pk")
    ]
    users = _not_yet_written(users)
    if not users:
        return []
    conditions = {
        "overdue": Q(due_date__lt=today),
        "soon": _soon_q(today, plans),
        "unreported": _unreported_q(today, plans),
    }
    group = "plan__region__path"
    counts: dict[str, Counter[str]] = {}
    for row in open_tasks.values(group).annotate(
        total=Count("pk"), **{kind: Count("pk", filter=condition) for kind, condition in conditions.items()}
    ):
        counts[row[group]] = Counter({k: v for k, v in row.items() if k != group})
    firsts = _firsts_by(open_tasks, group, "", conditions, 20)
    pending_reports = dict(
        ProgressReport.objects.filter(review_status=ReviewStatus.PENDING)
        .values_list("task__plan__region__path")
        .annotate(n=Count("pk"))
        .values_list("task__plan__region__path", "n")
    )
    pending_requests = dict(
        TaskRequest.objects.filter(state=RequestState.AWAITING_REVIEW)
        .values_list("task__plan__region__path")
        .annotate(n=Count("pk"))
        .values_list("task__plan__region__path", "n")
    )
    rows: list[NewNotification] = []
    for user, key in users:
        assert user.region is not None
        path = user.region.path
        below = [p for p in counts if p.startswith(path)]
        total: Counter[str] = sum((counts[p] for p in below), Counter())
        mine: dict[str, list[tuple[int, str, str, dt.date | None]]] = {}
        for p in below:
            for kind, items in firsts.get(p, {}).items():
                mine.setdefault(kind, []).extend(items)
        reports = sum(n for p, n in pending_reports.items() if p.startswith(path))
        requests = sum(n for p, n in pending_requests.items() if p.startswith(path))
        with translation.override(recipient_language(user)):
            lines = _lines(total, mine, today)
            head = _(
                "%(region)s知识产权工作方案本周摘要(%(year)s年第%(week)s周):"
                "在办任务 %(open)s 项,逾期 %(overdue)s 项,"
                "%(within)s天内到期 %(soon)s 项,未填报 %(unreported)s 项;"
                "待审核进展 %(reports)s 份,待审核申请 %(requests)s 件。"
            ) % {
                "region": user.region.name,
                "year": week.year,
                "week": week.week,
                "open": total["total"],
                "overdue": total["overdue"],
                "within": DIGEST_DUE_WITHIN_DAYS,
                "soon": total["soon"],
                "unreported": total["unreported"],
                "reports": reports,
                "requests": requests,
            }
        rows.append(
            NewNotification(user.pk, str(NotificationKind.DIGEST), None, "\n".join([head, *lines]), key)
        )
    return rows


def _daily_digests(today: dt.date, plans: dict[int, _PlanFacts]) -> list[NewNotification]:
    """Daily, department users who chose it instead of single mails, only when there is news:
    their department's figures, aggregated per department over its reporting assignments."""
    users = [
        (user, f"digest:daily:{today.isoformat()}:u{user.pk}")
        for user in User.objects.filter(
            role__in=[Role.DEPT_STAFF, Role.DEPT_HEAD],
            daily_digest=True,
            is_active=True,
            department__isnull=False,
        )
        .select_related("department")
        .order_by("pk")
    ]
    users = _not_yet_written(users)
    if not users:
        return []
    assignments = Assignment.objects.filter(
        Q(task__plan__status=PlanStatus.ACTIVE) & ~Q(task__status__in=CLOSED_STATUSES),
        role__in=REPORTING_ROLES,
        department_id__in={user.department_id for user, _key in users},
    )
    conditions = {
        "overdue": Q(task__due_date__lt=today),
        "soon": _soon_q(today, plans, prefix="task__"),
        "unreported": _department_unreported_q(today, plans),
    }
    counts = {
        row["department_id"]: row
        for row in assignments.values("department_id").annotate(
            **{
                kind: Count("task_id", distinct=True, filter=condition)
                for kind, condition in conditions.items()
            }
        )
    }
    # a department may hold two roles on one task: twice the rows, deduplicated in _lines
    firsts = _firsts_by(assignments, "department_id", "task__", conditions, 40)
    rows: list[NewNotification] = []
    for user, key in users:
        assert user.department is not None
        with translation.override(recipient_language(user)):
            lines = _lines(counts.get(user.department_id, {}), firsts.get(user.department_id, {}), today)
            head = _("%(department)s今日待办摘要(%(day)s):") % {
                "department": user.department.name,
                "day": _day(today),
            }
        if not lines:
            continue
        rows.append(
            NewNotification(user.pk, str(NotificationKind.DIGEST), None, "\n".join([head, *lines]), key)
        )
    return rows


def _digests(today: dt.date, result: SweepResult) -> None:
    """The weekly bureau digest (on the first working day of the week, Monday unless it is a
    holiday) and the daily department digests: figures aggregated in SQL, a fixed number of
    queries whatever the number of tasks and of recipients."""
    plans = _active_plans(today)
    rows: list[NewNotification] = []
    first = first_working_day_of_week(today)
    if first is not None and first <= today:
        rows.extend(_weekly_digests(today, plans, Task.objects.filter(_open_task_filter())))
    rows.extend(_daily_digests(today, plans))
    for notification_id, kind in notifications_create_many(rows):
        result.add(kind, notification_id)


class _DryRun(Exception):
    """Raised to roll a dry-run sweep back."""


def reminders_sweep(
    *, today: dt.date, digests: bool = True, dry_run: bool = False, chunk_size: int = SWEEP_CHUNK
) -> SweepResult:
    """Create every reminder due on ``today`` that does not exist yet; returns what was created.

    Set-based: open tasks are read a page at a time (ids, dates, titles; never a plan's text),
    the rules are evaluated once per due date, and each page's notifications are written by one
    ``INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING``, so the unique key alone decides
    what is new: a re-run, a concurrent sweep or a redelivered job creates nothing twice. Each
    page is its own statement: a long sweep holds no long lock and a crash loses nothing (the
    next tick redoes what is missing). ``digests`` is False before the digest hour.
    """
    result = SweepResult()
    if not is_working_day(today):
        return result
    try:
        with transaction.atomic() if dry_run else contextlib.nullcontext():
            _task_reminders(today, result, chunk_size)
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
    "SweepResult",
    "reminders_sweep",
]
