"""A revised version of a committed plan, applied as a diff: tasks added, changed and removed.

Unchanged tasks are not touched, so their status, reports and history stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from departments.models import Department, User
from departments.resolution import Method, Resolution
from ipplan.audit import save_as
from ipplan.permissions import Action, require
from ipplan.versioning import save_versioned
from planparser.dates import deadline_to_date
from planparser.model import ParsedPlan, ParsedTask, walk_sections

from ...choices import TaskStatus
from ...models import Plan
from ...status import Door, door_allows
from ..maintenance import task_cancel_removed
from ..plans import assignment_set, plan_document_set, section_create, task_create
from .rows import ROLES, by_role, stored_text, task_fields


@dataclass
class TaskChange:
    path: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)
    departments: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # role -> (old, new)


@dataclass
class PlanDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[TaskChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _resolved_names(parsed_task: ParsedTask, resolutions: dict[str, Resolution], role: str) -> list[str]:
    out: list[str] = []
    for name in getattr(parsed_task, role):
        resolution = resolutions.get(name.strip())
        out.append(resolution.department.name if resolution and resolution.department else name.strip())
    return list(dict.fromkeys(out))


def plan_diff(*, plan: Plan, parsed: ParsedPlan, resolutions: dict[str, Resolution]) -> PlanDiff:
    """Tasks added, removed and changed (text, deadline, departments) by a revised document."""
    current = {
        t.path: t
        for t in plan.tasks.exclude(status=TaskStatus.CANCELLED).prefetch_related("assignments__department")
    }
    incoming = {t.path: t for t in parsed.tasks}
    diff = PlanDiff(
        added=[p for p in incoming if p not in current], removed=[p for p in current if p not in incoming]
    )
    for path, parsed_task in incoming.items():
        task = current.get(path)
        if task is None:
            continue
        change = TaskChange(path=path)
        for name, new in stored_text(parsed_task).items():
            old = getattr(task, name)
            if old != new:
                change.fields[name] = (old, new)
        for role in ROLES:
            old_names = [a.department.name for a in task.assignments.all() if a.role == role.value]
            new_names = _resolved_names(parsed_task, resolutions, role.value)
            if sorted(old_names) != sorted(new_names):
                change.departments[role.value] = (old_names, new_names)
        if change.fields or change.departments:
            diff.changed.append(change)
        else:
            diff.unchanged += 1
    return diff


@transaction.atomic
def plan_reimport_apply(
    *,
    actor: User | None,
    plan: Plan,
    parsed: ParsedPlan,
    departments: dict[str, Department],
    source_name: str = "",
    source_text: str = "",
) -> PlanDiff:
    """Apply a revised document to ``plan``: add new tasks, update changed ones, cancel removed
    ones. Unchanged tasks are not touched at all, so their status, reports and history stay."""
    if actor is not None:
        require(actor, Action.EDIT_PLAN, plan)
    resolutions = {
        name: Resolution(name=name, department=d, method=Method.EXACT) for name, d in departments.items()
    }
    diff = plan_diff(plan=plan, parsed=parsed, resolutions=resolutions)
    sections = {s.path: s for s in plan.sections.all()}
    next_order = max(plan.sections.values_list("order", flat=True), default=0) + 1
    for parent_path, path, parsed_section in walk_sections(parsed.sections):
        existing = sections.get(path)
        if existing is None:
            sections[path] = section_create(
                plan=plan,
                label=parsed_section.label,
                title=parsed_section.title,
                parent=sections.get(parent_path),
                order=next_order,
            )
            next_order += 1
        elif existing.title != parsed_section.title.strip():
            existing.title = parsed_section.title.strip()
            existing.save(update_fields=["title"])
    incoming = {t.path: t for t in parsed.tasks}
    orders = {t.path: i for i, t in enumerate(parsed.tasks, start=1)}
    for path in diff.added:
        task_create(
            actor=actor,
            plan=plan,
            **task_fields(incoming[path], sections=sections, order=orders[path]),
            **by_role(incoming[path], departments),
        )
    tasks = {
        t.path: t
        for t in plan.tasks.select_for_update().filter(path__in=[c.path for c in diff.changed] + diff.removed)
    }
    for change in diff.changed:
        task = tasks[change.path]
        parsed_task = incoming[change.path]
        if change.fields:
            for name, (_old, new) in change.fields.items():
                setattr(task, name, new)
            if "deadline_text" in change.fields:
                task.due_date = deadline_to_date(parsed_task.deadline) or task.due_date
            task.version += 1
            save_as(
                task, actor=actor, reason="reimport", update_fields=[*change.fields, "due_date", "version"]
            )
        if change.departments:
            assignment_set(
                actor=actor, task=task, **by_role(parsed_task, departments), check_permission=False
            )
    for path in diff.removed:
        task = tasks[path]
        # the status table's re-import door: open tasks are cancelled, a completed one stays completed
        if door_allows(Door.REIMPORT, task.status, TaskStatus.CANCELLED):
            task_cancel_removed(actor=actor, task=task, reason="reimport: removed from the revised document")
    if source_text:
        plan_document_set(plan=plan, text=source_text)
        plan.source_name = source_name or plan.source_name
        # the plan's version is its ETag: a new source (source_name is in the API) moves it on
        save_versioned(plan, actor=actor, reason="reimport", update_fields=["source_name"])
    return diff
