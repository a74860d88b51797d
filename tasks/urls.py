"""URLs of the work-plan pages."""

from django.urls import path

from .views import imports, plans

app_name = "tasks"

urlpatterns = [
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/import/", imports.import_start, name="import_start"),
    path("plans/<int:plan_id>/reimport/", imports.import_start, name="plan_reimport"),
    path("plans/import/<int:pk>/", imports.import_preview_view, name="import_preview"),
    path("plans/import/<int:pk>/discard/", imports.import_discard, name="import_discard"),
]
