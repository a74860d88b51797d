"""Webhook subscriptions over the API: the bureau's managers create, change, test and delete them;
every write needs ``If-Match`` except creating and test-sending."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from departments.http import signed_in
from departments.models import Region
from ipplan.api.errors import lost_race
from ipplan.api.etag import check_if_match
from ipplan.api.views import ReadOnlyPolicyViewSet
from ipplan.exceptions import ConflictError
from ipplan.permissions import Action, require

from .. import services
from ..events import SUBSCRIBABLE_KINDS, EventKind
from ..models import Subscription
from ..selectors import deliveries_for, regions_for, with_last_delivery
from . import serializers as s


@extend_schema_view(
    list=extend_schema(tags=["webhooks"]),
    retrieve=extend_schema(tags=["webhooks"]),
    create=extend_schema(
        tags=["webhooks"],
        request=s.SubscriptionWriteSerializer,
        responses={201: s.SubscriptionWithSecretSerializer},
    ),
    partial_update=extend_schema(
        tags=["webhooks"],
        request=s.SubscriptionWriteSerializer(partial=True),
        responses=s.SubscriptionSerializer,
    ),
    destroy=extend_schema(tags=["webhooks"]),
)
class SubscriptionViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, ReadOnlyPolicyViewSet):
    """Webhook subscriptions of the caller's region (and the regions below it). Events are signed
    by the Standard Webhooks scheme with the subscription's secret, shown when it is created or
    rotated."""

    read_action = Action.MANAGE_WEBHOOKS
    serializer_class = s.SubscriptionSerializer
    filterset_class = None
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    if_match_actions = ("rotate_secret", "enable")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        require(request.user, Action.MANAGE_WEBHOOKS)  # 403 for roles that never manage webhooks

    model = Subscription

    def narrow(self, queryset: QuerySet[Subscription]) -> QuerySet[Subscription]:
        return with_last_delivery(queryset)

    def _region(self, code: str | None) -> Region | None:
        if code is None:
            return None
        region = regions_for(self.request.user).filter(code=code).first()
        if region is None:
            # well formed, refused by the policy: 422 like the service's own region check
            raise DjangoValidationError({"region": [_("没有这个行政区划,或不在您的管理范围内。")]})
        return region

    def _fresh(
        self, subscription: Subscription, serializer: type[s.SubscriptionSerializer], status: int = 200
    ) -> Response:
        fresh = self.get_queryset().get(pk=subscription.pk)
        response = self.conditional(self.request, fresh, serializer(fresh).data)
        response.status_code = status
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.SubscriptionWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        subscription = services.subscription_create(
            actor=signed_in(request),
            url=data["url"],
            events=data["events"],
            region=self._region(data.get("region")),
            description=data.get("description", ""),
            is_active=data.get("is_active", True),
        )
        return self._fresh(subscription, s.SubscriptionWithSecretSerializer, status=201)

    def _versioned(self, request: Request, service: Callable[..., Any], **changes: Any) -> Any:
        """Call a service that changes the subscription under ``If-Match`` (428/412 as usual)."""
        subscription = self.get_object()
        expected = check_if_match(request, subscription)
        try:
            return service(
                actor=signed_in(request), subscription=subscription, expected_version=expected, **changes
            )
        except ConflictError as exc:
            raise lost_race(exc) from None

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.SubscriptionWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        subscription = self._versioned(
            request,
            services.subscription_update,
            url=data.get("url"),
            events=data.get("events"),
            description=data.get("description"),
            region=self._region(data.get("region")),
            is_active=data.get("is_active"),
        )
        return self._fresh(subscription, s.SubscriptionSerializer)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._versioned(request, services.subscription_delete)
        return Response(status=204)

    @extend_schema(tags=["webhooks"], request=None, responses={201: s.DeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        """Send a ``webhook.test`` event to this subscription now (through the same outbox)."""
        delivery = services.subscription_test_send(actor=signed_in(request), subscription=self.get_object())
        return Response(s.DeliverySerializer(delivery).data, status=201)

    @extend_schema(tags=["webhooks"], request=None, responses=s.SubscriptionWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        """Replace the signing secret; the answer shows the new one."""
        subscription = self._versioned(request, services.subscription_rotate_secret)
        return self._fresh(subscription, s.SubscriptionWithSecretSerializer)

    @extend_schema(tags=["webhooks"], request=None, responses=s.SubscriptionSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str) -> Response:
        """Turn a (possibly automatically) disabled subscription on again."""
        subscription = self._versioned(request, services.subscription_enable)
        return self._fresh(subscription, s.SubscriptionSerializer)

    @extend_schema(tags=["webhooks"], responses=s.DeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        """The delivery log, newest first: attempts, status codes, errors, durations."""
        rows = deliveries_for(request.user, self.get_object())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.DeliverySerializer(page, many=True).data)

    @extend_schema(tags=["webhooks"], responses=s.EventTypeSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="event-types", pagination_class=None)
    def event_types(self, request: Request) -> Response:
        """The events a subscription may choose."""
        return Response([{"type": kind, "label": str(EventKind(kind).label)} for kind in SUBSCRIBABLE_KINDS])
