"""Shapes of the webhook API; the services validate and write."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from departments.api.serializers import RegionRefSerializer
from ipplan.api import fields

from ..events import SUBSCRIBABLE_KINDS, EventKind
from ..models import Delivery, Subscription


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    region = RegionRefSerializer()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventKind.choices))
    last_state = serializers.CharField(allow_null=True, read_only=True, default=None)
    last_status_code = serializers.IntegerField(allow_null=True, read_only=True, default=None)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "url",
            "description",
            "events",
            "region",
            "is_active",
            "disabled_reason",
            "disabled_at",
            "consecutive_failures",
            "previous_secret_expires_at",
            "last_state",
            "last_status_code",
            "version",
            "created_at",
            "updated_at",
        ]


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    """What creating or rotating answers: the signing secret is shown then."""

    secret = serializers.CharField(help_text="Standard Webhooks 签名密钥(whsec_…);请妥善保存")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "市督查系统订阅状态变更与逾期",
            request_only=True,
            value={
                "url": "https://duban.example.gov.cn/ipplan/webhook",
                "events": ["task.status_changed", "task.overdue"],
                "description": "市督查督办系统",
            },
        )
    ]
)
class SubscriptionWriteSerializer(serializers.Serializer[Any]):
    url = fields.CharField(max_length=500, help_text="接收地址(http 或 https)")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[(k, EventKind(k).label) for k in SUBSCRIBABLE_KINDS]),
        min_length=1,
        max_length=len(SUBSCRIBABLE_KINDS),
    )
    description = fields.CharField(max_length=200, required=False, allow_blank=True, trim_whitespace=False)
    region = fields.CharField(max_length=20, required=False, help_text="行政区划代码;省略时为本人所在区划")
    is_active = fields.BooleanField(required=False)


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    webhook_id = serializers.CharField(source="event_id")
    event_type = serializers.CharField(source="event.kind")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "state",
            "attempts",
            "next_attempt_at",
            "claimed_at",
            "last_status_code",
            "last_error",
            "duration_ms",
            "delivered_at",
            "created_at",
        ]


class EventTypeSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    label = serializers.CharField()
