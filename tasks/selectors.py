"""Every user-facing read of the work-plan domain, starting from the permission policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)

from departments.models import User
from ipplan.permissions import Action, get_for

from .choices import AssignmentRole, Light, RequestState
from .lights import LIGHT_BY_RANK, LIGHT_RANK  # noqa: F401 (imported from here)
from .models import Assignment, ProgressReport, Task, TaskRequest, local_today
from .reporting.periods import current_periods, period_for  # noqa: F401 (imported from here)
from .reporting.reports import REPORTING_ROLES, report_missing_q

ROLE_RANK = {AssignmentRole.LEAD: 0, AssignmentRole.RESPONSIBLE: 1, AssignmentRole.COOPERATING: 2}


def task_assignments_prefetch() -> Prefetch[Any]:
    """A task's assignments with their departments, in role order (one query for a whole page)."""
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.select_related("department").order_by("role", "order", "id"),
    )


_assignments_prefetch = task_assignments_prefetch


def with_urgency(queryset: QuerySet[Task], today: dt.date) -> QuerySet[Task]:
    """Annotate the sortable ``light_rank`` (red first; ``Task.light_value`` reads it): one CASE
    per row, reused by the light filter, the ordering and ``light_counts``."""
    return queryset.with_light(today)  # type: ignore[attr-defined, no-any-return]


def department_inbox(user: User, *, today: dt.date | None = None) -> QuerySet[Task]:
    """Every task the user's department is assigned to, across all plans, most urgent first.

    Annotations: ``my_role`` (the department's strongest role), ``light_rank`` (``light_value``)
    and ``report_due`` (the department's progress report is missing: see
    ``tasks.reporting.reports.is_report_missing``).
    """
    return of_department(Task.objects.restrict(user, Action.VIEW_TASK), user, today=today)


def of_department(tasks: QuerySet[Task], user: User, *, today: dt.date | None = None) -> QuerySet[Task]:
    """``tasks`` (the user's restricted tasks) narrowed to the user's department's, annotated as
    ``department_inbox`` says (the inbox page starts from its base's restricted queryset)."""
    today = today or local_today()
    # a user without a department gets the same (empty) annotated queryset, not a bare none()
    department_id = user.department_id or 0  # 0 matches nothing
    mine = Assignment.objects.filter(task=OuterRef("pk"), department_id=department_id)
    reporting = mine.filter(role__in=REPORTING_ROLES)
    role_rank = Case(
        *[When(role=role.value, then=Value(rank)) for role, rank in ROLE_RANK.items()],
        output_field=IntegerField(),
    )
    strongest = mine.annotate(rank=role_rank).order_by("rank").values("role")[:1]
    tasks = with_urgency(tasks.filter(Exists(mine)), today).annotate(
        my_role=Subquery(strongest),
        report_due=Case(
            When(
                Exists(reporting) & report_missing_q(today, task="pk", department=department_id, prefix=""),
                then=Value(True),
            ),
            default=Value(False),
        ),
    )
    return tasks.select_related("plan", "section").prefetch_related(_assignments_prefetch())


def order_by_urgency(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.order_by("light_rank", "due_date", "plan_id", "order", "id")


def light_counts(tasks: QuerySet[Task]) -> dict[str, int]:
    """How many tasks show each light, in one aggregate query grouped by the annotated rank."""
    rows = tasks.order_by().values("light_rank").annotate(n=Count("id"))  # type: ignore[misc]
    counts = {light.value: 0 for light in Light}
    counts.update({LIGHT_BY_RANK[row["light_rank"]].value: row["n"] for row in rows})
    return counts


def visible_tasks(user: User, *, today: dt.date | None = None) -> QuerySet[Task]:
    """Tasks the user may see, with urgency annotations and departments prefetched."""
    return listed(Task.objects.restrict(user, Action.VIEW_TASK), today=today)


def listed(tasks: QuerySet[Task], *, today: dt.date | None = None) -> QuerySet[Task]:
    """``tasks`` (restricted) as a list shows them: urgency annotations, departments prefetched."""
    return (
        with_urgency(tasks, today or local_today())
        .select_related("plan", "section")
        .prefetch_related(_assignments_prefetch())
    )


def task_detail(user: User, pk: int) -> Task:
    """One task the user may see, or 404."""
    queryset = Task.objects.select_related("plan__region", "section__parent").prefetch_related(
        _assignments_prefetch()
    )
    return get_for(user, Action.VIEW_TASK, queryset, pk=pk)


def review_queue(user: User) -> dict[str, QuerySet[Any]]:
    """What waits for the bureau: completion and extension requests, reports to review; oldest first."""
    requests = TaskRequest.objects.restrict(user, Action.DECIDE_COMPLETION).filter(
        state=RequestState.AWAITING_REVIEW
    )
    related = ("task__plan", "department", "requested_by", "signed_off_by")
    return {
        "completions": requests.filter(kind="completion")
        .select_related(*related)
        .order_by("created_at", "id"),
        "extensions": TaskRequest.objects.restrict(user, Action.DECIDE_EXTENSION)
        .filter(state=RequestState.AWAITING_REVIEW, kind="extension")
        .select_related(*related)
        .order_by("created_at", "id"),
        "reports": ProgressReport.objects.restrict(user, Action.REVIEW_REPORT)
        .filter(review_status="pending")
        .select_related("task__plan", "department", "author")
        .prefetch_related("attachments")
        .order_by("created_at", "id"),
    }


#: Task fields whose changes the audit trail shows.
HISTORY_FIELDS = (
    "status",
    "progress",
    "due_date",
    "title",
    "full_text",
    "deadline_text",
    "start_date",
    "path",
    "cancel_reason",
)


def task_changes(task: Task) -> list[dict[str, Any]]:
    """Who changed which field of the task from what to what, newest first (raw field names and
    values; the task page labels them)."""
    records = list(task.history.select_related("history_user").order_by("-history_date", "-history_id"))
    reassignments = _reassignments(task)
    entries = []
    for record, previous in zip(records, [*records[1:], None][: len(records)], strict=True):
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, included_fields=list(HISTORY_FIELDS))
            changes = [{"field": c.field, "old": _plain(c.old), "new": _plain(c.new)} for c in delta.changes]
            if (record.history_change_reason or "").startswith("reassign"):
                changes += [
                    change
                    for at, change in reassignments
                    if previous.history_date < at <= record.history_date
                ]
        if changes or record.history_type != "~" or is_maintenance(record.history_change_reason or ""):
            entries.append(
                {
                    "id": record.history_id,
                    "at": record.history_date,
                    "actor": record.history_user,
                    "type": record.history_type,
                    "reason": record.history_change_reason or "",
                    "version": record.version,
                    "changes": changes,
                }
            )
    return entries


#: Reasons the plan maintenance services record ("split: 二.(一).3"): shown even when no shown field changed.
MAINTENANCE_REASONS = ("split", "merge", "move", "cancel", "restore", "reassign")


def is_maintenance(reason: str) -> bool:
    return reason.partition(":")[0].strip() in MAINTENANCE_REASONS


def _reassignments(task: Task) -> list[tuple[dt.datetime, dict[str, Any]]]:
    """The department changes of plan maintenance (``task_reassign``), as audit trail changes."""
    roles = dict(AssignmentRole.choices)
    rows = []
    for record in Assignment.history.filter(task_id=task.pk, history_change_reason="reassign").select_related(
        "department"
    ):
        if record.history_type not in ("+", "-"):
            continue
        text = f"{record.department.name}({roles.get(record.role, record.role)})"
        old, new = (None, text) if record.history_type == "+" else (text, None)
        rows.append((record.history_date, {"field": "departments", "old": old, "new": new}))
    return rows


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def signoff_queue(user: User) -> QuerySet[TaskRequest]:
    """Completion requests of the head's department waiting for the head's sign-off, oldest first."""
    return (
        TaskRequest.objects.restrict(user, Action.SIGN_OFF_COMPLETION)
        .filter(kind="completion", state=RequestState.AWAITING_SIGNOFF)
        .select_related("task__plan", "requested_by")
        .order_by("created_at", "id")
    )
