"""``/api/``: the schema, its documentation, and version 1 of the API."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("deleted", views.TombstoneViewSet, basename="api-deleted")

v1 = [
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
    path("", include("tasks.api.urls")),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("docs/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("v1/", include(v1)),
]
