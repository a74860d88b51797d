"""Status, progress, deadlines and progress reports of a task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import User
from ipplan.audit import save_as
from ipplan.exceptions import TransitionError
from ipplan.permissions import Action, require
from ipplan.versioning import lock_and_check, save_versioned

from .. import events
from .. import status as status_table
from ..choices import TaskStatus
from ..models import ProgressReport, Task
from ..status import Door
from .attachments import UploadedFile, files_discarded_on_error, store_file, validate_uploads

#: Statuses the lead department may set itself (the status table's direct door), in display order.
SELF_SERVICE_STATUSES = tuple(s for s in TaskStatus if s in status_table.SELF_SERVICE)


def _current_values(task: Task) -> dict[str, Any]:
    return {
        "status": task.status,
        "progress": task.progress,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "version": task.version,
    }


def lock_task(task: Task, expected_version: int | None) -> Task:
    """The task re-read under a row lock (with its plan and region); a stale version is a conflict."""
    return lock_and_check(
        Task, task.pk, expected_version, select_related=("plan__region",), current=_current_values
    )


def status_error(task: Task, doing: str) -> TransitionError:
    """The refusal of ``doing`` on a task whose status does not allow it."""
    return TransitionError(
        _("任务当前状态为“%(status)s”,不能%(doing)s。")
        % {"status": TaskStatus(task.status).label, "doing": doing},
        code="invalid_transition",
    )


def check_task_open(task: Task, doing: str) -> None:
    """Refuse ``doing`` on a completed or cancelled task (the page does not offer it either)."""
    if task.is_closed:
        raise status_error(task, doing)


@transaction.atomic
def task_update_progress(
    *,
    actor: User,
    task: Task,
    expected_version: int,
    status: str | None = None,
    progress: int | None = None,
    reason: str = "",
) -> Task:
    """The lead department sets the task's status and progress."""
    require(actor, Action.UPDATE_PROGRESS, task)
    task = lock_task(task, expected_version)
    old_status = task.status
    changed: list[str] = []
    if status is not None and status != task.status:
        status_table.check(Door.DIRECT, task.status, status)
        task.status = status
        changed.append("status")
    if progress is not None and progress != task.progress:
        check_task_open(task, _("更新进度"))
        if not 0 <= progress <= 100:
            raise ValidationError({"progress": _("进度必须在 0 到 100 之间。")})
        task.progress = progress
        changed.append("progress")
        if task.status == TaskStatus.NOT_STARTED and progress > 0 and "status" not in changed:
            task.status = TaskStatus.IN_PROGRESS
            changed.append("status")
    if not changed:
        return task
    save_versioned(task, actor=actor, reason=reason or "progress", update_fields=changed)
    events.publish(events.TaskStatusChanged(task, old_status, actor))
    return task


@transaction.atomic
def task_set_due_date(
    *,
    actor: User,
    task: Task,
    due_date: dt.date | None,
    expected_version: int | None = None,
    reason: str = "",
) -> Task:
    """The bureau (or an administrator) sets a task's deadline."""
    require(actor, Action.EDIT_DEADLINE, task)
    task = lock_task(task, expected_version)
    if task.due_date == due_date:
        return task
    if due_date is not None and task.start_date is not None and due_date < task.start_date:
        raise ValidationError({"due_date": _("完成时限不能早于开始日期。")})
    task.due_date = due_date
    return save_versioned(task, actor=actor, reason=reason or "deadline", update_fields=["due_date"])


def progress_report_submit(
    *,
    actor: User,
    task: Task,
    text: str,
    percent: int,
    period: str,
    attachments: Sequence[UploadedFile] = (),
) -> ProgressReport:
    """An assigned department reports progress on a task for a period, with evidence files.

    Every file is checked before anything is written; if anything fails, the report is not saved
    and no file stays in storage (the cleanup wraps the transaction, so it covers the commit too).
    """

    def report() -> ProgressReport:
        require(actor, Action.SUBMIT_REPORT, task)
        check_task_open(Task.objects.select_for_update().get(pk=task.pk), _("填报进展"))
        assert actor.department is not None  # guaranteed by the ASSIGNED scope
        return ProgressReport(
            task=task,
            department=actor.department,
            author=actor,
            period=period.strip(),
            text=text.strip(),
            percent=percent,
        )

    return report_filed(actor=actor, report=report, attachments=attachments, reason="submit")


def report_filed(
    *,
    actor: User,
    report: Callable[[], ProgressReport],
    attachments: Sequence[UploadedFile],
    reason: str,
) -> ProgressReport:
    """Save the progress report that ``report()`` checks permission and state for and builds (in
    the transaction), with its evidence files, and tell its subscribers. Its text, its percent and
    every file are checked before anything is written; when anything is refused nothing is saved
    and no file stays in storage (the cleanup wraps the transaction, so it covers the commit too)."""
    files = list(attachments)
    with files_discarded_on_error() as stored, transaction.atomic():
        filed = report()
        if not filed.text:
            raise ValidationError({"text": _("请填写进展情况。")})
        if not 0 <= filed.percent <= 100:
            raise ValidationError({"percent": _("进度必须在 0 到 100 之间。")})
        kinds = validate_uploads(files)
        save_as(filed, actor=actor, reason=reason)
        for file, (content_type, _ext) in zip(files, kinds, strict=True):
            store_file(report=filed, file=file, actor=actor, content_type=content_type, stored=stored)
        events.publish(events.ReportSubmitted(filed))
        return filed
