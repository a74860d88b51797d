"""Read-only admin pages: subscriptions and deliveries are changed through the webhook pages
(their services generate secrets and keep versions), not through generic forms."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ipplan.admin import PolicyAdmin
from ipplan.permissions import Action

from .models import Delivery, Subscription


class _ReadOnly(PolicyAdmin):
    view_action = Action.MANAGE_WEBHOOKS
    change_action = Action.MANAGE_WEBHOOKS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(_ReadOnly):
    list_display = ["url", "region", "is_active", "consecutive_failures", "version", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    exclude = ["secret"]


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    list_display = ["event", "subscription", "state", "attempts", "last_status_code", "created_at"]
    list_filter = ["state"]
    list_select_related = ["event", "subscription"]
    # status and timing only: what a receiver answered is never shown (old rows may still hold it)
    exclude = ["last_response_excerpt"]
