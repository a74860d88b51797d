from django.urls import path
from rest_framework.routers import SimpleRouter

from . import imports, views

router = SimpleRouter()
router.register("plans", views.PlanViewSet, basename="api-plan")
router.register("sections", views.SectionViewSet, basename="api-section")
router.register("phases", views.PhaseViewSet, basename="api-phase")
router.register("tasks", views.TaskViewSet, basename="api-task")
router.register("indicators", views.IndicatorViewSet, basename="api-indicator")
router.register("reports", views.ReportViewSet, basename="api-report")
router.register("requests", views.TaskRequestViewSet, basename="api-request")

urlpatterns = [
    *router.urls,
    path(
        "attachments/<int:pk>/download/",
        views.AttachmentDownloadView.as_view(),
        name="api-attachment-download",
    ),
    path("dashboard/", views.DashboardView.as_view(), name="api-dashboard"),
    path(
        "assessment/snapshots/", views.AssessmentSnapshotListView.as_view(), name="api-assessment-snapshots"
    ),
    path("imports/", imports.ImportListView.as_view(), name="api-imports"),
    path("imports/<int:pk>/", imports.ImportDetailView.as_view(), name="api-import-detail"),
    path("imports/<int:pk>/commit/", imports.ImportCommitView.as_view(), name="api-import-commit"),
]
