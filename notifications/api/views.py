"""The API of the caller's own notifications."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from departments.http import signed_in
from ipplan.api.views import ReadOnlyPolicyViewSet
from ipplan.permissions import Action

from ..filtersets import NotificationFilterSet
from ..models import Notification
from ..services.notifications import notifications_mark_read
from . import serializers as s


@extend_schema_view(list=extend_schema(tags=["notifications"]))
class NotificationViewSet(ReadOnlyPolicyViewSet):
    """The caller's own notifications (提醒与消息), newest first."""

    read_action = Action.VIEW_OWN_NOTIFICATIONS
    serializer_class = s.NotificationSerializer
    filterset_class = NotificationFilterSet
    etag_detail = False

    model = Notification

    def narrow(self, queryset: QuerySet[Notification]) -> QuerySet[Notification]:
        return queryset.order_by("-created_at", "-id")

    @extend_schema(
        tags=["notifications"],
        request=s.MarkReadSerializer,
        responses=s.MarkReadResultSerializer,
        filters=False,
    )
    @action(detail=False, methods=["post"], url_path="mark-read", filter_backends=[], pagination_class=None)
    def mark_read(self, request: Request) -> Response:
        """Mark these notifications (or all of them) read."""
        form = s.MarkReadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ids = form.validated_data.get("ids")
        return Response({"marked": notifications_mark_read(actor=signed_in(request), ids=ids)})
