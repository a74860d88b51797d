"""Actions on a task, each a POST that validates a form and calls one service.

Success redirects back to the task page with a message (or to ``next``, e.g. the review queue). A
refused action re-renders the task page with the error and what the user typed (400), a stale form
shows the current values (409), and a forbidden one answers 403 (404 when the user may not even see
the object).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import models
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from departments.http import AuthenticatedRequest
from ipplan.exceptions import ConflictError
from ipplan.generic import NoInputForm, Refusal, ServiceActionView
from ipplan.permissions import Action, get_for
from ipplan.refusals import note_reason

from ..choices import TaskStatus
from ..downloads import attachment_response
from ..forms import (
    CommentForm,
    CompletionRequestForm,
    DeadlineForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    ProgressForm,
    ReportCorrectionForm,
    ReportForm,
    ReportReviewForm,
    UrgeForm,
)
from ..models import Attachment, ProgressReport, Task, TaskRequest
from ..selectors import task_detail
from ..services import workflow
from ..services.attachments import AttachmentIntegrityError
from ..services.evidence import progress_report_correct
from ..services.progress import progress_report_submit, task_set_due_date, task_update_progress
from .task import render_task_page

#: the pages' field names that the services call otherwise
SERVICE_NAMES = {"version": "expected_version", "files": "attachments"}


class TaskActionView(ServiceActionView):
    """An action whose answer is the task page: the object is a task, a request on it or a report
    of it (``task_of``)."""

    request: AuthenticatedRequest
    model: ClassVar[type[models.Model]] = Task
    lookup_action = Action.VIEW_TASK
    follow_next = True
    service_names = SERVICE_NAMES

    def task_of(self, obj: Any) -> Task:
        return obj if isinstance(obj, Task) else obj.task

    def form_invalid(self, form: forms.BaseForm, obj: Any) -> HttpResponse:
        task = self.task_of(obj)
        task.refresh_from_db()
        return render_task_page(self.request, task, Refusal.invalid(form))

    def conflict(self, error: ConflictError, form: forms.BaseForm, obj: Any) -> HttpResponse:
        task = self.task_of(obj)
        task.refresh_from_db()
        current = dict(error.current)
        current["status_label"] = TaskStatus(current.get("status", task.status)).label
        note_reason(self.request, f"conflict: {error.message}")
        return render_task_page(self.request, task, Refusal.stale(form, error, current))

    def success_url(self, obj: Any, result: Any) -> str:
        return reverse("tasks:task_detail", args=[self.task_of(obj).pk])


class OnTask(TaskActionView):
    object_name = "task"

    def get_object(self) -> Task:
        return task_detail(self.request.user, self.kwargs["pk"])


class OnRequest(TaskActionView):
    model = TaskRequest
    object_name = "request"

    def lookup_queryset(self) -> QuerySet[TaskRequest]:
        return TaskRequest.objects.select_related("task")


class OnReport(TaskActionView):
    model = ProgressReport
    object_name = "report"

    def lookup_queryset(self) -> QuerySet[ProgressReport]:
        return ProgressReport.objects.select_related("task")


# Each action: its form, the service it calls, what the page says after it.
update_progress = OnTask.as_view(
    form_class=ProgressForm, service=task_update_progress, success_message=_("已保存状态和进度。")
)
submit_report = OnTask.as_view(
    form_class=ReportForm, service=progress_report_submit, success_message=_("已提交进展填报。")
)
request_completion = OnTask.as_view(
    form_class=CompletionRequestForm,
    service=workflow.completion_request,
    success_message=_("已提交办结申请。"),
)
request_extension = OnTask.as_view(
    form_class=ExtensionRequestForm, service=workflow.extension_request, success_message=_("已提交延期申请。")
)
urge = OnTask.as_view(
    form_class=UrgeForm, service=workflow.task_urge, success_message=_("已催办,已通知承办单位。")
)
set_deadline = OnTask.as_view(
    form_class=DeadlineForm, service=task_set_due_date, success_message=_("已修改完成时限。")
)
sign_off = OnRequest.as_view(
    form_class=NoInputForm,
    service=workflow.completion_sign_off,
    success_message=_("已签批,提交知识产权局审核。"),
)
approve = OnRequest.as_view(
    form_class=CommentForm, service=workflow.completion_approve, success_message=_("已批准办结。")
)
return_request = OnRequest.as_view(
    form_class=CommentForm, service=workflow.completion_return, success_message=_("已退回。")
)
decide_extension = OnRequest.as_view(
    form_class=ExtensionDecisionForm, service=workflow.extension_decide, success_message=_("已处理延期申请。")
)
review_report = OnReport.as_view(
    form_class=ReportReviewForm, service=workflow.report_review, success_message=_("已审核进展填报。")
)
# the reporting department corrects its report: a new version; the old one stays
correct_report = OnReport.as_view(
    form_class=ReportCorrectionForm,
    service=progress_report_correct,
    success_message=_("已提交更正,原填报保留并标为已被更正。"),
)


@login_required
@require_GET
def download_attachment(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    attachment = get_for(request.user, Action.VIEW_TASK, Attachment.objects.select_related("report"), pk=pk)
    try:
        return attachment_response(actor=request.user, attachment=attachment)
    except AttachmentIntegrityError as error:
        # 409: the stored file conflicts with its record; the page says so instead of serving it
        context = {"message": error.message, "task_id": attachment.report.task_id}
        return render(request, "tasks/attachment_refused.html", context, status=409)
