"""The audit administrator's page: search the security audit log, and export what was found."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from ipplan.generic import RestrictedListView
from ipplan.permissions import Action, require

from .choices import EventAction
from .export import jsonl_line, syslog_line
from .filtersets import SecurityEventFilterSet
from .models import SecurityEvent
from .services import security_event

PAGE_SIZE = 50


def _found(request: HttpRequest, action: Action) -> tuple[SecurityEventFilterSet, QuerySet[SecurityEvent]]:
    require(request.user, action)
    events = SecurityEvent.objects.restrict(request.user, action)
    filterset = SecurityEventFilterSet(request.GET or None, queryset=events)
    if filterset.is_bound and not filterset.is_valid():
        return filterset, events.none()
    return filterset, filterset.qs.order_by("-seq")


class SecurityLog(RestrictedListView):
    """The log, newest first, searchable by actor, event, result, address and dates."""

    model = SecurityEvent
    action = Action.VIEW_SECURITY_LOG
    paginate_by = PAGE_SIZE
    template_name = "security/events.html"
    http_method_names = ["get", "head"]

    filterset_class = SecurityEventFilterSet

    def narrow(self, queryset: QuerySet[SecurityEvent]) -> QuerySet[SecurityEvent]:
        return queryset.order_by("-seq")

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, status=400 if self.invalid else 200, **response_kwargs)
        add_never_cache_headers(response)
        return response


security_log = SecurityLog.as_view()


@login_required
@require_GET
def security_log_export(request: HttpRequest) -> HttpResponseBase:
    """What the search found, oldest first, as JSON lines (``?format=syslog``: syslog lines)."""
    filterset, events = _found(request, Action.EXPORT_SECURITY_LOG)
    if filterset.is_bound and not filterset.is_valid():
        return security_log(request)
    fmt = "syslog" if request.GET.get("format") == "syslog" else "jsonl"
    security_event(
        action=EventAction.LOG_EXPORT,
        request=request,
        detail={"format": fmt, "query": request.META.get("QUERY_STRING", "")[:500], "count": events.count()},
    )
    render_line = jsonl_line if fmt == "jsonl" else syslog_line
    rows = (render_line(event) + "\n" for event in events.order_by("seq").iterator(chunk_size=2000))
    response = StreamingHttpResponse(rows, content_type="application/x-ndjson; charset=utf-8")
    if fmt == "syslog":
        response["Content-Type"] = "text/plain; charset=utf-8"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    extension = "jsonl" if fmt == "jsonl" else "log"
    response["Content-Disposition"] = f'attachment; filename="security-audit-{stamp}.{extension}"'
    add_never_cache_headers(response)
    return response
