"""Creating notifications exactly once."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

from departments.models import User

from ..models import Notification, Task

#: A notification text, or what writes it: called in the recipient's language.
Message = str | Callable[[], str]


def recipient_language(user: User) -> str:
    """The language a user's notifications and e-mails are written in."""
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def message_for(recipient: User, message: Message) -> str:
    """``message`` written in ``recipient``'s language (a plain string is kept as it is)."""
    if isinstance(message, str):
        return message
    with translation.override(recipient_language(recipient)):
        return str(message())


def notification_create(
    *, recipient: User, kind: str, message: Message, dedup_key: str, task: Task | None = None
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
                task=task,
                message=message_for(recipient, message),
                dedup_key=dedup_key,
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
