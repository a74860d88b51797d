"""The project's URLs with the peer API mounted beside them (benchmarks only)."""

from django.urls import include, path

from .peer import router

urlpatterns = [
    path("peer/api/", include(router.urls)),
    path("", include("config.urls")),
]
