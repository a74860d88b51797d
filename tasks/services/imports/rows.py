"""A parsed task as the rows that store it: its fields and its departments per role.

Shared by the commit of a new plan and the re-import of a revised one, so that both store a task
alike and the diff compares what would be stored.
"""

from __future__ import annotations

from typing import Any, TypedDict

from departments.models import Department
from planparser.dates import deadline_to_date
from planparser.model import ParsedTask

from ...choices import AssignmentRole
from ...models import Section

ROLES = (AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE, AssignmentRole.COOPERATING)


class Roles(TypedDict):
    """A task's departments per role, as ``task_create`` and ``assignment_set`` take them."""

    lead: list[Department]
    responsible: list[Department]
    cooperating: list[Department]


def stored_text(parsed_task: ParsedTask) -> dict[str, str]:
    """The task's text fields exactly as they are stored, for creating and for diffing."""
    return {
        "title": parsed_task.title.strip()[:500],
        "full_text": parsed_task.full_text or parsed_task.title,
        "deadline_text": (parsed_task.deadline_text or parsed_task.deadline or "")[:200],
    }


def task_fields(parsed_task: ParsedTask, *, sections: dict[str, Section], order: int) -> dict[str, Any]:
    """A parsed task's fields as a Task stores them (its section, numbers, text and due date)."""
    section_path = parsed_task.path.rsplit(".", 1)[0] if "." in parsed_task.path else ""
    return {
        "section": sections.get(section_path),
        "path": parsed_task.path,
        "number": parsed_task.number or 0,
        "order": order,
        **stored_text(parsed_task),
        "due_date": deadline_to_date(parsed_task.deadline),
    }


def by_role(parsed_task: ParsedTask, departments: dict[str, Department]) -> Roles:
    """The task's departments per role; a department named twice keeps its strongest role only."""
    named: dict[str, list[Department]] = {}
    for role in ROLES:
        seen: list[Department] = []
        for name in getattr(parsed_task, role.value):
            department = departments[name.strip()]
            if department not in seen:
                seen.append(department)
        named[role.value] = seen
    lead_ids = {d.pk for d in named["lead"]}
    responsible = [d for d in named["responsible"] if d.pk not in lead_ids]
    taken = lead_ids | {d.pk for d in responsible}
    cooperating = [d for d in named["cooperating"] if d.pk not in taken]
    return Roles(lead=named["lead"], responsible=responsible, cooperating=cooperating)


def role_items(roles: Roles) -> list[tuple[str, list[Department]]]:
    """(role, departments) of each role, strongest first."""
    return [
        ("lead", roles["lead"]),
        ("responsible", roles["responsible"]),
        ("cooperating", roles["cooperating"]),
    ]
