"""The work a department carries, as the department registry asks for it (``departments.work``):
its open tasks (retiring is refused while there are some), and moving it to the survivor when two
departments merge (机构改革)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from departments.models import Department
from departments.work import MovedWork, Work, register_work
from ipplan.audit import bulk_save_as, delete_as, save_as
from ipplan.people import Person

from ..choices import CLOSED_STATUSES
from ..figures_cache import figures_changed
from ..models import Assignment, ProgressReport, Task, TaskRequest

#: When both departments were on a task, the survivor keeps the stronger role.
_ROLE_STRENGTH = {"lead": 0, "responsible": 1, "cooperating": 2}


def department_open_tasks(department: Department) -> QuerySet[Task]:
    """The tasks not yet closed (办结 or cancelled) that ``department`` is assigned to, in any role."""
    return (
        Task.objects.filter(assignments__department=department)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("plan")
        .distinct()
        .order_by("plan_id", "order", "path", "id")
    )


def _bulk_save(rows: list[Any], fields: list[str], *, actor: Person | None, reason: str) -> None:
    if rows:
        bulk_save_as(rows, fields, actor=actor, reason=reason)
        figures_changed()  # bulk writes send no signals


def department_work_merge(
    actor: Person | None, absorbed: Department, survivor: Department, reason: str
) -> MovedWork:
    """Inside the merge's transaction: the absorbed department's assignments (the survivor keeps
    the stronger role where both were on a task), then its progress reports and requests, move to
    the survivor; each task whose departments changed gets a new version (and ETag)."""
    touched: set[int] = set()
    moved: list[Any] = []
    existing = {a.task_id: a for a in Assignment.objects.select_for_update().filter(department=survivor)}
    absorbed_assignments = list(
        Assignment.objects.select_for_update().filter(department=absorbed).order_by("pk")
    )
    for assignment in absorbed_assignments:
        touched.add(assignment.task_id)
        kept = existing.get(assignment.task_id)
        if kept is None:
            assignment.department = survivor
            moved.append(assignment)
            existing[assignment.task_id] = assignment
        else:
            if _ROLE_STRENGTH.get(assignment.role, 9) < _ROLE_STRENGTH.get(kept.role, 9):
                kept.role, kept.order = assignment.role, assignment.order
                save_as(kept, actor=actor, reason=reason, update_fields=["role", "order"])
            delete_as(assignment, actor=actor, reason=reason)
    _bulk_save(moved, ["department"], actor=actor, reason=reason)
    tasks = list(Task.objects.select_for_update(of=("self",)).filter(pk__in=touched).order_by("pk"))
    for task in tasks:
        # The task's assignments changed: a new version (and ETag) tells API clients so.
        task.version += 1
    _bulk_save(tasks, ["version"], actor=actor, reason=reason)
    moved_rows: dict[str, int] = {}
    evidence: tuple[type[Any], ...] = (ProgressReport, TaskRequest)
    for model in evidence:
        rows = list(model.objects.select_for_update().filter(department=absorbed).order_by("pk"))
        for row in rows:
            row.department = survivor
        _bulk_save(rows, ["department"], actor=actor, reason=reason)
        moved_rows[model.__name__] = len(rows)
    return MovedWork(
        assignments=len(absorbed_assignments),
        tasks=len(touched),
        reports=moved_rows["ProgressReport"],
        requests=moved_rows["TaskRequest"],
    )


def register() -> None:
    register_work(Work(open_tasks=department_open_tasks, merge=department_work_merge))
