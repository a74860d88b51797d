"""URLs of the work-plan pages."""

from django.urls import path

from .views import (
    actions,
    assessment,
    dashboard,
    imports,
    inbox,
    indicators,
    notifications,
    plans,
    reminders,
    review,
    task,
)

app_name = "tasks"

urlpatterns = [
    path("my/", inbox.inbox, name="inbox"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("tasks/", dashboard.task_list, name="task_list"),
    path("indicators/", indicators.indicator_list, name="indicator_list"),
    path("indicators/<int:pk>/", indicators.indicator_detail, name="indicator_detail"),
    path("tasks/ledger.xlsx", dashboard.ledger_export, name="ledger_export"),
    path("dashboard/briefing.docx", dashboard.briefing_export, name="briefing_export"),
    path("assessment/", assessment.assessment, name="assessment"),
    path("assessment/weights/", assessment.assessment_weights, name="assessment_weights"),
    path("assessment/export.xlsx", assessment.assessment_export, name="assessment_export"),
    path("review/", review.review, name="review"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notification_read, name="notifications_read"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/deadlines/", plans.plan_deadlines, name="plan_deadlines"),
    path("plans/<int:pk>/reminders/", reminders.plan_reminders, name="plan_reminders"),
    path("plans/import/", imports.import_start, name="import_start"),
    path("plans/<int:plan_id>/reimport/", imports.import_start, name="plan_reimport"),
    path("plans/import/<int:pk>/", imports.import_preview_view, name="import_preview"),
    path("plans/import/<int:pk>/discard/", imports.import_discard, name="import_discard"),
    path("plans/import/<int:pk>/status/", imports.import_status, name="import_status"),
    path("plans/import/<int:pk>/edit/", imports.import_edit, name="import_edit"),
    path("plans/import/<int:pk>/task/", imports.import_task_form, name="import_task_form"),
    path("plans/import/<int:pk>/departments/", imports.import_departments, name="import_departments"),
    path("tasks/<int:pk>/", task.task_page, name="task_detail"),
    path("tasks/<int:pk>/progress/", actions.update_progress, name="task_progress"),
    path("tasks/<int:pk>/reports/", actions.submit_report, name="report_submit"),
    path("tasks/<int:pk>/completion/", actions.request_completion, name="completion_request"),
    path("tasks/<int:pk>/extension/", actions.request_extension, name="extension_request"),
    path("tasks/<int:pk>/urge/", actions.urge, name="task_urge"),
    path("tasks/<int:pk>/deadline/", actions.set_deadline, name="task_deadline"),
    path("requests/<int:pk>/sign-off/", actions.sign_off, name="request_sign_off"),
    path("requests/<int:pk>/approve/", actions.approve, name="request_approve"),
    path("requests/<int:pk>/return/", actions.return_request, name="request_return"),
    path("requests/<int:pk>/extension/", actions.decide_extension, name="extension_decide"),
    path("reports/<int:pk>/review/", actions.review_report, name="report_review"),
    path("attachments/<int:pk>/", actions.download_attachment, name="attachment"),
]
