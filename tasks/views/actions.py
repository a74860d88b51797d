"""Actions on a task, each a POST that calls one service.

Success redirects back to the task page with a message. A refused action re-renders the task page
with the error and what the user typed (400), a stale form shows the current values (409), and
a forbidden one answers 403 (404 when the user may not even see the object).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ipplan.exceptions import ConflictError
from ipplan.permissions import Action, get_for
from ipplan.refusals import note_reason

from ..choices import TaskStatus
from ..downloads import attachment_response
from ..models import Attachment, ProgressReport, Task, TaskRequest
from ..selectors import task_detail
from ..services import workflow
from ..services.attachments import AttachmentIntegrityError
from ..services.evidence import progress_report_correct
from ..services.progress import progress_report_submit, task_set_due_date, task_update_progress
from .task import render_task_page


def _int(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise ValidationError({field: _("请输入整数。")}) from None


def _text(request: HttpRequest, field: str) -> str:
    """A text field of the form; a NUL character (which PostgreSQL cannot store) is a form error
    raised before any service runs, so nothing is written."""
    value = request.POST.get(field, "")
    if "\x00" in value:
        raise ValidationError({field: _("输入内容不能包含空字符(NUL)。")}, code="null_characters_not_allowed")
    return value


def _date(value: str | None, field: str, *, required: bool = True) -> dt.date | None:
    if not value:
        if required:
            raise ValidationError({field: _("请选择日期。")})
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: _("日期格式不正确。")}) from None


def _perform(request: HttpRequest, task: Task, action: Callable[[], Any], success: str) -> HttpResponse:
    try:
        action()
    except ConflictError as conflict:
        task.refresh_from_db()
        current = dict(conflict.current)
        current["status_label"] = TaskStatus(current.get("status", task.status)).label
        note_reason(request, f"conflict: {conflict.message}")
        return render_task_page(
            request, task, status=409, conflict={"message": conflict.message, "current": current}
        )
    except ValidationError as error:
        task.refresh_from_db()
        return render_task_page(request, task, status=400, errors=error.messages)
    messages.success(request, success)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)  # e.g. back to the review queue, to go on with the next item
    return redirect("tasks:task_detail", task.pk)


def _task(request: HttpRequest, pk: int) -> Task:
    return task_detail(request.user, pk)  # type: ignore[arg-type]


def _request(request: HttpRequest, pk: int) -> TaskRequest:
    return get_for(request.user, Action.VIEW_TASK, TaskRequest.objects.select_related("task"), pk=pk)


@login_required
@require_POST
def update_progress(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    return _perform(
        request,
        task,
        lambda: task_update_progress(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            expected_version=_int(request.POST.get("version"), "version"),
            status=request.POST.get("status") or None,
            progress=_int(request.POST.get("progress"), "progress") if request.POST.get("progress") else None,
        ),
        _("已保存状态和进度。"),
    )


@login_required
@require_POST
def submit_report(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    return _perform(
        request,
        task,
        lambda: progress_report_submit(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            text=_text(request, "text"),
            percent=_int(request.POST.get("percent"), "percent"),
            period=_text(request, "period"),
            attachments=request.FILES.getlist("files"),
        ),
        _("已提交进展填报。"),
    )


@login_required
@require_POST
def request_completion(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    return _perform(
        request,
        task,
        lambda: workflow.completion_request(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            expected_version=_int(request.POST.get("version"), "version"),
            reason=_text(request, "reason"),
        ),
        _("已提交办结申请。"),
    )


@login_required
@require_POST
def sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    item = _request(request, pk)
    return _perform(
        request,
        item.task,
        lambda: workflow.completion_sign_off(actor=request.user, request=item),  # type: ignore[arg-type]
        _("已签批,提交知识产权局审核。"),
    )


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    item = _request(request, pk)
    return _perform(
        request,
        item.task,
        lambda: workflow.completion_approve(
            actor=request.user,  # type: ignore[arg-type]
            request=item,
            comment=_text(request, "comment"),
        ),
        _("已批准办结。"),
    )


@login_required
@require_POST
def return_request(request: HttpRequest, pk: int) -> HttpResponse:
    item = _request(request, pk)
    return _perform(
        request,
        item.task,
        lambda: workflow.completion_return(
            actor=request.user,  # type: ignore[arg-type]
            request=item,
            comment=_text(request, "comment"),
        ),
        _("已退回。"),
    )


@login_required
@require_POST
def request_extension(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    return _perform(
        request,
        task,
        lambda: workflow.extension_request(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            requested_due_date=_date(request.POST.get("requested_due_date"), "requested_due_date"),
            reason=_text(request, "reason"),
        ),
        _("已提交延期申请。"),
    )


@login_required
@require_POST
def decide_extension(request: HttpRequest, pk: int) -> HttpResponse:
    item = _request(request, pk)
    return _perform(
        request,
        item.task,
        lambda: workflow.extension_decide(
            actor=request.user,  # type: ignore[arg-type]
            request=item,
            approve=request.POST.get("approve") == "1",
            comment=_text(request, "comment"),
        ),
        _("已处理延期申请。"),
    )


@login_required
@require_POST
def urge(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    return _perform(
        request,
        task,
        lambda: workflow.task_urge(actor=request.user, task=task, message=_text(request, "message")),  # type: ignore[arg-type]
        _("已催办,已通知承办单位。"),
    )


@login_required
@require_POST
def set_deadline(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    return _perform(
        request,
        task,
        lambda: task_set_due_date(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            due_date=_date(request.POST.get("due_date"), "due_date", required=False),
            expected_version=_int(request.POST.get("version"), "version"),
        ),
        _("已修改完成时限。"),
    )


@login_required
@require_POST
def review_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_for(request.user, Action.VIEW_TASK, ProgressReport.objects.select_related("task"), pk=pk)
    return _perform(
        request,
        report.task,
        lambda: workflow.report_review(
            actor=request.user,  # type: ignore[arg-type]
            report=report,
            accept=request.POST.get("accept") == "1",
            comment=_text(request, "comment"),
        ),
        _("已审核进展填报。"),
    )


@login_required
@require_POST
def correct_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The reporting department corrects its report: a new version; the old one stays."""
    report = get_for(request.user, Action.VIEW_TASK, ProgressReport.objects.select_related("task"), pk=pk)
    return _perform(
        request,
        report.task,
        lambda: progress_report_correct(
            actor=request.user,  # type: ignore[arg-type]
            report=report,
            text=request.POST.get("text", ""),
            percent=_int(request.POST.get("percent"), "percent"),
            attachments=request.FILES.getlist("files"),
        ),
        _("已提交更正,原填报保留并标为已被更正。"),
    )


@login_required
@require_GET
def download_attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    attachment = get_for(request.user, Action.VIEW_TASK, Attachment.objects.select_related("report"), pk=pk)
    try:
        return attachment_response(actor=request.user, attachment=attachment)
    except AttachmentIntegrityError as error:
        # 409: the stored file conflicts with its record; the page says so instead of serving it
        context = {"message": error.message, "task_id": attachment.report.task_id}
        return render(request, "tasks/attachment_refused.html", context, status=409)
