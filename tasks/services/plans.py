"""Creating plans and their parts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department, Region, User
from ipplan.audit import save_as
from ipplan.permissions import Action, require

from ..choices import AssignmentRole, Comparator, IndicatorBasis, PlanStatus
from ..models import Assignment, Indicator, IndicatorReading, Phase, Plan, PlanDocument, Section, Task


@transaction.atomic
def plan_create(
    *,
    actor: User | None,
    region: Region,
    title: str,
    doc_number: str = "",
    issuer: str = "",
    issued_on: dt.date | None = None,
    period: tuple[int, int] | None = None,
    status: str = PlanStatus.ACTIVE,
    source_name: str = "",
    source_text: str = "",
) -> Plan:
    """Create an empty plan in ``region``; ``actor`` None means a system load."""
    if actor is not None:
        require(actor, Action.IMPORT_PLAN, region)
    start, end = period if period else (None, None)
    plan = Plan(
        region=region,
        title=title.strip(),
        doc_number=doc_number.strip(),
        issuer=issuer.strip(),
        issued_on=issued_on,
        period_start=start,
        period_end=end,
        status=status,
        source_name=source_name,
        created_by=actor,
    )
    plan = save_as(plan, actor=actor, reason="create")
    if source_text:
        plan_document_set(plan=plan, text=source_text)
    return plan


def plan_document_set(*, plan: Plan, text: str) -> None:
    """Keep ``text`` as the plan's document (the caller has checked the permission)."""
    PlanDocument.objects.update_or_create(plan=plan, defaults={"text": text})


@transaction.atomic
def section_create(
    *, plan: Plan, label: str, title: str, parent: Section | None = None, order: int = 0
) -> Section:
    if parent is not None and parent.plan_id != plan.pk:
        raise ValidationError({"parent": _("上级章节不属于该方案。")})
    path = f"{parent.path}.{label}" if parent else label
    section = Section(plan=plan, parent=parent, label=label, title=title.strip(), path=path, order=order)
    section.full_clean()
    section.save()
    return section


def _check_same_region(plan: Plan, departments: list[Department]) -> None:
    allowed = set(plan.region.ancestors_and_self().values_list("pk", flat=True))
    foreign = [d.name for d in departments if d.region_id not in allowed]
    if foreign:
        raise ValidationError(
            {"departments": _("以下单位不属于方案所在区划或其上级:%(names)s") % {"names": "、".join(foreign)}}
        )


@transaction.atomic
def task_create(
    *,
    actor: User | None,
    plan: Plan,
    path: str,
    title: str,
    section: Section | None = None,
    number: int = 0,
    order: int = 0,
    full_text: str = "",
    deadline_text: str = "",
    start_date: dt.date | None = None,
    due_date: dt.date | None = None,
    lead: list[Department] | tuple[Department, ...] = (),
    responsible: list[Department] | tuple[Department, ...] = (),
    cooperating: list[Department] | tuple[Department, ...] = (),
) -> Task:
    """Create a task with its departments by role."""
    if actor is not None:
        require(actor, Action.EDIT_PLAN, plan)
    if section is not None and section.plan_id != plan.pk:
        raise ValidationError({"section": _("章节不属于该方案。")})
    task = save_as(
        Task(
            plan=plan,
            section=section,
            path=path,
            number=number,
            order=order,
            title=title.strip()[:500],
            full_text=full_text,
            deadline_text=deadline_text[:200],
            start_date=start_date,
            due_date=due_date,
        ),
        actor=actor,
        reason="create",
    )
    assignment_set(
        actor=actor,
        task=task,
        lead=list(lead),
        responsible=list(responsible),
        cooperating=list(cooperating),
        check_permission=False,
    )
    return task


@transaction.atomic
def assignment_set(
    *,
    actor: User | None,
    task: Task,
    lead: list[Department],
    responsible: list[Department],
    cooperating: list[Department],
    check_permission: bool = True,
) -> list[Assignment]:
    """Make the task's assignments exactly these; unchanged ones are kept (and their history)."""
    if actor is not None and check_permission:
        require(actor, Action.EDIT_PLAN, task)
    _check_same_region(task.plan, [*lead, *responsible, *cooperating])
    wanted: dict[tuple[int, str], int] = {}
    role: AssignmentRole
    for role, departments in (
        (AssignmentRole.LEAD, lead),
        (AssignmentRole.RESPONSIBLE, responsible),
        (AssignmentRole.COOPERATING, cooperating),
    ):
        for order, department in enumerate(departments):
            key = (department.pk, role.value)
            if key in wanted:
                raise ValidationError(
                    {
                        "departments": _("%(name)s 重复列为%(role)s。")
                        % {"name": department.name, "role": role.label}
                    }
                )
            wanted[key] = order
    existing = list(task.assignments.all())
    kept, changed = assignments_apply(task, wanted, actor=actor, reason="assign", existing=existing)
    if changed and existing:
        # The departments are part of the task as the API shows it: a new version and a new
        # updated_at let ETags and sync clients see the change.
        task.version += 1
        save_as(task, actor=actor, reason="assign", update_fields=["version"])
    return kept


def assignments_apply(
    task: Task,
    wanted: dict[tuple[int, str], int],
    *,
    actor: User | None,
    reason: str,
    existing: list[Assignment] | None = None,
) -> tuple[list[Assignment], bool]:
    """Make the task's assignments exactly ``wanted`` ((department id, role) -> order): unchanged
    ones are kept with their history, the others removed or added with ``reason`` in the audit
    trail. Returns the assignments and whether any was added, removed or reordered."""
    wanted = dict(wanted)
    kept: list[Assignment] = []
    changed = False
    for assignment in existing if existing is not None else list(task.assignments.all()):
        key = (assignment.department_id, assignment.role)
        if key not in wanted:
            assignment._history_user = actor  # type: ignore[attr-defined]
            assignment._change_reason = reason  # type: ignore[attr-defined]
            assignment.delete()
            changed = True
            continue
        order = wanted.pop(key)
        if assignment.order != order:
            assignment.order = order
            save_as(assignment, actor=actor, reason=reason, update_fields=["order"], validate=False)
            changed = True
        kept.append(assignment)
    for (department_id, role_value), order in wanted.items():
        kept.append(
            save_as(
                Assignment(task=task, department_id=department_id, role=role_value, order=order),
                actor=actor,
                reason=reason,
            )
        )
        changed = True
    return kept, changed


@transaction.atomic
def indicator_create(
    *,
    actor: User | None,
    plan: Plan,
    name: str,
    target_value: Decimal | float | int,
    unit: str = "",
    comparator: str = Comparator.AT_LEAST,
    basis: str = IndicatorBasis.LEVEL,
    target_year: int | None = None,
    baseline: Decimal | float | int | None = None,
    baseline_year: int | None = None,
    section: Section | None = None,
    task: Task | None = None,
    order: int = 0,
) -> Indicator:
    if actor is not None:
        require(actor, Action.EDIT_PLAN, plan)
    indicator = Indicator(
        plan=plan,
        section=section,
        task=task,
        name=name.strip()[:500],
        unit=unit,
        comparator=comparator,
        basis=basis,
        target_value=Decimal(str(target_value)),
        target_year=target_year,
        baseline=None if baseline is None else Decimal(str(baseline)),
        baseline_year=baseline_year,
        order=order,
    )
    indicator.full_clean()
    indicator.save()
    return indicator


@transaction.atomic
def indicator_reading_record(
    *, actor: User, indicator: Indicator, value: Decimal | float | int, observed_on: dt.date, note: str = ""
) -> IndicatorReading:
    """Record a measured value (one per indicator and day: a second one the same day replaces it)."""
    require(actor, Action.ENTER_READING, indicator)
    reading = IndicatorReading.objects.filter(indicator=indicator, observed_on=observed_on).first()
    if reading is None:
        reading = IndicatorReading(indicator=indicator, observed_on=observed_on)
    reading.value = Decimal(str(value))
    reading.note = note
    reading.entered_by = actor
    return save_as(reading, actor=actor, reason="reading")


@transaction.atomic
def phase_create(
    *, actor: User | None, plan: Plan, name: str, start: dt.date, end: dt.date | None = None, order: int = 0
) -> Phase:
    if actor is not None:
        require(actor, Action.EDIT_PLAN, plan)
    phase = Phase(plan=plan, name=name.strip(), start=start, end=end, order=order)
    phase.full_clean()
    phase.save()
    return phase
