from django.urls import path

from . import imports

urlpatterns = [
    path("imports/", imports.ImportListView.as_view(), name="api-imports"),
    path("imports/<int:pk>/", imports.ImportDetailView.as_view(), name="api-import-detail"),
    path("imports/<int:pk>/commit/", imports.ImportCommitView.as_view(), name="api-import-commit"),
]
