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
from ipplan.generic import ServiceActionView, form_messages
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


class TaskActionView(ServiceActionView):
    """An action whose answer is the task page: the object is a task, a request on it or a report
    of it (``task_of``)."""

    request: AuthenticatedRequest
    model: ClassVar[type[models.Model]] = Task
    lookup_action = Action.VIEW_TASK
    follow_next = True

    def task_of(self, obj: Any) -> Task:
        return obj if isinstance(obj, Task) else obj.task

    def form_invalid(self, form: forms.BaseForm, obj: Any) -> HttpResponse:
        task = self.task_of(obj)
        task.refresh_from_db()
        return render_task_page(self.request, task, status=400, errors=form_messages(form))

    def conflict(self, error: ConflictError, form: forms.BaseForm, obj: Any) -> HttpResponse:
        task = self.task_of(obj)
        task.refresh_from_db()
        current = dict(error.current)
        current["status_label"] = TaskStatus(current.get("status", task.status)).label
        note_reason(self.request, f"conflict: {error.message}")
        return render_task_page(
            self.request, task, status=409, conflict={"message": error.message, "current": current}
        )

    def success_url(self, obj: Any, result: Any) -> str:
        return reverse("tasks:task_detail", args=[self.task_of(obj).pk])


class OnTask(TaskActionView):
    def get_object(self) -> Task:
        return task_detail(self.request.user, self.kwargs["pk"])


class OnRequest(TaskActionView):
    model = TaskRequest

    def lookup_queryset(self) -> QuerySet[TaskRequest]:
        return TaskRequest.objects.select_related("task")


class OnReport(TaskActionView):
    model = ProgressReport

    def lookup_queryset(self) -> QuerySet[ProgressReport]:
        return ProgressReport.objects.select_related("task")


class UpdateProgress(OnTask):
    form_class = ProgressForm
    success_message = _("已保存状态和进度。")

    def perform(self, form: forms.BaseForm, obj: Task) -> Any:
        data = form.cleaned_data
        return task_update_progress(
            actor=self.request.user,
            task=obj,
            expected_version=data["version"],
            status=data["status"] or None,
            progress=data["progress"],
        )


class SubmitReport(OnTask):
    form_class = ReportForm
    success_message = _("已提交进展填报。")

    def perform(self, form: forms.BaseForm, obj: Task) -> Any:
        data = form.cleaned_data
        return progress_report_submit(
            actor=self.request.user,
            task=obj,
            text=data["text"],
            percent=data["percent"],
            period=data["period"],
            attachments=data["files"],
        )


class RequestCompletion(OnTask):
    form_class = CompletionRequestForm
    success_message = _("已提交办结申请。")

    def perform(self, form: forms.BaseForm, obj: Task) -> Any:
        data = form.cleaned_data
        return workflow.completion_request(
            actor=self.request.user, task=obj, expected_version=data["version"], reason=data["reason"]
        )


class SignOff(OnRequest):
    form_class = CommentForm
    success_message = _("已签批,提交知识产权局审核。")

    def perform(self, form: forms.BaseForm, obj: TaskRequest) -> Any:
        return workflow.completion_sign_off(actor=self.request.user, request=obj)


class Approve(OnRequest):
    form_class = CommentForm
    success_message = _("已批准办结。")

    def perform(self, form: forms.BaseForm, obj: TaskRequest) -> Any:
        return workflow.completion_approve(
            actor=self.request.user, request=obj, comment=form.cleaned_data["comment"]
        )


class ReturnRequest(OnRequest):
    form_class = CommentForm
    success_message = _("已退回。")

    def perform(self, form: forms.BaseForm, obj: TaskRequest) -> Any:
        return workflow.completion_return(
            actor=self.request.user, request=obj, comment=form.cleaned_data["comment"]
        )


class RequestExtension(OnTask):
    form_class = ExtensionRequestForm
    success_message = _("已提交延期申请。")

    def perform(self, form: forms.BaseForm, obj: Task) -> Any:
        data = form.cleaned_data
        return workflow.extension_request(
            actor=self.request.user,
            task=obj,
            requested_due_date=data["requested_due_date"],
            reason=data["reason"],
        )


class DecideExtension(OnRequest):
    form_class = ExtensionDecisionForm
    success_message = _("已处理延期申请。")

    def perform(self, form: forms.BaseForm, obj: TaskRequest) -> Any:
        data = form.cleaned_data
        return workflow.extension_decide(
            actor=self.request.user, request=obj, approve=data["approve"], comment=data["comment"]
        )


class Urge(OnTask):
    form_class = UrgeForm
    success_message = _("已催办,已通知承办单位。")

    def perform(self, form: forms.BaseForm, obj: Task) -> Any:
        return workflow.task_urge(actor=self.request.user, task=obj, message=form.cleaned_data["message"])


class SetDeadline(OnTask):
    form_class = DeadlineForm
    success_message = _("已修改完成时限。")

    def perform(self, form: forms.BaseForm, obj: Task) -> Any:
        data = form.cleaned_data
        return task_set_due_date(
            actor=self.request.user, task=obj, due_date=data["due_date"], expected_version=data["version"]
        )


class ReviewReport(OnReport):
    form_class = ReportReviewForm
    success_message = _("已审核进展填报。")

    def perform(self, form: forms.BaseForm, obj: ProgressReport) -> Any:
        data = form.cleaned_data
        return workflow.report_review(
            actor=self.request.user, report=obj, accept=data["accept"], comment=data["comment"]
        )


class CorrectReport(OnReport):
    """The reporting department corrects its report: a new version; the old one stays."""

    form_class = ReportCorrectionForm
    success_message = _("已提交更正,原填报保留并标为已被更正。")

    def perform(self, form: forms.BaseForm, obj: ProgressReport) -> Any:
        data = form.cleaned_data
        return progress_report_correct(
            actor=self.request.user,
            report=obj,
            text=data["text"],
            percent=data["percent"],
            attachments=data["files"],
        )


update_progress = UpdateProgress.as_view()
submit_report = SubmitReport.as_view()
request_completion = RequestCompletion.as_view()
sign_off = SignOff.as_view()
approve = Approve.as_view()
return_request = ReturnRequest.as_view()
request_extension = RequestExtension.as_view()
decide_extension = DecideExtension.as_view()
urge = Urge.as_view()
set_deadline = SetDeadline.as_view()
review_report = ReviewReport.as_view()
correct_report = CorrectReport.as_view()


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
