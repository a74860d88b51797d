"""Plan maintenance: the bureau keeps a plan right while it runs.

Edit a task's title and text, change its departments per role, add a task to a section, split a
task in two, merge two, move a task to another section, cancel a task with a reason and restore
it; edit a section's title and the plan's metadata.

Each service is one transaction that

* checks the permission policy (``Action.MAINTAIN_PLAN``, bureau and administrators in the plan's
  region) inside the transaction,
* re-reads the task under its row lock and refuses a stale version (``lock_and_check``),
* checks status changes against the status table (``tasks.status``),
* saves through ``save_as`` (the actor and a reason in the audit trail) and bumps the version, so
  the REST API's ETag changes,
* notifies the users of the departments that gained, lost or keep the task (``task_changed``),
* records the webhook event (``task.updated``, ``task.reassigned``, ``task.cancelled``; status
  changes also send ``task.status_changed``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import Department, User
from ipplan.audit import save_as
from ipplan.permissions import Action, require
from ipplan.versioning import lock_and_check, save_versioned, version_of
from notifications.choices import NotificationKind
from notifications.services.notifications import notifications_create_for

from .. import events
from .. import status as status_table
from ..choices import AssignmentRole, RequestState, TaskStatus
from ..models import Plan, Section, Task, TaskPathAlias, TaskRequest
from ..status import Door
from .plans import assignments_apply
from .progress import check_task_open, lock_task

TITLE_MAX = 500


class Keep:
    """The type of ``KEEP``: an argument left out (None would mean "clear it")."""


KEEP = Keep()


# --- helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Departments:
    """The departments of a task by role, in order (lead first)."""

    lead: Sequence[Department] = ()
    responsible: Sequence[Department] = ()
    cooperating: Sequence[Department] = ()

    def by_role(self) -> list[tuple[AssignmentRole, Sequence[Department]]]:
        return [
            (AssignmentRole.LEAD, self.lead),
            (AssignmentRole.RESPONSIBLE, self.responsible),
            (AssignmentRole.COOPERATING, self.cooperating),
        ]

    @classmethod
    def of(cls, task: Task) -> Departments:
        rows = list(task.assignments.select_related("department").order_by("role", "order", "id"))
        pick = {role: [a.department for a in rows if a.role == role] for role in AssignmentRole.values}
        return cls(pick["lead"], pick["responsible"], pick["cooperating"])


def _assignment_rows(task: Task) -> list[dict[str, Any]]:
    return [
        {"department_id": a.department_id, "department_name": a.department.name, "role": a.role}
        for a in task.assignments.select_related("department").order_by("role", "order", "id")
    ]


def _department_ids(task: Task) -> set[int]:
    return set(task.assignments.values_list("department_id", flat=True))


def _members(department_ids: Iterable[int]) -> list[User]:
    return list(User.objects.filter(department_id__in=list(department_ids), is_active=True).order_by("pk"))


def _notify(
    task: Task,
    *,
    actor: User,
    key: str,
    text: Promise,
    departments: Iterable[int] | None = None,
    **params: Any,
) -> None:
    """One ``task_changed`` notification per active member of the departments (the task's own
    unless given), never the actor: ``text`` with the task's path, title and ``params``, in the
    recipient's language."""

    def message() -> str:
        return str(text) % {**_params(task), **params}

    notifications_create_for(
        _members(_department_ids(task) if departments is None else departments),
        actor=actor,
        kind=NotificationKind.TASK_CHANGED,
        message=message,
        key=f"maint:{key}:t{task.pk}:v{task.version}",
        task=task,
    )


def _params(task: Task) -> dict[str, Any]:
    return {"path": task.path, "title": task.title}


def _emit_updated(task: Task, *, changes: dict[str, tuple[Any, Any]], reason: str, actor: User) -> None:
    events.publish(events.TaskUpdated(task, changes, reason, actor))


def _clean_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("请填写任务名称。")}, code="required")
    if len(title) > TITLE_MAX:
        raise ValidationError(
            {"title": _("任务名称不能超过 %(n)s 个字。") % {"n": TITLE_MAX}}, code="max_length"
        )
    return title


def _check_departments(plan: Plan, departments: Departments) -> dict[tuple[int, str], int]:
    """(department id, role) -> order; refuses a department twice, a foreign one, or no lead."""
    allowed = set(plan.region.ancestors_and_self().values_list("pk", flat=True))
    wanted: dict[tuple[int, str], int] = {}
    seen: dict[int, str] = {}
    foreign: list[str] = []
    for role, members in departments.by_role():
        for order, department in enumerate(members):
            if department.region_id not in allowed:
                foreign.append(department.name)
            if department.pk in seen:
                raise ValidationError(
                    {
                        "departments": _("%(name)s 只能承担一种角色(已列为%(role)s)。")
                        % {"name": department.name, "role": AssignmentRole(seen[department.pk]).label}
                    },
                    code="duplicate",
                )
            seen[department.pk] = role.value
            wanted[(department.pk, role.value)] = order
    if foreign:
        raise ValidationError(
            {
                "departments": _("以下单位不属于方案所在区划或其上级:%(names)s")
                % {"names": "、".join(foreign)}
            },
            code="foreign",
        )
    if not departments.lead:
        raise ValidationError({"lead": _("请至少指定一个牵头单位。")}, code="required")
    return wanted


def _apply_departments(task: Task, departments: Departments, *, actor: User, reason: str) -> bool:
    """Make the task's assignments exactly ``departments``; True when anything changed.

    Unchanged assignments are kept with their history; removals and additions are recorded with
    ``reason`` (the task page's audit trail shows them)."""
    wanted = _check_departments(task.plan, departments)
    return assignments_apply(task, wanted, actor=actor, reason=reason)[1]


def _free_path(plan: Plan, section: Section | None, prefix: str | None = None) -> tuple[int, str]:
    """The next task number of the section (or of the plan's tasks outside any section) and its
    path, skipping paths the plan already uses. Cancelled tasks keep their numbers."""
    siblings = Task.objects.filter(plan=plan, section=section)
    number = int(siblings.aggregate(n=Max("number"))["n"] or 0) + 1
    prefix = section.path if section is not None else (prefix or "")
    taken = set(Task.objects.filter(plan=plan).values_list("path", flat=True))

    def path_of(n: int) -> str:
        return f"{prefix}.{n}" if prefix else str(n)

    while path_of(number) in taken:
        number += 1
    return number, path_of(number)


def _order_after_section(section: Section) -> int:
    """An order that puts a task after the section's last task (or just after its section's)."""
    last = Task.objects.filter(section=section).aggregate(n=Max("order"))["n"]
    if last is not None:
        return int(last)
    earlier = Task.objects.filter(plan_id=section.plan_id, section__order__lte=section.order)
    return int(earlier.aggregate(n=Max("order"))["n"] or 0)


def _lock_section(section: Section, expected_version: int | None) -> Section:
    return lock_and_check(Section, section.pk, expected_version, select_related=("plan__region",))


def _section_of(plan: Plan, section: Section) -> Section:
    if section.plan_id != plan.pk:
        raise ValidationError({"section": _("章节不属于该方案。")}, code="wrong_plan")
    return section


def _rewrite(task: Task, *, title: str | None, full_text: str | None) -> dict[str, tuple[Any, Any]]:
    """Give the task a new title (checked) and text, None keeping them; what changed (old, new)."""
    changes: dict[str, tuple[Any, Any]] = {}
    if title is not None and (new_title := _clean_title(title)) != task.title:
        changes["title"] = (task.title, new_title)
        task.title = new_title
    if full_text is not None and full_text.strip() != task.full_text:
        changes["full_text"] = (task.full_text, full_text.strip())
        task.full_text = full_text.strip()
    return changes


# --- edit ----------------------------------------------------------------------------------------


@transaction.atomic
def task_edit(
    *,
    actor: User,
    task: Task,
    expected_version: int | None,
    title: str | None = None,
    full_text: str | None = None,
    reason: str = "",
) -> Task:
    """Change a task's title and full text (``task.updated``)."""
    require(actor, Action.MAINTAIN_PLAN, task)
    task = lock_task(task, expected_version)
    changes = _rewrite(task, title=title, full_text=full_text)
    if not changes:
        return task
    save_versioned(task, actor=actor, reason=reason or "edit", update_fields=list(changes))
    _emit_updated(task, changes=changes, reason=reason, actor=actor)
    _notify(task, actor=actor, key="edit", text=gettext_lazy("任务 %(path)s %(title)s 的内容已调整。"))
    return task


# --- departments ---------------------------------------------------------------------------------


@transaction.atomic
def task_reassign(
    *,
    actor: User,
    task: Task,
    expected_version: int | None,
    departments: Departments,
    reason: str = "",
) -> Task:
    """Make the task's departments per role exactly ``departments`` (``task.reassigned``).

    Departments that gain the task are told which role they now have; departments that lose it are
    told it left their list; departments whose role changed are told the new role."""
    require(actor, Action.MAINTAIN_PLAN, task)
    task = lock_task(task, expected_version)
    old_rows = _assignment_rows(task)
    if not _apply_departments(task, departments, actor=actor, reason="reassign"):
        return task
    save_versioned(
        task, actor=actor, reason=f"reassign: {reason}" if reason else "reassign", update_fields=[]
    )
    new_rows = _assignment_rows(task)
    events.publish(events.TaskReassigned(task, old_rows, new_rows, actor))
    old_roles = {row["department_id"]: row["role"] for row in old_rows}
    new_roles = {row["department_id"]: row["role"] for row in new_rows}
    for department_id, role in new_roles.items():
        if old_roles.get(department_id) == role:
            continue

        _notify(
            task,
            actor=actor,
            key=f"reassign:d{department_id}",
            text=gettext_lazy("任务 %(path)s %(title)s 已交由贵单位承办(%(role)s)。")
            if department_id not in old_roles
            else gettext_lazy("贵单位在任务 %(path)s %(title)s 中的角色已改为%(role)s。"),
            departments=[department_id],
            role=AssignmentRole(role).label,
        )
    for department_id in old_roles.keys() - new_roles.keys():
        _notify(
            task,
            actor=actor,
            key=f"reassign:d{department_id}",
            text=gettext_lazy("任务 %(path)s %(title)s 已不再由贵单位承办。"),
            departments=[department_id],
        )
    return task


# --- add, split ------------------------------------------------------------------------------------


def _new_task(
    *,
    actor: User,
    plan: Plan,
    section: Section | None,
    prefix: str,
    title: str,
    full_text: str,
    due_date: dt.date | None,
    departments: Departments,
    order: int,
    split_from: Task | None = None,
) -> Task:
    number, path = _free_path(plan, section, prefix)
    task = save_as(
        Task(
            plan=plan,
            section=section,
            path=path,
            number=number,
            order=order,
            title=_clean_title(title),
            full_text=full_text.strip(),
            due_date=due_date,
            split_from=split_from,
        ),
        actor=actor,
        reason="split" if split_from else "add",
    )
    _apply_departments(task, departments, actor=actor, reason="assign")
    return task


@transaction.atomic
def task_add(
    *,
    actor: User,
    section: Section,
    title: str,
    departments: Departments,
    full_text: str = "",
    due_date: dt.date | None = None,
) -> Task:
    """Add a task at the end of ``section``: its path is the section's next number."""
    require(actor, Action.MAINTAIN_PLAN, section.plan)
    # the section row lock serialises two additions to one section (they would take one number)
    section = _lock_section(section, None)
    task = _new_task(
        actor=actor,
        plan=section.plan,
        section=section,
        prefix=section.path,
        title=title,
        full_text=full_text,
        due_date=due_date,
        departments=departments,
        order=_order_after_section(section),
    )
    _emit_updated(task, changes={"path": (None, task.path)}, reason="add", actor=actor)
    _notify(task, actor=actor, key="add", text=gettext_lazy("新增任务 %(path)s %(title)s,由贵单位承办。"))
    return task


@transaction.atomic
def task_split(
    *,
    actor: User,
    task: Task,
    expected_version: int | None,
    title: str,
    full_text: str = "",
    departments: Departments | None = None,
    remaining_title: str | None = None,
    remaining_text: str | None = None,
) -> Task:
    """Split part of a task off into a new task of the same section (the section's next number;
    a task outside any section: the next number under its path's prefix).

    The original keeps its status, progress, reports and history (its title and text may be
    narrowed to what remains); the new task starts fresh (未开始, 0 %), with the original's
    departments unless others are given, and points back at the original (``split_from``)."""
    require(actor, Action.MAINTAIN_PLAN, task)
    task = lock_task(task, expected_version)
    check_task_open(task, _("拆分"))
    section = _lock_section(task.section, None) if task.section is not None else None
    new = _new_task(
        actor=actor,
        plan=task.plan,
        section=section,
        prefix=task.path.rsplit(".", 1)[0] if "." in task.path else "",
        title=title,
        full_text=full_text,
        due_date=task.due_date,
        departments=departments or Departments.of(task),
        order=task.order,
        split_from=task,
    )
    narrowed = _rewrite(task, title=remaining_title, full_text=remaining_text)
    changes: dict[str, tuple[Any, Any]] = {"split_into_id": (None, new.pk), **narrowed}
    save_versioned(task, actor=actor, reason=f"split: {new.path}", update_fields=list(narrowed))
    _emit_updated(task, changes=changes, reason="split", actor=actor)
    _emit_updated(
        new, changes={"path": (None, new.path), "split_from_id": (None, task.pk)}, reason="split", actor=actor
    )
    _notify(
        new,
        actor=actor,
        key="split",
        text=gettext_lazy("任务 %(old)s 拆分出新任务 %(path)s %(title)s,由贵单位承办。"),
        old=task.path,
    )
    return new


# --- cancel, restore, merge --------------------------------------------------------------------------


def _cancel(
    task: Task, *, actor: User | None, reason: str, door: Door, merged_into: Task | None = None
) -> str:
    """Cancel a locked task: withdraw its open requests, remember its status; returns the old status."""
    old_status = task.status
    status_table.check(door, old_status, TaskStatus.CANCELLED)
    for request in TaskRequest.objects.select_for_update().filter(
        task=task, state__in=[RequestState.AWAITING_SIGNOFF, RequestState.AWAITING_REVIEW]
    ):
        request.state = RequestState.WITHDRAWN
        save_as(request, actor=actor, reason="task cancelled", update_fields=["state"], validate=False)
    task.status_before_cancel = old_status
    task.status = TaskStatus.CANCELLED
    task.cancel_reason = reason
    task.merged_into = merged_into
    save_versioned(
        task,
        actor=actor,
        reason=f"cancel: {reason}",
        update_fields=["status", "status_before_cancel", "cancel_reason", "merged_into"],
    )
    events.publish(events.TaskStatusChanged(task, old_status, actor))
    events.publish(events.TaskCancelled(task, old_status, reason, actor))
    return old_status


def task_cancel_removed(*, actor: User | None, task: Task, reason: str) -> None:
    """The importer's door: a revised document no longer holds ``task`` (locked by the caller)."""
    _cancel(task, actor=actor, reason=reason, door=Door.REIMPORT)


def _required_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写取消原因。")}, code="required")
    return reason


@transaction.atomic
def task_cancel(*, actor: User, task: Task, expected_version: int | None, reason: str) -> Task:
    """Cancel a task with a reason: it leaves the figures, stays visible as 已取消 and can be
    restored. Pending completion and extension requests are withdrawn (``task.cancelled``)."""
    require(actor, Action.MAINTAIN_PLAN, task)
    reason = _required_reason(reason)
    task = lock_task(task, expected_version)
    _cancel(task, actor=actor, reason=reason, door=Door.CANCEL)
    _notify(
        task,
        actor=actor,
        key="cancel",
        text=gettext_lazy("任务 %(path)s %(title)s 已取消,原因:%(reason)s"),
        reason=reason,
    )
    return task


@transaction.atomic
def task_restore(*, actor: User, task: Task, expected_version: int | None, reason: str = "") -> Task:
    """Bring a cancelled task back to the status it had (进行中 if it was waiting for approval:
    the cancellation withdrew that request). A merged task is unlinked from the task it joined."""
    require(actor, Action.MAINTAIN_PLAN, task)
    task = lock_task(task, expected_version)
    previous = task.status_before_cancel
    new_status = previous if previous in status_table.SELF_SERVICE else status_table.RESTORE_FALLBACK
    status_table.check(Door.RESTORE, task.status, new_status)
    old_status = task.status
    task.status, task.status_before_cancel, task.cancel_reason = new_status, "", ""
    task.merged_into = None
    save_versioned(
        task,
        actor=actor,
        reason=f"restore: {reason.strip()}" if reason.strip() else "restore",
        update_fields=["status", "status_before_cancel", "cancel_reason", "merged_into"],
    )
    events.publish(events.TaskStatusChanged(task, old_status, actor))
    _notify(
        task,
        actor=actor,
        key="restore",
        text=gettext_lazy("任务 %(path)s %(title)s 已恢复,当前状态:%(status)s。"),
        status=TaskStatus(new_status).label,
    )
    return task


@transaction.atomic
def task_merge(
    *,
    actor: User,
    task: Task,
    expected_version: int | None,
    other: Task,
    other_version: int | None,
    reason: str = "",
) -> Task:
    """Merge ``other`` into ``task``: ``other`` is cancelled with a pointer to ``task`` (its reports
    stay with it, readable from both pages); ``task`` carries on. Both must be in one plan."""
    require(actor, Action.MAINTAIN_PLAN, task)
    require(actor, Action.MAINTAIN_PLAN, other)
    if other.pk == task.pk:
        raise ValidationError({"other": _("不能把任务与其自身合并。")}, code="same_task")
    # lock in id order, so two merges of the same pair the other way round cannot deadlock
    first, second = sorted([(task, expected_version), (other, other_version)], key=lambda p: p[0].pk)
    locked = {t.pk: lock_task(t, v) for t, v in (first, second)}
    task, other = locked[task.pk], locked[other.pk]
    if other.plan_id != task.plan_id:
        raise ValidationError({"other": _("只能合并同一方案中的任务。")}, code="other_plan")
    check_task_open(task, _("合并"))
    reason = reason.strip() or _("并入任务 %(path)s") % {"path": task.path}
    lost = _department_ids(other) - _department_ids(task)
    _cancel(other, actor=actor, reason=reason, door=Door.CANCEL, merged_into=task)
    save_versioned(task, actor=actor, reason=f"merge: {other.path}", update_fields=[])
    _emit_updated(task, changes={"merged_from_id": (None, other.pk)}, reason=reason, actor=actor)
    _notify(
        task,
        actor=actor,
        key="merge",
        text=gettext_lazy("任务 %(other)s 已并入任务 %(path)s %(title)s。"),
        other=other.path,
    )
    _notify(
        other,
        actor=actor,
        key="merged",
        text=gettext_lazy("任务 %(path)s %(title)s 已并入任务 %(into)s,不再由贵单位承办。"),
        departments=lost,
        into=task.path,
    )
    return task


# --- move ----------------------------------------------------------------------------------------------


@transaction.atomic
def task_move(*, actor: User, task: Task, expected_version: int | None, section: Section) -> Task:
    """Move a task to the end of another section of its plan: it takes that section's next number.

    The old path stays findable (``TaskPathAlias``: the task list's search and the API's ``path``
    filter find the task by it). Other tasks keep their numbers: the document's numbering is not
    rewritten behind the departments' backs."""
    require(actor, Action.MAINTAIN_PLAN, task)
    task = lock_task(task, expected_version)
    target = _lock_section(_section_of(task.plan, section), None)
    if task.section_id == target.pk:
        raise ValidationError({"section": _("任务已在该章节中。")}, code="same_section")
    old_path, old_section = task.path, task.section_id
    number, path = _free_path(task.plan, target)
    TaskPathAlias.objects.get_or_create(task=task, path=old_path)
    task.path, task.number, task.section = path, number, target
    task.order = _order_after_section(target)
    save_versioned(
        task, actor=actor, reason=f"move: {old_path}", update_fields=["path", "number", "section", "order"]
    )
    _emit_updated(
        task,
        changes={"path": (old_path, path), "section_id": (old_section, target.pk)},
        reason="move",
        actor=actor,
    )
    _notify(
        task,
        actor=actor,
        key="move",
        text=gettext_lazy("任务 %(old)s %(title)s 已调整到“%(section)s”,新编号 %(path)s。"),
        old=old_path,
        section=f"{target.label} {target.title}",
    )
    return task


# --- sections and the plan ----------------------------------------------------------------------


@transaction.atomic
def section_edit(
    *, actor: User, section: Section, expected_version: int | None, title: str | None = None
) -> Section:
    """Change a section's title (None keeps it)."""
    require(actor, Action.MAINTAIN_PLAN, section)
    section = _lock_section(section, expected_version)
    if title is None:
        return section
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("请填写章节标题。")}, code="required")
    if title == section.title:
        return section
    section.title = title
    return save_versioned(section, actor=actor, reason="edit", update_fields=["title"])


@transaction.atomic
def plan_edit(
    *,
    actor: User,
    plan: Plan,
    expected_version: int | None,
    title: str | None = None,
    doc_number: str | None = None,
    issuer: str | None = None,
    issued_on: dt.date | Keep | None = KEEP,
    period: tuple[int | None, int | None] | None = None,
) -> Plan:
    """Change the plan's metadata: title, 文号, issuer, issue date, period (years).

    Arguments left out keep their value; ``issued_on=None`` clears the date."""
    require(actor, Action.MAINTAIN_PLAN, plan)
    plan = lock_and_check(
        Plan,
        plan.pk,
        expected_version,
        select_related=("region",),
        current=lambda p: {
            "title": p.title,
            "doc_number": p.doc_number,
            "issuer": p.issuer,
            "issued_on": p.issued_on.isoformat() if p.issued_on else None,
            "period_start": p.period_start,
            "period_end": p.period_end,
            "version": version_of(p),
        },
    )
    changed: list[str] = []
    values: dict[str, Any] = {}
    if title is not None:
        if not title.strip():
            raise ValidationError({"title": _("请填写方案标题。")}, code="required")
        values["title"] = title.strip()
    if doc_number is not None:
        values["doc_number"] = doc_number.strip()
    if issuer is not None:
        values["issuer"] = issuer.strip()
    if not isinstance(issued_on, Keep):
        values["issued_on"] = issued_on
    if period is not None:
        start, end = period
        if start is not None and end is not None and end < start:
            raise ValidationError({"period_end": _("截止年度不能早于起始年度。")}, code="period_order")
        values["period_start"], values["period_end"] = start, end
    for name, value in values.items():
        if getattr(plan, name) != value:
            setattr(plan, name, value)
            changed.append(name)
    if not changed:
        return plan
    return save_versioned(plan, actor=actor, reason="edit", update_fields=changed)
