"""Importing a parsed plan document: preview, department mapping, commit, and re-import.

The parser (``planparser``) turns a document into dataclasses; this module checks them against
the department registry and writes the plan in one transaction: it exists whole or not at all.
A revised version of a committed plan is applied as a diff that keeps the status, reports and
history of every task it does not change.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from departments import kinds
from departments.models import Department, Region, User
from departments.resolution import Method, Registry, Resolution
from departments.services import department_alias_add, department_create
from ipplan.audit import save_as
from ipplan.permissions import Action, require
from ipplan.versioning import save_versioned

from ...choices import AssignmentRole, Comparator, ImportState, TaskStatus
from ...models import Assignment, Indicator, Phase, Plan, PlanImport, Section, Task
from planparser.dates import parse_deadline
from planparser.model import ParsedPlan, ParsedSection, ParsedTask
from ...status import Door, door_allows
from ..maintenance import task_cancel_removed
from ..plans import assignment_set, plan_create, plan_document_set, section_create, task_create
from .edits import apply_edits, summarize
from .progress import BATCH_PROGRESS_FLOOR, report_progress

ROLES = (AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE, AssignmentRole.COOPERATING)


# --- region -----------------------------------------------------------------------------------
def infer_region(
    parsed: ParsedPlan, regions: Iterable[Region] | None = None
) -> tuple[Region | None, list[Region]]:
    """The plan's region from its issuer, then its title (东莞市人民政府办公室 -> 东莞市).

    Returns (region, candidates): a region when exactly one fits best, else None with the
    candidates that matched (possibly none) for the coordinator to choose from.
    """
    pool = list(regions if regions is not None else Region.objects.all())
    for text in (parsed.issuer or "", parsed.title or ""):
        if not text:
            continue
        hits = [r for r in pool if r.name and r.name in text]
        if not hits:
            # 东莞 for 东莞市: names are often written without their level suffix
            hits = [r for r in pool if len(r.name) > 2 and r.name[:-1] in text]
        if hits:
            # the most specific region named first in the text wins
            hits.sort(key=lambda r: (text.find(r.name[:-1]), -r.path.count("/")))
            best = [h for h in hits if text.find(h.name[:-1]) == text.find(hits[0].name[:-1])]
            if len(best) == 1 or len({h.pk for h in best}) == 1:
                return best[0], hits
            return None, hits
    return None, []


# --- deadlines and phase dates ----------------------------------------------------------------


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def deadline_to_date(text: str | None) -> dt.date | None:
    """The last date a written deadline allows: 2026年6月底前 -> 2026-06-30, 2026年 -> 2026-12-31.

    The parser's ISO dates (2026-06-30) pass through. Open-ended wording (长期坚持, 持续推进) gives
    None: the bureau sets such dates by hand. Delegates to ``planparser.dates``.
    """
    found = parse_deadline(text)
    return dt.date.fromisoformat(found.iso) if found is not None and found.iso else None


def _phase_date(value: str | None, *, end: bool) -> dt.date | None:
    if not value:
        return None
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    if len(parts) == 2:
        return _month_end(*parts) if end else dt.date(parts[0], parts[1], 1)
    return dt.date(parts[0], 12, 31) if end else dt.date(parts[0], 1, 1)


# --- preview ----------------------------------------------------------------------------------
@dataclass
class Preview:
    """What the coordinator checks before committing."""

    parsed: ParsedPlan
    region: Region | None
    region_candidates: list[Region]
    resolutions: dict[str, Resolution]
    diff: PlanDiff | None = None

    @property
    def unresolved(self) -> list[Resolution]:
        return [r for r in self.resolutions.values() if not r.resolved]


def _department_names(parsed: ParsedPlan) -> list[str]:
    names: list[str] = []
    for task in parsed.tasks:
        for role in ROLES:
            names.extend(getattr(task, role.value))
    return list(dict.fromkeys(names))


def import_preview(
    *, parsed: ParsedPlan, region: Region | None = None, replaces: Plan | None = None, infer: bool = True
) -> Preview:
    candidates: list[Region] = []
    if region is None and infer:
        region, candidates = infer_region(parsed)
    resolutions: dict[str, Resolution] = {}
    if region is not None:
        registry = Registry(region)
        resolutions = {name: registry.resolve(name) for name in _department_names(parsed)}
    preview = Preview(parsed=parsed, region=region, region_candidates=candidates, resolutions=resolutions)
    if replaces is not None and region is not None:
        preview.diff = plan_diff(plan=replaces, parsed=parsed, resolutions=resolutions)
    return preview


# --- mapping ----------------------------------------------------------------------------------
def guess_kind(name: str) -> str:
    """See ``departments.kinds.guess_kind`` (one rule for imports and the registry)."""
    return kinds.guess_kind(name)


def resolve_departments(
    *,
    actor: User | None,
    region: Region,
    resolutions: dict[str, Resolution],
    mapping: dict[str, int] | None = None,
    save_aliases: bool = False,
    create_missing: bool = False,
    create_names: Iterable[str] = (),
) -> dict[str, Department]:
    """Every name read from the document mapped to a department, or a ValidationError listing
    the names still unknown. ``mapping`` names a department for an unknown name (saved as an
    alias when ``save_aliases``); ``create_missing`` creates the rest in the plan's region."""
    mapping = mapping or {}
    to_create = set(create_names)
    visible = {r.pk for r in region.ancestors_and_self()}
    result: dict[str, Department] = {}
    missing: list[str] = []
    for name, resolution in resolutions.items():
        if name in mapping:
            department = Department.objects.filter(pk=mapping[name], region__in=visible).first()
            if department is None:
                raise ValidationError(
                    {"mapping": _("“%(name)s”映射到的单位不存在或不属于本区划。") % {"name": name}}
                )
            if save_aliases and name != department.name:
                department_alias_add(actor=actor, department=department, name=name)
            result[name] = department
        elif resolution.department is not None:
            result[name] = resolution.department
        elif create_missing or name in to_create:
            result[name] = department_create(actor=actor, region=region, name=name, kind=guess_kind(name))
        else:
            missing.append(name)
    if missing:
        raise ValidationError(
            _("以下单位尚未对应到单位库,请映射或新建:%(names)s") % {"names": "、".join(missing)},
            code="unresolved_departments",
            params={"names": missing},
        )
    return result


# --- commit -----------------------------------------------------------------------------------
def _walk_sections(
    sections: Sequence[ParsedSection], parent_path: str = ""
) -> Iterable[tuple[str, str, ParsedSection]]:
    for section in sections:
        path = f"{parent_path}.{section.label}" if parent_path else section.label
        yield parent_path, path, section
        yield from _walk_sections(section.children, path)


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
        start = _phase_date(phase.start, end=False)
        if start is None:
            continue
        phases.append(
            _checked(
                Phase(
                    plan=plan,
                    name=phase.name.strip(),
                    start=start,
                    end=_phase_date(phase.end, end=True),
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
    for order, (parent_path, path, parsed_section) in enumerate(_walk_sections(parsed_sections), start=1):
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
    roles_of: list[dict[str, list[Department]]] = []
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
        roles_of.append(_by_role(parsed_task, departments))
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
            for role, listed in roles.items()
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


def _by_role(parsed_task: ParsedTask, departments: dict[str, Department]) -> dict[str, list[Department]]:
    out: dict[str, list[Department]] = {}
    for role in ROLES:
        seen: list[Department] = []
        for name in getattr(parsed_task, role.value):
            department = departments[name.strip()]
            if department not in seen:
                seen.append(department)
        out[role.value] = seen
    # a department named twice keeps its strongest role only
    lead_ids = {d.pk for d in out["lead"]}
    out["responsible"] = [d for d in out["responsible"] if d.pk not in lead_ids]
    taken = lead_ids | {d.pk for d in out["responsible"]}
    out["cooperating"] = [d for d in out["cooperating"] if d.pk not in taken]
    return out


def task_fields(parsed_task: ParsedTask, *, sections: dict[str, Section], order: int) -> dict[str, Any]:
    """A parsed task's fields as a Task stores them (its section, numbers, text and due date)."""
    section_path = parsed_task.path.rsplit(".", 1)[0] if "." in parsed_task.path else ""
    text = stored_text(parsed_task)
    return {
        "section": sections.get(section_path),
        "path": parsed_task.path,
        "number": parsed_task.number or 0,
        "order": order,
        "title": text["title"],
        "full_text": text["full_text"],
        "deadline_text": text["deadline_text"],
        "due_date": deadline_to_date(parsed_task.deadline),
    }


def stored_text(parsed_task: ParsedTask) -> dict[str, str]:
    """The task's text fields exactly as they are stored, for creating and for diffing."""
    return {
        "title": parsed_task.title.strip()[:500],
        "full_text": parsed_task.full_text or parsed_task.title,
        "deadline_text": (parsed_task.deadline_text or parsed_task.deadline or "")[:200],
    }


def _create_task(
    actor: User | None,
    plan: Plan,
    parsed_task: ParsedTask,
    order: int,
    sections: dict[str, Section],
    departments: dict[str, Department],
) -> Task:
    roles = _by_role(parsed_task, departments)
    return task_create(
        actor=actor,
        plan=plan,
        **task_fields(parsed_task, sections=sections, order=order),
        lead=roles["lead"],
        responsible=roles["responsible"],
        cooperating=roles["cooperating"],
    )


# --- re-import ----------------------------------------------------------------------------------
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
    for parent_path, path, parsed_section in _walk_sections(parsed.sections):
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
        _create_task(actor, plan, incoming[path], orders[path], sections, departments)
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
            roles = _by_role(parsed_task, departments)
            assignment_set(
                actor=actor,
                task=task,
                lead=roles["lead"],
                responsible=roles["responsible"],
                cooperating=roles["cooperating"],
                check_permission=False,
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


# --- the import record used by the browser and the API ----------------------------------------
@transaction.atomic
def plan_import_start(
    *,
    actor: User,
    source_text: str,
    source_name: str = "",
    region: Region | None = None,
    replaces: Plan | None = None,
) -> PlanImport:
    require(actor, Action.IMPORT_PLAN)
    if region is not None:
        require(actor, Action.IMPORT_PLAN, region)
    if replaces is not None:
        require(actor, Action.EDIT_PLAN, replaces)
        region = replaces.region
    record = PlanImport(
        created_by=actor,
        region=region,
        source_name=source_name[:255],
        source_text=source_text,
        replaces=replaces,
    )
    return save_as(record, actor=actor)


@transaction.atomic
def plan_import_finish(*, actor: User, record: PlanImport, plan: Plan) -> PlanImport:
    if record.state != ImportState.PREVIEWED:
        raise ValidationError(_("该导入已经处理过。"), code="import_done")
    record.state = ImportState.COMMITTED
    record.plan = plan
    return save_as(record, actor=actor, update_fields=["state", "plan"])


@transaction.atomic
def plan_import_discard(*, actor: User, record: PlanImport) -> PlanImport:
    if record.state != ImportState.PREVIEWED:
        raise ValidationError(_("该导入已经处理过。"), code="import_done")
    record.state = ImportState.DISCARDED
    return save_as(record, actor=actor, update_fields=["state"])


@transaction.atomic
def plan_import_apply(
    *,
    actor: User | None,
    parsed: ParsedPlan,
    region: Region,
    replaces: Plan | None = None,
    mapping: dict[str, int] | None = None,
    save_aliases: bool = False,
    create_missing: bool = False,
    create_names: Iterable[str] = (),
    source_name: str = "",
    source_text: str = "",
    notes: dict[str, list[str]] | None = None,
) -> tuple[Plan, PlanDiff | None]:
    """Map the document's departments and write it: a new plan, or the diff onto ``replaces``.

    ``notes`` (task path -> preview edits) go into the history row each new task starts with."""
    preview = import_preview(parsed=parsed, region=region)
    departments = resolve_departments(
        actor=actor,
        region=region,
        resolutions=preview.resolutions,
        mapping=mapping,
        save_aliases=save_aliases,
        create_missing=create_missing,
        create_names=create_names,
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


@transaction.atomic
def plan_import_commit_record(
    *,
    actor: User,
    record: PlanImport,
    region: Region | None = None,
    mapping: dict[str, int] | None = None,
    save_aliases: bool = False,
    create_missing: bool = False,
    create_names: Iterable[str] = (),
) -> tuple[Plan, PlanDiff | None]:
    """Commit a previewed import: the new plan, or the revised plan with the diff applied."""
    from planparser import parse_text

    require(actor, Action.IMPORT_PLAN)
    if record.state != ImportState.PREVIEWED:
        raise ValidationError(_("该导入已经处理过。"), code="import_done")
    parsed = parse_text(record.source_text)
    notes: dict[str, list[str]] = {}
    if record.edits:
        edited = apply_edits(parsed, record.edits)
        if edited.unapplied:
            # never commit something other than what the bureau saw: the preview lists these
            raise ValidationError(
                _("以下预览修改无法应用到当前解析结果,请检查:%(edits)s")
                % {"edits": ";".join(f"{summarize(op)}({op['reason']})" for op in edited.unapplied)},
                code="edit_unapplied",
            )
        parsed, notes = edited.parsed, edited.edited_paths
    region = region or record.region or infer_region(parsed)[0]
    if region is None:
        raise ValidationError({"region": _("无法从发文机关或标题判断方案所属行政区划,请选择。")})
    require(actor, Action.IMPORT_PLAN, region)
    plan, diff = plan_import_apply(
        actor=actor,
        parsed=parsed,
        region=region,
        replaces=record.replaces,
        mapping=mapping,
        save_aliases=save_aliases,
        create_missing=create_missing,
        create_names=create_names,
        source_name=record.source_name,
        source_text=record.source_text,
        notes=notes,
    )
    plan_import_finish(actor=actor, record=record, plan=plan)
    _carry_edits_to_plan(plan, record)
    return plan, diff


def _carry_edits_to_plan(plan: Plan, record: PlanImport) -> None:
    """One history row on the plan per preview edit, by its author, so that the plan's audit
    trail shows who corrected what before the commit (the import record keeps them too)."""
    if not record.edits:
        return
    authors = User.objects.in_bulk({op.get("by") for op in record.edits if op.get("by")})
    for op in record.edits:
        when = str(op.get("when", ""))[:16].replace("T", " ")
        save_as(
            plan,
            actor=authors.get(op.get("by")),
            reason=f"导入预览修改 {when}: {summarize(op)}"[:1000],
            update_fields=[],
            validate=False,
        )
