"""What the kernel's permission policy, audit and admin, and the department registry, need to know
of this app; handed over in ``TasksConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet

from ipplan.admin import register_choice_actions
from ipplan.audit import register_synced
from ipplan.permissions import Action, Paths, register_assignments, register_paths

from .choices import AssignmentRole
from .models import Assignment
from .services import department_work


def assignments_of(task: OuterRef, department_id: int, lead_only: bool) -> QuerySet[Any]:
    """The department's assignments to the task (the lead one only, when ``lead_only``)."""
    assignments = Assignment.objects.filter(task=task, department_id=department_id)
    return assignments.filter(role=AssignmentRole.LEAD) if lead_only else assignments


def register() -> None:
    register_paths(
        {
            "tasks.plan": Paths(region="region__path"),
            "tasks.section": Paths(region="plan__region__path"),
            "tasks.task": Paths(region="plan__region__path", task="pk"),
            "tasks.assignment": Paths(region="task__plan__region__path", task="task"),
            "tasks.indicator": Paths(region="plan__region__path", task="task"),
            "tasks.indicatorreading": Paths(region="indicator__plan__region__path", task="indicator__task"),
            "tasks.phase": Paths(region="plan__region__path"),
            "tasks.progressreport": Paths(
                region="task__plan__region__path", task="task", department="department"
            ),
            "tasks.attachment": Paths(region="report__task__plan__region__path", task="report__task"),
            "tasks.taskrequest": Paths(region="task__plan__region__path", task="task"),
            "tasks.urge": Paths(region="task__plan__region__path", task="task"),
            "tasks.planimport": Paths(region="region__path", owner="created_by"),
            "tasks.assessmentsnapshot": Paths(region="region__path"),
        }
    )
    register_assignments(assignments_of)
    department_work.register()
    register_synced(
        "tasks.plan",
        "tasks.section",
        "tasks.task",
        "tasks.indicator",
        "tasks.indicatorreading",
        "tasks.phase",
        "tasks.progressreport",
        "tasks.taskrequest",
    )
    register_choice_actions(
        {
            "tasks.plan": Action.EDIT_PLAN,
            "tasks.section": Action.EDIT_PLAN,
            "tasks.task": Action.EDIT_PLAN,
            "tasks.indicator": Action.EDIT_PLAN,
            "tasks.progressreport": Action.VIEW_TASK,
        }
    )
