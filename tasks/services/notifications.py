"""Creating notifications exactly once."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from departments.models import User

from ..models import Notification, Task


def notification_create(
    *, recipient: User, kind: str, message: str, dedup_key: str, task: Task | None = None
) -> tuple[Notification, bool]:
    """Create the notification unless one with ``dedup_key`` exists; returns (row, created).

    The unique constraint on ``dedup_key`` decides: two concurrent callers create one row.
    Call it inside the transaction of whatever caused it, so both commit or neither does.
    """
    existing = Notification.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = Notification(
                recipient=recipient, kind=kind, task=task, message=message, dedup_key=dedup_key
            )
            row.full_clean(validate_unique=False)
            row.save()
            return row, True
    except IntegrityError:
        return Notification.objects.get(dedup_key=dedup_key), False


def notifications_mark_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (these ids, or all); returns how many changed."""
    from django.utils import timezone

    rows = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
