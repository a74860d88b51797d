"""``/api/``: the schema, its documentation, and the kernel's endpoints of version 1 (``v1``)."""

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("deleted", views.TombstoneViewSet, basename="api-deleted")

#: The kernel's own endpoints of version 1; config/urls.py puts the apps' endpoints beside them.
v1 = [
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]

# The documentation pages run third-party UIs (Swagger UI, Redoc, served from our static files)
# that inject <style> elements and start a web worker from a blob: URL; these two pages alone
# get that much more room than the rest of the site. They show the schema, no user data. (Redoc's
# footer links a logo on the Redocly CDN; the policy blocks it, as it blocks any outside call.)
docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path(
        "docs/redoc/",
        docs_csp(SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")),
        name="api-redoc",
    ),
]
