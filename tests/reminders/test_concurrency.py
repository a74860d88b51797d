"""Two sweeps and two senders at once on PostgreSQL (threads, real transactions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from departments.models import User
from notifications.models import Notification
from notifications.services.delivery import notifications_deliver_pending
from tasks.choices import ReportCadence, TaskStatus
from tasks.models import Plan, Task
from tasks.services import task_create
from tasks.services.reminders import reminders_sweep

from ..conftest import World
from ..threads import in_threads


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_and_senders_create_and_send_each_once(world: World, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    Task.objects.filter(pk__in=[world.task.pk, world.other_task.pk]).update(status=TaskStatus.CANCELLED)
    Plan.objects.update(report_cadence=ReportCadence.NONE)
    User.objects.update(email="x@example.gov.cn")
    for n in range(60):
        task_create(
            actor=None,
            plan=world.plan,
            path=f"九.{n}",
            title=f"并发{n}",
            due_date=dt.date(2026, 10, 9),
            lead=[world.lead_dept],
            responsible=[world.other_dept],
        )
    day = dt.date(2026, 10, 9)
    created = in_threads(lambda: reminders_sweep(today=day, digests=False).created.get("due_today", 0), 3)
    assert sum(created) == 120  # 60 tasks × 2 liaisons, however the three sweeps interleaved
    assert Notification.objects.filter(kind="due_today").count() == 120
    sent = in_threads(lambda: notifications_deliver_pending().get("sent", 0), 3)
    assert sum(sent) == 120
    assert len(mail.outbox) == 120
    keys = [m.extra_headers["X-Ipplan-Dedup-Key"] for m in mail.outbox]
    assert len(set(keys)) == 120
