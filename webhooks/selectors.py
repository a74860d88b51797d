"""Every user-facing read of the webhooks app, starting from the permission policy."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import OuterRef, QuerySet, Subquery

from departments.models import Region, User
from ipplan.permissions import Action

from .models import Delivery, Subscription


def with_last_delivery(subscriptions: QuerySet[Subscription]) -> QuerySet[Subscription]:
    """The subscriptions with the state of each one's latest delivery, in the list's order."""
    latest = Delivery.objects.filter(subscription=OuterRef("pk")).order_by("-created_at", "-pk")
    rows = subscriptions.select_related("region").annotate(
        last_state=Subquery(latest.values("state")[:1]),
        last_status_code=Subquery(latest.values("last_status_code")[:1]),
        last_attempt_at=Subquery(latest.values("claimed_at")[:1]),
    )
    return rows.order_by("region__path", "url", "pk")


def deliveries_for(user: User | AnonymousUser, subscription: Subscription) -> QuerySet[Delivery]:
    """The subscription's delivery log, newest first."""
    rows = Delivery.objects.restrict(user, Action.MANAGE_WEBHOOKS).filter(subscription=subscription)
    return rows.select_related("event").order_by("-created_at", "-pk")


def regions_for(user: User | AnonymousUser) -> QuerySet[Region]:
    """Regions the user may attach a subscription to."""
    return Region.objects.restrict(user, Action.MANAGE_WEBHOOKS).order_by("path")
