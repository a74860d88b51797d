"""Urges (催办)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from ..models import Urge


def urges_in(tasks: QuerySet[Any], start: dt.date, end: dt.date) -> QuerySet[Any]:
    """**Urges in a period**: every recorded urge on one of ``tasks`` whose creation day (local
    time) is within ``start``..``end``, oldest first. Each urge counts once, whoever it notified."""
    return (
        Urge.objects.filter(
            task__in=tasks.values("pk"), created_at__date__gte=start, created_at__date__lte=end
        )
        .select_related("task")
        .order_by("created_at", "id")
    )
