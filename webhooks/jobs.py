"""Celery jobs of the webhooks app (autodiscovered as ``<app>.jobs``).

Both are idempotent: every delivery is claimed before it is sent, so a second run, a concurrent
run or a redelivered message sends nothing twice (see webhooks.delivery).
"""

from __future__ import annotations

from celery import shared_task

from .delivery import deliveries_deliver_pending, delivery_send, events_prune


@shared_task(name="webhooks.jobs.webhooks_deliver")
def webhooks_deliver(limit: int | None = None) -> dict[str, int]:
    """Re-queue deliveries stuck in 'sending', then send every pending one that is due."""
    return deliveries_deliver_pending(limit=limit)


@shared_task(name="webhooks.jobs.webhook_send")
def webhook_send(delivery_id: int) -> str:
    """Send one delivery now (a no-op when it is delivered, being sent, or not due yet)."""
    return delivery_send(delivery_id=delivery_id)


@shared_task(name="webhooks.jobs.webhooks_prune")
def webhooks_prune() -> int:
    """Drop finished events older than IPPLAN_WEBHOOK_KEEP_DAYS, with their delivery log."""
    return events_prune()
