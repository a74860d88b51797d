"""Creating notifications exactly once, in each recipient's language; marking them read."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone, translation

from departments.models import User

from ..choices import NotificationState
from ..models import Notification

#: A notification text, or what writes it: called in the recipient's language.
Message = str | Callable[[], str]


def recipient_language(user: User) -> str:
    """The language a user's notifications and e-mails are written in."""
    return language_or_default(getattr(user, "language", ""))


def language_or_default(language: str | None) -> str:
    """A user's ``language`` value if the site offers it, else the site's language (for callers
    that read users as values rather than instances)."""
    language = language or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def message_for(recipient: User, message: Message) -> str:
    """``message`` written in ``recipient``'s language (a plain string is kept as it is)."""
    if isinstance(message, str):
        return message
    with translation.override(recipient_language(recipient)):
        return str(message())


#: Rows per INSERT where the database takes them as bound values (SQLite: 5 per row, under its
#: 32,766-variable limit); PostgreSQL takes any number as five arrays.
SQLITE_INSERT_BATCH = 5000


def notification_create(
    *, recipient: User, kind: str, message: Message, dedup_key: str, task: models.Model | None = None
) -> tuple[Notification, bool]:
    """Create the notification unless one with ``dedup_key`` exists; returns (row, created).

    ``message`` may be a function that writes the text: it is called in the recipient's language
    (``User.language``), so each person reads the notification in their own language.

    The unique constraint on ``dedup_key`` decides: two concurrent callers create one row.
    Call it inside the transaction of whatever caused it, so both commit or neither does.
    """
    existing = Notification.objects.filter(dedup_key=dedup_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = Notification(
                recipient=recipient,
                kind=kind,
                task_id=None if task is None else task.pk,
                message=message_for(recipient, message),
                dedup_key=dedup_key,
            )
            row.full_clean(validate_unique=False)
            row.save()
            return row, True
    except IntegrityError:
        return Notification.objects.get(dedup_key=dedup_key), False


def notifications_create_for(
    recipients: Iterable[User],
    *,
    actor: User,
    kind: str,
    message: Message,
    key: str,
    task: models.Model | None = None,
) -> None:
    """One notification per recipient, never to the actor (who knows what they did);
    ``key:<user id>`` is each one's dedup key, so that a repeated call creates none again."""
    for user in recipients:
        if user.pk != actor.pk:
            notification_create(
                recipient=user, kind=kind, message=message, dedup_key=f"{key}:{user.pk}", task=task
            )


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
            # Each column travels as ONE array literal ('{"…","…"}'), read by the server's array
            # input: a Python list would be sent as ARRAY['…', '…', …], an expression of one
            # constant per row that the server parses and coerces one by one (at 20,000 rows a
            # page, a fifth of the insert's time and half of a re-run's).
            def literal(values: tuple[Any, ...]) -> str:
                items = (
                    "NULL"
                    if value is None
                    else str(value)
                    if isinstance(value, int)
                    else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
                    for value in values
                )
                return "{" + ",".join(items) + "}"

            columns = list(zip(*rows, strict=True))
            cursor.execute(
                head
                + "SELECT r, k, t, m, d, %s, 0, '', %s FROM unnest(%s::bigint[], %s::text[], %s::bigint[], "
                "%s::text[], %s::text[]) WITH ORDINALITY AS u(r, k, t, m, d, n) ORDER BY n" + tail,
                [NotificationState.PENDING.value, now, *[literal(column) for column in columns]],
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
    rows = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
