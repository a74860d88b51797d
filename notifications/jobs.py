"""Celery jobs of the notifications app (autodiscovered as ``<app>.jobs``).

Both are idempotent: every row is claimed before it is sent, so a second run, a concurrent run
or a redelivered message sends nothing twice (see notifications.services.delivery).

The names are the ones these jobs had when they lived in ``tasks.jobs``: they are what the broker
carries, what beat schedules and what the queues are routed by, so messages queued by a running
release are still understood after an upgrade.
"""

from __future__ import annotations

from celery import shared_task

from .services.delivery import notification_deliver, notifications_deliver_pending


@shared_task(name="tasks.jobs.notifications_deliver")
def notifications_deliver(limit: int | None = None) -> dict[str, int]:
    """Re-queue notifications stuck in 'sending', then send every pending one that is due."""
    return notifications_deliver_pending(limit=limit)


@shared_task(name="tasks.jobs.notification_send")
def notification_send(notification_id: int) -> str:
    """Send one notification now (a no-op when it is already sent or being sent)."""
    return notification_deliver(notification_id=notification_id)
