"""The one outbox engine: claim with a lease, send, stamp; backoff; the sweeper; giving up.

A row of an outbox table (a notification, a webhook delivery) is a message still to send. The
engine knows nothing of what a message is; an app hands it the model and the names of its
settings, and a ``send(pk, now)`` function that posts one row and stamps it through
``Outbox.succeeded``/``Outbox.failed``. Every app's messages go out the same way:

* a sender claims a row with a conditional update (``pending`` → ``sending``, ``attempts`` + 1,
  ``next_attempt_at`` = the end of its lease), committed on its own before anything goes out.
  Two senders racing for one row: one update matches, the other does nothing;
* the sender stamps the outcome with a conditional update on ``sending`` too, so a row the
  sweeper re-queued and another sender took is never stamped twice;
* a failure puts the row back to ``pending`` after an exponential backoff (base, 2×base, 4×base
  … capped at a day), until the maximum of attempts: then it is ``failed`` for an operator;
* the sweeper puts a row whose sender died (``sending`` past its lease) back to ``pending``, or
  marks it ``failed`` when it has used up its attempts.

That window (sent, then killed before the stamp) is the only way a second copy can go out; the
apps give each message an id derived from its row (a Message-ID, a ``webhook-id``) so a receiver
can recognise the copy.

Every column the engine touches has the same name in each outbox table: ``state``, ``attempts``,
``next_attempt_at``, ``last_error``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger("ipplan.outbox")

#: The longest wait between two attempts.
MAX_BACKOFF_SECONDS = 86400

#: One send: (row id, the schedule's clock) → the row's new state, or '' when it was not sent.
Send = Callable[[int, dt.datetime | None], str]


@dataclass(frozen=True)
class Outbox:
    """One outbox table and its settings (read at run time, so a test or an operator can change
    them): ``<settings_prefix>_SENDING_LEASE_SECONDS``, ``_BACKOFF_SECONDS``, ``_MAX_ATTEMPTS``."""

    model: type[models.Model]
    settings_prefix: str
    pending: str = "pending"
    sending: str = "sending"
    failed_state: str = "failed"
    #: What the counts of ``drain`` call a row this run did not send (taken, not due, skipped).
    missed: str = "skipped"

    # --- settings ---------------------------------------------------------------------------

    def _setting(self, name: str) -> Any:
        return getattr(settings, f"{self.settings_prefix}_{name}")

    @property
    def max_attempts(self) -> int:
        return int(self._setting("MAX_ATTEMPTS"))

    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=float(self._setting("SENDING_LEASE_SECONDS")))

    def backoff(self, attempts: int) -> dt.timedelta:
        """Wait before the next attempt: base, 2×base, 4×base … capped at a day."""
        seconds = float(self._setting("BACKOFF_SECONDS")) * 2 ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))

    # --- rows -------------------------------------------------------------------------------

    @property
    def rows(self) -> models.QuerySet[Any]:
        return self.model._default_manager.all()

    def due(self, now: dt.datetime) -> Q:
        """Pending rows whose backoff (if any) has run out. The condition is on the row's own
        columns only, so PostgreSQL re-checks it on a row a concurrent claim just changed."""
        return Q(state=self.pending) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))

    def claim(self, pk: int, *, now: dt.datetime | None = None, **fields: Any) -> bool:
        """Take a due pending row for sending (``fields`` are stamped with the claim); False if
        someone else has it or it is not due. Committed on its own, before anything goes out."""
        now = now or timezone.now()
        with transaction.atomic():
            return (
                self.rows.filter(self.due(now), pk=pk).update(
                    state=self.sending,
                    attempts=F("attempts") + 1,
                    next_attempt_at=now + self.lease(),
                    **fields,
                )
                == 1
            )

    def succeeded(self, pk: int, state: str, **fields: Any) -> bool:
        """Stamp a row this sender holds with its final ``state``; False when it no longer holds
        it (re-queued by the sweeper and taken by another sender meanwhile)."""
        return bool(
            self.rows.filter(pk=pk, state=self.sending).update(state=state, next_attempt_at=None, **fields)
        )

    def failed(self, pk: int, *, attempts: int, now: dt.datetime | None = None, **fields: Any) -> str:
        """Record a failed attempt: back to ``pending`` after the backoff, or ``failed`` once the
        row has used up its attempts. Returns the new state ('' when the sender no longer holds
        the row)."""
        now = now or timezone.now()
        given_up = attempts >= self.max_attempts
        state = self.failed_state if given_up else self.pending
        next_attempt = None if given_up else now + self.backoff(attempts)
        updated = self.rows.filter(pk=pk, state=self.sending).update(
            state=state, next_attempt_at=next_attempt, **fields
        )
        return state if updated else ""

    def requeue_stuck(self, *, now: dt.datetime | None = None) -> int:
        """Put rows whose sender died (``sending`` past their lease) back to ``pending``; those
        that have used up their attempts are marked failed instead. Returns how many were
        re-queued."""
        now = now or timezone.now()
        stuck = self.rows.filter(state=self.sending, next_attempt_at__lt=now)
        given_up = stuck.filter(attempts__gte=self.max_attempts).update(
            state=self.failed_state, next_attempt_at=None, last_error=_("发送中断且已达最大尝试次数。")
        )
        count = stuck.update(state=self.pending, next_attempt_at=None)
        if count or given_up:
            logger.warning(
                "re-queued %d rows of %s left in 'sending' (%d given up)",
                count,
                self.model._meta.label,
                given_up,
            )
        return count

    def ready(
        self,
        *,
        now: dt.datetime | None = None,
        limit: int = 200,
        exclude: set[int] | None = None,
        where: Q | None = None,
    ) -> list[int]:
        """Ids of due pending rows (and matching ``where``), oldest first."""
        rows = self.rows.filter(self.due(now or timezone.now()))
        if where is not None:
            rows = rows.filter(where)
        if exclude:
            rows = rows.exclude(pk__in=exclude)
        return list(rows.order_by("pk").values_list("pk", flat=True)[:limit])

    def drain(
        self, send: Send, *, limit: int | None = None, now: dt.datetime | None = None, where: Q | None = None
    ) -> dict[str, int]:
        """The sweeper and sender: re-queue stuck rows, then try each due one once (a row that
        fails is not retried in the same run, even with a zero backoff). Counts by new state.

        Idempotent and safe to run concurrently: each row is claimed before it is sent.
        """
        counts: Counter[str] = Counter()
        counts["requeued"] = self.requeue_stuck(now=now)
        tried: set[int] = set()
        while limit is None or len(tried) < limit:
            size = 200 if limit is None else min(200, limit - len(tried))
            batch = self.ready(now=now, limit=size, exclude=tried, where=where)
            if not batch:
                break
            for pk in batch:
                tried.add(pk)
                counts[send(pk, now) or self.missed] += 1
        return dict(counts)

    def retry(self, rows: models.QuerySet[Any], *, states: tuple[str, ...] | None = None) -> int:
        """Send these rows again now with a fresh count of attempts (failed ones by default)."""
        return rows.filter(state__in=states or (self.failed_state,)).update(
            state=self.pending, attempts=0, next_attempt_at=None
        )
