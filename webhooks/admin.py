"""Read-only admin pages: subscriptions and deliveries are changed through the webhook pages
(their services generate secrets, validate URLs and keep versions), not through generic forms."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse

from ipplan.admin import ReadOnlyPolicyAdmin
from ipplan.permissions import Action

from .models import Delivery, Subscription


class _ReadOnly(ReadOnlyPolicyAdmin):
    view_action = Action.MANAGE_WEBHOOKS
    change_action = Action.MANAGE_WEBHOOKS


@admin.register(Subscription)
class SubscriptionAdmin(_ReadOnly):
    list_display = ["url", "region", "is_active", "consecutive_failures", "version", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    exclude = ["secret"]

    def portal_url(self, obj: Subscription) -> str:
        return reverse("webhooks:detail", args=[obj.pk])


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly):
    list_display = ["event", "subscription", "state", "attempts", "last_status_code", "created_at"]
    list_filter = ["state"]
    list_select_related = ["event", "subscription"]

    def portal_url(self, obj: Delivery) -> str:
        return reverse("webhooks:deliveries", args=[obj.subscription_id])

    # status and timing only: what a receiver answered is never shown (old rows may still hold it)
    exclude = ["last_response_excerpt"]
