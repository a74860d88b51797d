"""Helpers of the reminder tests: run the command for a day and see what it created."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable
from typing import Any

from django.core.management import call_command

from notifications.models import Notification


def sweep(day: dt.date | str, *extra: str) -> dict[str, Any]:
    """``send_reminders --as-of day``; returns its JSON summary."""
    out = io.StringIO()
    call_command("send_reminders", "--as-of", str(day), *extra, stdout=out)
    return json.loads(out.getvalue())


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def walk(run_days: Iterable[dt.date]) -> dict[dt.date, set[tuple[str, str, str]]]:
    """Sweep each of ``run_days`` (again on each day something was created) and return, per day,
    what was created: (kind, recipient username, task title or '')."""
    log: dict[dt.date, set[tuple[str, str, str]]] = {}
    for day in run_days:
        before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        first = sweep(day)
        if first["total"]:  # running the same day again creates nothing
            second = sweep(day)
            assert second["total"] == 0, (day, second)
        rows = Notification.objects.filter(pk__gt=before).select_related("recipient", "task")
        assert rows.count() == first["total"]
        created = {(n.kind, n.recipient.username, n.task.title if n.task else "") for n in rows}
        if created:
            log[day] = created
    return log


def tasks_only(summary: dict[str, Any]) -> dict[str, int]:
    """The summary's counts without the digests."""
    return {kind: n for kind, n in summary["created"].items() if kind != "digest"}
