"""Every write of the work-plan domain. Views, the API, admin actions, jobs and commands call
these functions; none of them calls ``.save()`` itself."""

from notifications.services.notifications import notification_create

from .attachments import (
    ALLOWED_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    attachment_open,
    attachment_store,
    validate_upload,
)
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
from .workflow import (
    bureau_users_for,
    completion_approve,
    completion_request,
    completion_return,
    completion_sign_off,
    deadline_set_for_plan,
    deadline_set_for_section,
    deadlines_bulk_set,
    department_members,
    extension_decide,
    extension_request,
    report_review,
    task_members,
    task_urge,
)

__all__ = [
    "ALLOWED_TYPES",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "assignment_set",
    "attachment_open",
    "attachment_store",
    "bureau_users_for",
    "completion_approve",
    "completion_request",
    "completion_return",
    "completion_sign_off",
    "deadline_set_for_plan",
    "deadline_set_for_section",
    "deadlines_bulk_set",
    "department_members",
    "extension_decide",
    "extension_request",
    "indicator_create",
    "indicator_reading_record",
    "notification_create",
    "phase_create",
    "plan_create",
    "progress_report_submit",
    "report_review",
    "section_create",
    "task_create",
    "task_members",
    "task_set_due_date",
    "task_update_progress",
    "task_urge",
    "validate_upload",
]
