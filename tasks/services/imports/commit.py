"""A new plan written from a parsed document in one transaction: it exists whole or not at all.

``plan_import_apply`` is the one writer every import goes through (the session's commit, the
``import_plan`` command, the demo data): it maps the document's departments, then writes a new
plan here or applies the diff onto the plan a revised document replaces (``reimport``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from departments.models import Department, Region, User
from ipplan.permissions import Action, require
from planparser.dates import phase_date
from planparser.model import ParsedPlan, ParsedSection, ParsedTask, walk_sections

from ...choices import Comparator
from ...models import Assignment, Indicator, Phase, Plan, Section, Task
from ..plans import plan_create
from .mapping import NO_CHOICES, Choices, resolve_departments
from .preview import import_preview
from .progress import BATCH_PROGRESS_FLOOR, report_progress
from .reimport import PlanDiff, plan_reimport_apply
from .rows import Roles, by_role, role_items, task_fields


@transaction.atomic
def plan_import_apply(
    *,
    actor: User | None,
    parsed: ParsedPlan,
    region: Region,
    replaces: Plan | None = None,
    choices: Choices = NO_CHOICES,
    source_name: str = "",
    source_text: str = "",
    notes: dict[str, list[str]] | None = None,
) -> tuple[Plan, PlanDiff | None]:
    """Map the document's departments (``choices``: the answers for names the registry does not
    know) and write it: a new plan, or the diff onto ``replaces``.

    ``notes`` (task path -> preview edits) go into the history row each new task starts with."""
    preview = import_preview(parsed=parsed, region=region)
    departments = resolve_departments(
        actor=actor,
        region=region,
        resolutions=preview.resolutions,
        mapping=choices.mapping,
        save_aliases=choices.save_aliases,
        create_missing=choices.create_missing,
        create_names=choices.create_names,
    )
    source = {"source_name": source_name, "source_text": source_text or parsed.source_text}
    if replaces is not None:
        diff = plan_reimport_apply(
            actor=actor, plan=replaces, parsed=parsed, departments=departments, **source
        )
        return replaces, diff
    plan = plan_import_commit(
        actor=actor, parsed=parsed, region=region, departments=departments, notes=notes, **source
    )
    return plan, None


def _section_for(path: str, sections: dict[str, Section]) -> Section | None:
    """The deepest section whose path prefixes a task or indicator path."""
    parts = path.split(".")
    for size in range(len(parts), 0, -1):
        found = sections.get(".".join(parts[:size]))
        if found is not None:
            return found
    return None


def _comparator(value: str) -> str:
    return value if value in Comparator.values else Comparator.AT_LEAST


@transaction.atomic
def plan_import_commit(
    *,
    actor: User | None,
    parsed: ParsedPlan,
    region: Region,
    departments: dict[str, Department],
    source_name: str = "",
    source_text: str = "",
    notes: dict[str, list[str]] | None = None,
) -> Plan:
    """Write the whole plan; any error rolls everything back."""
    if actor is not None:
        require(actor, Action.IMPORT_PLAN, region)
    if not parsed.tasks:
        raise ValidationError(_("文档中没有识别出任务,未导入。"), code="no_tasks")
    plan = plan_create(
        actor=actor,
        region=region,
        title=parsed.title or source_name or _("未命名方案"),
        doc_number=parsed.doc_number or "",
        issuer=parsed.issuer or "",
        issued_on=parsed.issued_on,
        period=parsed.period,
        source_name=source_name,
        source_text=source_text,
    )
    report_progress(5)
    sections = _bulk_sections(plan, parsed.sections)
    report_progress(BATCH_PROGRESS_FLOOR)
    tasks = _bulk_tasks(actor, plan, parsed.tasks, sections, departments, notes or {})
    indicators: list[Indicator] = []
    for order, indicator in enumerate(parsed.indicators, start=1):
        path = indicator.path or ""
        indicators.append(
            _checked(
                Indicator(
                    plan=plan,
                    name=indicator.text.strip()[:500],
                    target_value=Decimal(str(indicator.value)),
                    unit=indicator.unit or "",
                    comparator=_comparator(indicator.comparator),
                    basis=indicator.basis,
                    baseline=None if indicator.baseline is None else Decimal(str(indicator.baseline)),
                    baseline_year=indicator.baseline_year,
                    target_year=indicator.year,
                    section=_section_for(path, sections) if path else None,
                    task=tasks.get(path),
                    order=order,
                ),
                "plan",
                "section",
                "task",
            )
        )
    Indicator.objects.bulk_create(indicators, batch_size=BATCH)
    report_progress(97)
    phases: list[Phase] = []
    for order, phase in enumerate(parsed.phases, start=1):
        start = phase_date(phase.start, end=False)
        if start is None:
            continue
        phases.append(
            _checked(
                Phase(
                    plan=plan,
                    name=phase.name.strip(),
                    start=start,
                    end=phase_date(phase.end, end=True),
                    order=order,
                ),
                "plan",
            )
        )
    Phase.objects.bulk_create(phases, batch_size=BATCH)
    return plan


# The commit of a whole plan writes thousands of rows: they go in batches (with their history
# rows) instead of one save per row, a few queries per batch rather than ~45 per task.
BATCH = 500
M = TypeVar("M", bound=models.Model)


def _checked(instance: M, *foreign_keys: str) -> M:
    """Field validation without the per-row uniqueness queries (uniqueness is checked in bulk)."""
    instance.full_clean(exclude=list(foreign_keys), validate_unique=False, validate_constraints=False)
    return instance


def _bulk_sections(plan: Plan, parsed_sections: Sequence[ParsedSection]) -> dict[str, Section]:
    """Every heading of the document, one batch per depth so that parents have ids first."""
    levels: dict[int, list[tuple[str, str, ParsedSection, int]]] = {}
    for order, (parent_path, path, parsed_section) in enumerate(walk_sections(parsed_sections), start=1):
        levels.setdefault(path.count("."), []).append((parent_path, path, parsed_section, order))
    sections: dict[str, Section] = {}
    for depth in sorted(levels):
        batch: list[Section] = []
        for parent_path, path, parsed_section, order in levels[depth]:
            if path in sections or any(path == s.path for s in batch):
                raise ValidationError(
                    _("章节编号“%(path)s”重复,请检查文档。") % {"path": path}, code="duplicate_path"
                )
            batch.append(
                _checked(
                    Section(
                        plan=plan,
                        parent=sections.get(parent_path),
                        label=parsed_section.label,
                        title=parsed_section.title.strip(),
                        path=path,
                        order=order,
                    ),
                    "plan",
                    "parent",
                )
            )
        for section in Section.objects.bulk_create(batch, batch_size=BATCH):
            sections[section.path] = section
    return sections


def _bulk_tasks(
    actor: User | None,
    plan: Plan,
    parsed_tasks: Sequence[ParsedTask],
    sections: dict[str, Section],
    departments: dict[str, Department],
    notes: dict[str, list[str]],
) -> dict[str, Task]:
    """The tasks, their assignments, and a history row for each, in batches."""
    allowed = set(plan.region.ancestors_and_self().values_list("pk", flat=True))
    foreign = sorted({d.name for d in departments.values() if d.region_id not in allowed})
    if foreign:
        raise ValidationError(
            {"departments": _("以下单位不属于方案所在区划或其上级:%(names)s") % {"names": "、".join(foreign)}}
        )
    tasks: list[Task] = []
    roles_of: list[Roles] = []
    seen: set[str] = set()
    for order, parsed_task in enumerate(parsed_tasks, start=1):
        if parsed_task.path in seen:
            raise ValidationError(
                _("任务编号“%(path)s”重复,请检查文档。") % {"path": parsed_task.path}, code="duplicate_path"
            )
        seen.add(parsed_task.path)
        tasks.append(
            _checked(
                Task(plan=plan, **task_fields(parsed_task, sections=sections, order=order)),
                "plan",
                "section",
            )
        )
        roles_of.append(by_role(parsed_task, departments))
        if notes.get(parsed_task.path):
            note = "导入预览中修改:" + ";".join(notes[parsed_task.path])
            tasks[-1]._change_reason = note[:1000]  # type: ignore[attr-defined]
    history_model: Any = Task.history  # type: ignore[attr-defined]
    assignment_history: Any = Assignment.history  # type: ignore[attr-defined]
    # one batch at a time (the same queries bulk_create would make), each batch's tasks with their
    # history, assignments and the assignments' history, so that a commit job reports per batch:
    # 10 % when the sections are written, 95 % after the last batch of tasks
    for start in range(0, len(tasks), BATCH):
        chunk = tasks[start : start + BATCH]
        Task.objects.bulk_create(chunk, batch_size=BATCH)
        history_model.bulk_history_create(
            chunk, batch_size=BATCH, default_user=actor, default_change_reason="create"
        )
        assignments = [
            Assignment(task=task, department=department, role=role, order=position)
            for task, roles in zip(chunk, roles_of[start : start + BATCH], strict=True)
            for role, listed in role_items(roles)
            for position, department in enumerate(listed)
        ]
        Assignment.objects.bulk_create(assignments, batch_size=BATCH)
        assignment_history.bulk_history_create(
            assignments, batch_size=BATCH, default_user=actor, default_change_reason="assign"
        )
        report_progress(
            BATCH_PROGRESS_FLOOR + (95 - BATCH_PROGRESS_FLOOR) * (start + len(chunk)) // len(tasks)
        )
    return {task.path: task for task in tasks}
