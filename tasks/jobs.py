"""Celery jobs of the work-plan domain (autodiscovered as ``<app>.jobs``).

Beat only ticks these (settings.CELERY_BEAT_SCHEDULE); what is due is computed from the data,
and every job is idempotent: running it twice, at once, or again after a redelivery sends
nothing twice (see tasks.services.reminders and notifications.services.delivery).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from notifications.jobs import notifications_deliver

from .department_figures import rebuild as department_figures_rebuild_for
from .models import local_today
from .services.imports.session import plan_import_commit_run, plan_import_parse_run
from .services.reminders import reminders_sweep


@shared_task(name="tasks.jobs.reminders_tick")
def reminders_tick(as_of: str | None = None) -> dict[str, int]:
    """Create the reminders (and, after the digest hour, the digests) due today, then send.

    ``as_of`` (YYYY-MM-DD) sweeps that whole day instead, as ``send_reminders --as-of`` does.
    """
    if as_of:
        result = reminders_sweep(today=dt.date.fromisoformat(as_of))
    else:
        now = timezone.localtime()
        result = reminders_sweep(today=now.date(), digests=now.hour >= settings.IPPLAN_REMINDER_DIGEST_HOUR)
    # The rows are committed (the outbox); if this enqueue is lost, the delivery tick sends them.
    notifications_deliver.delay()
    return result.as_dict()


@shared_task(name="tasks.jobs.import_parse")
def import_parse(import_id: int) -> str:
    """Read an uploaded plan document under the import limits (a no-op once it is read)."""
    return plan_import_parse_run(import_id=import_id)


@shared_task(name="tasks.jobs.import_commit")
def import_commit(import_id: int) -> str:
    """Write a previewed plan whose commit was queued (a no-op once it is written)."""
    return plan_import_commit_run(import_id=import_id)


@shared_task(name="tasks.jobs.department_figures_rebuild")
def department_figures_rebuild() -> int:
    """Count every department's stored ranking figures for today (idempotent: a rerun recounts)."""
    return department_figures_rebuild_for(local_today())
