"""Serializers of the notification API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ipplan.api import fields

from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "kind", "task", "message", "created_at", "read_at"]


class MarkReadSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=fields.IntegerField(min_value=1),
        required=False,
        max_length=1000,
        help_text="省略则全部标为已读",
    )


class MarkReadResultSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField()
