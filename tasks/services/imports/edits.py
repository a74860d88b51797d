"""The bureau's corrections to a previewed import, kept with the import record.

The parser's reading is never overwritten: the record keeps an ordered list of edit operations
(``PlanImport.edits``) that ``apply_edits`` replays on a fresh parse every time the preview is
shown, and once more at the commit. So the edits survive a reload, a second bureau user of the
region sees them, and a re-parse (a better parser, a corrected text) keeps them: an operation
that no longer fits (its task is gone) is listed as not re-applied, never dropped silently.

Operations (JSON objects; ``path`` names a task as the preview shows it):

* ``{"op": "task", "path", "title"?, "full_text"?, "deadline"? (YYYY-MM-DD or ""),
  "lead"?, "responsible"?, "cooperating"? (lists of department names), "section"? (a section path)}``
* ``{"op": "add", "section", "title", "full_text"?, "deadline"?, "lead"?, ...}``
* ``{"op": "delete", "path"}``
* ``{"op": "merge", "path", "into"}``: the text and departments of ``path`` join ``into``
* ``{"op": "split", "path", "at"}``: the text from ``at`` on becomes a new task after it
* ``{"op": "plan", "title"?, "doc_number"?, "period"? ([start, end] or null)}``
* ``{"op": "forget", "index"}``: drop a stored edit that no longer applies (the bureau decides)
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from departments.models import Region, User
from ipplan.audit import save_as
from ipplan.exceptions import ConflictError
from ipplan.permissions import Action, can, require
from planparser import parse_text
from planparser.model import ParsedPlan, ParsedSection, ParsedTask

from ...choices import ImportState
from ...models import PlanImport

ROLES = ("lead", "responsible", "cooperating")
OPS = ("task", "add", "delete", "merge", "split", "plan", "forget")
TEXT_LIMITS = {"title": 500, "full_text": 20000, "doc_number": 100}


@dataclass
class Edited:
    """A parsed plan with the edits applied, and the edits that could not be applied to it."""

    parsed: ParsedPlan
    unapplied: list[dict[str, Any]] = field(default_factory=list)
    edited_paths: dict[str, list[str]] = field(default_factory=dict)  # task path -> edit summaries


def _sections(parsed: ParsedPlan) -> dict[str, ParsedSection]:
    out: dict[str, ParsedSection] = {}

    def walk(items: Iterable[ParsedSection]) -> None:
        for section in items:
            out[section.path] = section
            walk(section.children)

    walk(parsed.sections)
    return out


def deadline_text(value: str) -> str:
    """An ISO date as the deadline wording the importer reads (2026-06-30 -> 2026年6月30日)."""
    day = dt.date.fromisoformat(value)
    return f"{day.year}年{day.month}月{day.day}日"


def _names(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(_("单位须为名称列表。"))
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def _text(op: dict[str, Any], key: str) -> str:
    value = op[key]
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError(_("“%(field)s”须为文字。") % {"field": key})
    value = value.strip()
    if key == "title" and not value:
        raise ValueError(_("任务名称不能为空。"))
    if len(value) > TEXT_LIMITS.get(key, 20000):
        raise ValueError(_("“%(field)s”过长。") % {"field": key})
    return value


def _unique_path(wanted: str, taken: set[str]) -> str:
    path, n = wanted, 2
    while path in taken:
        path, n = f"{wanted}-{n}", n + 1
    return path


def _set_fields(task: ParsedTask, op: dict[str, Any]) -> None:
    for key in ("title", "full_text"):
        if key in op:
            setattr(task, key, _text(op, key))
    if "deadline" in op:
        value = op["deadline"]
        if value in (None, ""):
            task.deadline = None
            task.deadline_text = None
        elif isinstance(value, str):
            try:
                wording = deadline_text(value)
            except ValueError:
                raise ValueError(_("期限须为 YYYY-MM-DD 格式的日期。")) from None
            task.deadline = value
            task.deadline_text = wording
        else:
            raise ValueError(_("期限须为 YYYY-MM-DD 格式的日期。"))
    for role in ROLES:
        if role in op:
            setattr(task, role, _names(op[role]))
    # what the bureau has set by hand needs no second look: the parser's doubts about it go
    settled = set()
    if any(role in op for role in ROLES):
        settled |= {"no_department", "no_lead_marker", "merged_attributions"}
    if "deadline" in op:
        settled.add("deadline_unclear")
    task.flags = [code for code in task.flags if code not in settled]
    taken: set[str] = set()
    for role in ROLES:  # a department keeps its strongest role only
        setattr(task, role, [n for n in getattr(task, role) if n not in taken])
        taken.update(getattr(task, role))


def _apply_one(parsed: ParsedPlan, op: dict[str, Any], edited: dict[str, list[str]]) -> None:
    """Apply one operation in place; ValueError says why it does not fit."""
    kind = op.get("op")
    tasks = parsed.tasks
    by_path = {t.path: t for t in tasks}
    sections = _sections(parsed)

    def task_at(key: str = "path") -> ParsedTask:
        found = by_path.get(str(op.get(key, "")))
        if found is None:
            raise ValueError(_("任务“%(path)s”不存在。") % {"path": op.get(key, "")})
        return found

    summary = summarize(op)
    if kind == "task":
        task = task_at()
        _set_fields(task, op)
        if "section" in op:
            target = str(op["section"])
            if target not in sections:
                raise ValueError(_("章节“%(path)s”不存在。") % {"path": target})
            if target != task.section_path:
                old_path = task.path
                task.section_path = target
                task.path = _unique_path(f"{target}.{task.number}", set(by_path) - {old_path})
                tasks.remove(task)
                last = max(
                    (i for i, t in enumerate(tasks) if t.section_path == target), default=len(tasks) - 1
                )
                tasks.insert(last + 1, task)
                edited[task.path] = edited.pop(old_path, [])
        edited.setdefault(task.path, []).append(summary)
    elif kind == "add":
        target = str(op.get("section", ""))
        if target not in sections:
            raise ValueError(_("章节“%(path)s”不存在。") % {"path": target})
        number = max((t.number for t in tasks if t.section_path == target), default=0) + 1
        task = ParsedTask(
            path=_unique_path(f"{target}.{number}", set(by_path)),
            section_path=target,
            number=number,
            title="",
            full_text="",
            line=0,
        )
        _set_fields(task, {"full_text": "", **op})
        task.full_text = task.full_text or task.title
        last = max((i for i, t in enumerate(tasks) if t.section_path == target), default=len(tasks) - 1)
        tasks.insert(last + 1, task)
        edited.setdefault(task.path, []).append(summary)
    elif kind == "delete":
        tasks.remove(task_at())
        edited.pop(str(op["path"]), None)
    elif kind == "merge":
        source, target_task = task_at(), task_at("into")
        if source is target_task:
            raise ValueError(_("不能把任务合并到它自己。"))
        target_task.full_text = f"{target_task.full_text}\n{source.full_text}".strip()
        for role in ROLES:
            merged = getattr(target_task, role) + [
                n for n in getattr(source, role) if n not in getattr(target_task, role)
            ]
            setattr(target_task, role, merged)
        _set_fields(target_task, {})
        if target_task.deadline is None:
            target_task.deadline = source.deadline
        tasks.remove(source)
        edited.setdefault(target_task.path, []).extend([*edited.pop(source.path, []), summary])
    elif kind == "split":
        task = task_at()
        marker = str(op.get("at", ""))
        position = task.full_text.find(marker) if marker else -1
        if position <= 0:
            raise ValueError(_("在任务全文中找不到拆分位置“%(at)s”。") % {"at": marker})
        rest = task.full_text[position:].strip()
        task.full_text = task.full_text[:position].strip()
        new = copy.deepcopy(task)
        new.path = _unique_path(f"{task.path}-2", set(by_path))
        new.full_text = rest
        new.title = rest[:120]
        new.line = 0
        tasks.insert(tasks.index(task) + 1, new)
        edited.setdefault(task.path, []).append(summary)
        edited.setdefault(new.path, []).append(summary)
    elif kind == "plan":
        if "title" in op:
            parsed.title = _text(op, "title")
        if "doc_number" in op:
            parsed.doc_number = _text(op, "doc_number") if op["doc_number"] else None
        if "period" in op:
            period = op["period"]
            if period is None:
                parsed.period = None
            elif (
                isinstance(period, list)
                and len(period) == 2
                and all(isinstance(y, int) and 1990 <= y <= 2100 for y in period)
                and period[0] <= period[1]
            ):
                parsed.period = (period[0], period[1])
            else:
                raise ValueError(_("实施期须为起止年份,例如 [2024, 2026]。"))
    else:
        raise ValueError(_("未知的修改类型:%(op)s") % {"op": kind})


def summarize(op: dict[str, Any]) -> str:
    """One line for the audit trail: what the edit did."""
    kind = op.get("op")
    changed = [k for k in op if k not in ("op", "path", "by", "when")]
    if kind == "task":
        return f"{op.get('path')}: " + ", ".join(f"{k}={_short(op[k])}" for k in changed)
    if kind == "add":
        return f"add {op.get('section')}: {_short(op.get('title'))}"
    if kind == "delete":
        return f"delete {op.get('path')}"
    if kind == "merge":
        return f"merge {op.get('path')} into {op.get('into')}"
    if kind == "split":
        return f"split {op.get('path')} at {_short(op.get('at'))}"
    return "plan: " + ", ".join(f"{k}={_short(op[k])}" for k in changed)


def _short(value: Any) -> str:
    text = (
        "、".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else str(value)
    )
    return text if len(text) <= 40 else text[:39] + "…"


def apply_edits(parsed: ParsedPlan, edits: Iterable[dict[str, Any]]) -> Edited:
    """A copy of ``parsed`` with ``edits`` applied in order; ops that do not fit are listed."""
    result = Edited(parsed=copy.deepcopy(parsed))
    for index, op in enumerate(edits):
        try:
            _apply_one(result.parsed, op, result.edited_paths)
        except (ValueError, KeyError, TypeError) as error:
            result.unapplied.append({**op, "reason": str(error), "index": index})
    for section in _sections(result.parsed).values():
        section.task_count = sum(1 for t in result.parsed.tasks if t.section_path == section.path)
    return result


# --- flags: why a task may need a look ---------------------------------------------------------------
FLAG_LABELS = {
    "no_department": _lazy("未识别出承办单位"),
    "no_lead_marker": _lazy("未标明牵头单位,按排序第一位视为牵头"),
    "merged_attributions": _lazy("合并了多处分工表述"),
    "deadline_unclear": _lazy("完成时限表述未能识别"),
    "numbering_gap": _lazy("编号不连续"),
    "unresolved": _lazy("单位名称不在单位库中"),
}


def task_flags(task: Any, resolutions: dict[str, Any]) -> list[dict[str, str]]:
    """The reasons a task may need a look: the parser's flags (when it gives them), and names
    the registry does not know."""
    codes = list(getattr(task, "flags", None) or [])
    if not any(getattr(task, role) for role in ROLES) and "no_department" not in codes:
        codes.append("no_department")
    for role in ROLES:
        for name in getattr(task, role):
            resolution = resolutions.get(name.strip())
            if resolution is not None and not resolution.resolved and "unresolved" not in codes:
                codes.append("unresolved")
    return [{"code": code, "label": str(FLAG_LABELS.get(code, code))} for code in codes]


# --- the service ---------------------------------------------------------------------------------
def imports_for(user: User) -> Any:
    """The imports ``user`` may see and edit: their own, and those of their own region when they
    may import plans there (a second coordinator of the same bureau)."""
    if not can(user, Action.IMPORT_PLAN):
        return PlanImport.objects.none()
    own = PlanImport.objects.filter(created_by_id=user.pk)
    region = getattr(user, "region", None)
    if region is None or not can(user, Action.IMPORT_PLAN, region):
        return own
    return PlanImport.objects.filter(pk__in=own.values("pk")) | PlanImport.objects.filter(region_id=region.pk)


@transaction.atomic
def plan_import_edit(
    *,
    actor: User,
    record: PlanImport,
    ops: list[dict[str, Any]],
    version: int | None,
    region: Region | None = None,
) -> PlanImport:
    """Add the bureau's ``ops`` (and a new ``region``) to the import; every op must apply.

    ``version`` is the record version the editor saw: a different stored one raises
    ConflictError (nothing is changed); None skips the check. Each op is stored with its
    author (``by``) and time (``when``), and written to the record's history for the plan's audit trail.
    """
    require(actor, Action.IMPORT_PLAN)
    locked = imports_for(actor).select_for_update().filter(pk=record.pk).first()
    if locked is None:
        raise ValidationError(_("该导入不存在。"), code="not_found")
    record = locked
    if record.state != ImportState.PREVIEWED:
        raise ValidationError(_("该导入已经处理过。"), code="import_done")
    if version is not None and version != record.version:
        raise ConflictError(
            _("该导入已被他人修改,请刷新后再改。"), current={"version": record.version, "edits": record.edits}
        )
    if not isinstance(ops, list) or not all(isinstance(op, dict) and op.get("op") in OPS for op in ops):
        raise ValidationError({"edits": _("修改须为对象列表,op 取 %(ops)s 之一。") % {"ops": "、".join(OPS)}})
    current = apply_edits(parse_text(record.source_text), record.edits)
    forget = {op.get("index") for op in ops if op["op"] == "forget"}
    ops = [op for op in ops if op["op"] != "forget"]
    stale = {entry["index"] for entry in current.unapplied}
    if not forget <= stale:
        raise ValidationError({"edits": _("只能放弃无法应用的修改。")}, code="edit_invalid")
    current_edits = list(record.edits)
    kept = [op for index, op in enumerate(current_edits) if index not in forget]
    trial = apply_edits(current.parsed, ops)
    if trial.unapplied:
        raise ValidationError(
            {"edits": [f"{summarize(op)}:{op['reason']}" for op in trial.unapplied]}, code="edit_invalid"
        )
    now = timezone.now().isoformat()
    stamped = [{**op, "by": actor.pk, "when": now} for op in ops]
    fields = ["edits", "version"]
    if region is not None and region.pk != record.region_id:
        require(actor, Action.IMPORT_PLAN, region)
        record.region = region
        fields.append("region")
        stamped.append({"op": "plan", "region": region.pk, "by": actor.pk, "when": now})
    record.edits = [*kept, *stamped]
    record.version += 1
    dropped = [
        f"forget {summarize(record_op)}" for index, record_op in enumerate(current_edits) if index in forget
    ]
    reason = "; ".join([*dropped, *(summarize(op) for op in stamped)])[:900]
    return save_as(
        record, actor=actor, reason=f"preview edit: {reason}", update_fields=fields, validate=False
    )
