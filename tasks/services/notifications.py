"""Creating notifications exactly once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from departments.models import User

from ..choices import NotificationState
from ..models import Notification, Task

#: Rows per INSERT where the database takes them as bound values (SQLite: 5 per row, under its
#: 32,766-variable limit); PostgreSQL takes any number as five arrays.
SQLITE_INSERT_BATCH = 5000


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


class NewNotification(NamedTuple):
    """A notification to create once: its recipient, kind, task, text and dedup key."""

    recipient_id: int
    kind: str
    task_id: int | None
    message: str
    dedup_key: str


def notifications_create_many(rows: Sequence[NewNotification]) -> list[tuple[int, str]]:
    """Create, in one statement, every row whose ``dedup_key`` is new; returns (id, kind) of the
    rows this call created, in order.

    ``INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING``: the unique constraint decides, so
    concurrent callers with overlapping rows create each row once and each learns exactly which
    rows were its own. The rows come from the services (kinds from NotificationKind, keys
    non-empty), so they are not validated one by one as ``notification_create`` does.
    """
    if not rows:
        return []
    table = connection.ops.quote_name(Notification._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    head = (
        f"INSERT INTO {table} (recipient_id, kind, task_id, message, dedup_key, state, attempts, "
        "last_error, created_at) "
    )
    tail = " ON CONFLICT (dedup_key) DO NOTHING RETURNING id, kind"
    created: list[tuple[int, str]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = list(zip(*rows, strict=True))
            cursor.execute(
                head
                + "SELECT r, k, t, m, d, %s, 0, '', %s FROM unnest(%s::bigint[], %s::text[], %s::bigint[], "
                "%s::text[], %s::text[]) WITH ORDINALITY AS u(r, k, t, m, d, n) ORDER BY n" + tail,
                [NotificationState.PENDING.value, now, *[list(column) for column in columns]],
            )
            created.extend(cursor.fetchall())
        else:
            for start in range(0, len(rows), SQLITE_INSERT_BATCH):
                batch = rows[start : start + SQLITE_INSERT_BATCH]
                values = ", ".join(
                    [f"(%s, %s, %s, %s, %s, '{NotificationState.PENDING.value}', 0, '', %s)"] * len(batch)
                )
                params: list[Any] = []
                for row in batch:
                    params.extend([*row, now])
                cursor.execute(head + "VALUES " + values + tail, params)
                created.extend(cursor.fetchall())
    return [(int(pk), str(kind)) for pk, kind in created]


def notifications_mark_read(*, actor: User, ids: list[int] | None = None) -> int:
    """Mark the actor's notifications read (these ids, or all); returns how many changed."""
    from django.utils import timezone

    rows = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
