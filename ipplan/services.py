"""Writes of the shared kernel."""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import JobHeartbeat

logger = logging.getLogger("ipplan.jobs")


@transaction.atomic
def heartbeat_record(*, name: str) -> JobHeartbeat:
    """Stamp job ``name`` as having run now and count the run."""
    now = timezone.now()
    beat, created = JobHeartbeat.objects.select_for_update().get_or_create(
        name=name, defaults={"last_run_at": now, "runs": 1}
    )
    if not created:
        JobHeartbeat.objects.filter(pk=beat.pk).update(last_run_at=now, runs=F("runs") + 1)
        beat.refresh_from_db()
    logger.info("beat tick: %s run %d at %s", name, beat.runs, now.isoformat())
    return beat
