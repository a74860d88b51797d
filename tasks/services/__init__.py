"""Every write of the work-plan domain. Views, the API, admin actions, jobs and commands call
these functions; none of them calls ``.save()`` itself."""

from .notifications import notification_create
from .plans import (
    assignment_set,
    indicator_create,
    indicator_reading_record,
    phase_create,
    plan_create,
    section_create,
    task_create,
)
from .progress import progress_report_submit, task_set_due_date, task_update_progress

__all__ = [
    "assignment_set",
    "indicator_create",
    "indicator_reading_record",
    "notification_create",
    "phase_create",
    "plan_create",
    "progress_report_submit",
    "section_create",
    "task_create",
    "task_set_due_date",
    "task_update_progress",
]
