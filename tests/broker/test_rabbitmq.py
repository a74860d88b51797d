"""Reminders over a real RabbitMQ (Debian's rabbitmq-server, started here on loopback): routed
to their own durable queue, kept across a broker crash, and mailed once each.

The database, SMTP sink and workers are those of tests/reminders/test_workers.py (a SQLite file
per test, a sink counting every mail by its dedup key); only the broker differs. RabbitMQ is
killed with SIGKILL, as a crash or a power cut would stop it, and started again on its data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from kombu import Connection

from ..reminders.test_workers import AS_OF, Stack
from ..test_startup import celery_worker, spawn, wait_for
from .rabbit import RabbitMQ, available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.rabbitmq,
    pytest.mark.skipif(not available(), reason="needs Debian's rabbitmq-server to start a broker"),
]


class RabbitStack(Stack):
    """tests/reminders' stack with RabbitMQ as the broker and ipplan's queues and routes."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.rabbit = RabbitMQ(tmp_path / "rabbitmq", self.env)
        self.env["CELERY_BROKER_URL"] = self.rabbit.url
        self.producer = Celery(broker=self.rabbit.url, set_as_current=False)
        self.producer.conf.update(
            task_queues=settings.CELERY_TASK_QUEUES,
            task_routes=settings.CELERY_TASK_ROUTES,
            task_default_queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            task_default_exchange=settings.CELERY_TASK_DEFAULT_EXCHANGE,
            task_default_routing_key=settings.CELERY_TASK_DEFAULT_ROUTING_KEY,
            task_default_delivery_mode="persistent",
            broker_transport_options={"confirm_publish": True},
        )

    def start_worker(self, name: str, concurrency: int = 2, queues: str = "") -> subprocess.Popen[bytes]:
        command = celery_worker(name, concurrency=concurrency, solo_node=True)
        if queues:
            command += ["-Q", queues]
        log = self.tmp / f"{name}.log"
        proc = spawn(command, self.env, log)
        assert wait_for(lambda: "ready." in log.read_text() or proc.poll() is not None, 90), log.read_text()[
            -3000:
        ]
        assert proc.poll() is None, log.read_text()[-3000:]
        self.workers.append(proc)
        return proc

    def send(self, job: str, times: int = 1, **kwargs: object) -> None:
        # As ipplan publishes on RabbitMQ (settings): with publisher confirms, i.e. the call
        # returns once the broker has the (persistent) message on disk.
        with Connection(self.rabbit.url, transport_options={"confirm_publish": True}) as connection:
            for _ in range(times):
                self.producer.send_task(job, kwargs=kwargs, connection=connection)

    def waiting(self) -> dict[str, int]:
        """Messages ready in each of ipplan's queues on the broker (not those held by a worker)."""
        with Connection(self.rabbit.url) as connection:
            channel = connection.default_channel
            found = {}
            for queue in settings.CELERY_TASK_QUEUES:
                queue(channel).declare()  # as a worker would; durable, so it is the same queue
                found[queue.name] = channel.queue_declare(queue=queue.name, passive=True).message_count
            return found

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.rabbit.close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[RabbitStack]:
    s = RabbitStack(tmp_path)
    try:
        yield s
    finally:
        s.close()


def _mailed_once(stack: RabbitStack, count: int) -> Counter[str]:
    time.sleep(3)  # anything late would show up now
    keys = stack.smtp.keys()
    assert stack.states() == Counter({"sent": count})
    assert len(keys) == count and max(keys.values()) == 1, keys.most_common(3)
    return keys


def test_a_queued_tick_survives_a_broker_crash_and_is_delivered_once(stack: RabbitStack) -> None:
    """No worker yet: the tick waits in RabbitMQ's 'reminders' queue, through a SIGKILL of the
    broker and its restart; a worker for that queue alone then creates and mails each reminder
    once, with no further tick from beat. A flood of webhook jobs queued first, on their own
    queue, neither delays it nor is touched by that worker."""
    stack.setup(200)
    stack.rabbit.start()
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
    _mailed_once(stack, 200)
    assert stack.waiting() == {"celery": 0, "reminders": 0, "webhooks": 500, "imports": 0}
    print(
        f"\nRabbitMQ crash with a tick queued behind 500 webhook jobs: kept; 200 reminders mailed "
        f"once in {elapsed:.1f}s by a reminders-only worker; the 500 webhook jobs still waiting"
    )


def _log_after_lost(stack: RabbitStack, name: str) -> str:
    text = (stack.tmp / f"{name}.log").read_text()
    return text.split("Connection to broker lost", 1)[-1] if "Connection to broker lost" in text else ""


def test_broker_crash_mid_delivery_every_reminder_mailed_once(stack: RabbitStack) -> None:
    """RabbitMQ is killed while a worker mails the tick's reminders. The job in hand was not yet
    acknowledged (acks late), so RabbitMQ gives it out again after its restart; the rows already
    claimed or sent are skipped: everything is mailed, nothing twice, and beat need not tick."""
    stack.setup(400)
    stack.rabbit.start()
    worker = stack.start_worker("w1")
    stack.send("tasks.jobs.reminders_tick", as_of=AS_OF)
    assert wait_for(lambda: len(stack.smtp.messages) >= 40, 120), stack.states()
    stack.rabbit.stop(crash=True)
    at_crash = stack.states()
    mailed_at_crash = len(stack.smtp.messages)
    time.sleep(2)
    stack.rabbit.start()
    # Celery 5.x may stop with "Unrecoverable error" when the broker vanishes while it acks; the
    # process supervisor (compose "restart:", systemd) starts it again. Either way, below.
    wait_for(lambda: worker.poll() is not None or "Connected to amqp" in _log_after_lost(stack, "w1"), 60)
    reconnected = worker.poll() is None and "Connected to amqp" in _log_after_lost(stack, "w1")
    if not reconnected:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        stack.start_worker("w1-restarted")
    assert wait_for(lambda: stack.states().get("sent", 0) == 400, 240), (
        stack.states(),
        (stack.tmp / "w1.log").read_text()[-3000:],
    )
    keys = _mailed_once(stack, 400)
    print(
        f"\nRabbitMQ SIGKILL mid-delivery: at crash {dict(at_crash)}, {mailed_at_crash} mailed; worker "
        f"{'reconnected' if reconnected else 'restarted'}; 400 sent, {sum(keys.values())} mails, 0 twice"
    )
