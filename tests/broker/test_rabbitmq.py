"""Reminders over a real RabbitMQ (Debian's rabbitmq-server, started here on loopback): routed
to their own durable queue, kept across a broker crash, and mailed once each.

The database, SMTP sink and workers are those of tests/reminders/test_workers.py (a SQLite file
per test, a sink counting every mail by its dedup key); only the broker differs. RabbitMQ is
killed with SIGKILL, as a crash or a power cut would stop it, and started again on its data.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from kombu import Connection

from ..reminders.test_workers import AS_OF, Stack
from ..support.processes import reconnected, stop, wait_for
from .rabbit import OnRabbitMQ, available, publish

pytestmark = [
    pytest.mark.slow,
    pytest.mark.rabbitmq,
    pytest.mark.skipif(not available(), reason="needs Debian's rabbitmq-server to start a broker"),
]


class RabbitStack(OnRabbitMQ, Stack):
    """tests/reminders' stack with RabbitMQ as the broker and ipplan's queues and routes."""

    concurrency = 2
    worker_timeout = 90

    def send(self, job: str, times: int = 1, **kwargs: object) -> None:
        # As ipplan publishes on RabbitMQ (settings): with publisher confirms, i.e. the call
        # returns once the broker has the (persistent) message on disk.
        publish(self.rabbit.url, job, times, **kwargs)

    def waiting(self) -> dict[str, int]:
        """Messages ready in each of ipplan's queues on the broker (not those held by a worker)."""
        with Connection(self.rabbit.url) as connection:
            channel = connection.default_channel
            found = {}
            for queue in settings.CELERY_TASK_QUEUES:
                queue(channel).declare()  # as a worker would; durable, so it is the same queue
                found[queue.name] = channel.queue_declare(queue=queue.name, passive=True).message_count
            return found


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[RabbitStack]:
    with contextlib.closing(RabbitStack(tmp_path)) as s:
        yield s


def test_a_queued_tick_survives_a_broker_crash_and_is_delivered_once(stack: RabbitStack) -> None:
    """No worker yet: the tick waits in RabbitMQ's 'reminders' queue, through a SIGKILL of the
    broker and its restart; a worker for that queue alone then creates and mails each reminder
    once, with no further tick from beat. A flood of webhook jobs queued first, on their own
    queue, neither delays it nor is touched by that worker."""
    stack.rabbit.launch()
    stack.setup(200)
    stack.rabbit.started()
    stack.send("webhooks.jobs.webhooks_deliver", times=500)
    stack.send("tasks.jobs.reminders_tick", as_of=AS_OF)
    before = stack.waiting()
    assert before == {"celery": 0, "reminders": 1, "webhooks": 500, "imports": 0}
    stack.rabbit.stop(crash=True)
    stack.rabbit.start()
    assert stack.waiting() == before  # durable queue, persistent message: nothing lost
    started = time.monotonic()
    stack.start_worker("reminders-only", queues="reminders")
    assert wait_for(lambda: stack.states().get("sent", 0) == 200, 180), stack.states()
    elapsed = time.monotonic() - started
    stack.mailed_once(200, settle=3)
    assert stack.waiting() == {"celery": 0, "reminders": 0, "webhooks": 500, "imports": 0}
    print(
        f"\nRabbitMQ crash with a tick queued behind 500 webhook jobs: kept; 200 reminders mailed "
        f"once in {elapsed:.1f}s by a reminders-only worker; the 500 webhook jobs still waiting"
    )


def test_broker_crash_mid_delivery_every_reminder_mailed_once(stack: RabbitStack) -> None:
    """RabbitMQ is killed while a worker mails the tick's reminders. The job in hand was not yet
    acknowledged (acks late), so RabbitMQ gives it out again after its restart; the rows already
    claimed or sent are skipped: everything is mailed, nothing twice, and beat need not tick."""
    stack.rabbit.launch()
    stack.setup(400)
    stack.rabbit.started()
    worker = stack.start_worker("w1")
    stack.send("tasks.jobs.reminders_tick", as_of=AS_OF)
    assert wait_for(lambda: len(stack.smtp.messages) >= 40, 120), stack.states()
    stack.rabbit.stop(crash=True)
    at_crash = stack.states()
    mailed_at_crash = len(stack.smtp.messages)
    time.sleep(2)
    stack.rabbit.start()
    # reconnected, or stopped (if it has not) and started again by its supervisor
    back = reconnected(worker, stack.tmp / "w1.log", "amqp", 60)
    if not back:
        if worker.poll() is None:
            stop(worker)
        stack.start_worker("w1-restarted")
    assert wait_for(lambda: stack.states().get("sent", 0) == 400, 240), (
        stack.states(),
        (stack.tmp / "w1.log").read_text()[-3000:],
    )
    keys = stack.mailed_once(400, settle=3)
    print(
        f"\nRabbitMQ SIGKILL mid-delivery: at crash {dict(at_crash)}, {mailed_at_crash} mailed; worker "
        f"{'reconnected' if back else 'restarted'}; 400 sent, {sum(keys.values())} mails, 0 twice"
    )
