"""A real Celery worker with embedded beat on a real Redis broker (both started here) delivers a
webhook: the status change enqueues it on commit, the receiver answers 500 twice, the beat tick
retries it after the backoff, and the third attempt is delivered, once.

As in tests/reminders/test_workers.py, the test has its own SQLite database file (migrated and
filled by ``manage.py`` in a subprocess, with the embedded defaults whatever this run uses) and its
own Redis server on a free port, so it runs the same in the PostgreSQL and the SQLite run. The
receiver is the signature-checking HTTP server of conftest.py, in this process.
"""

from __future__ import annotations

import contextlib
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from ..support.processes import (
    BROKER_MODULE_MARKS,
    BrokerStack,
    celery_worker,
    manage,
    marked,
    migrated_sqlite,
    ready_worker,
    stop,
    wait_for,
)
from .conftest import Receiver

pytestmark = [*BROKER_MODULE_MARKS, pytest.mark.embedded]

TICK_SECONDS = 1  # the beat entry "deliver-webhooks"
BACKOFF_SECONDS = 1  # 1 s after the first failure, 2 s after the second

# The world of tests/conftest.py, and the city bureau's subscription to the receiver.
SETUP = """
import json
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as tests/conftest.py
from departments.models import User
from tests.conftest import make_world
from webhooks.services import subscription_create

world = make_world()
subscription = subscription_create(
    actor=User.objects.get(username="bureau"), url={url!r}, events=["task.status_changed"]
)
print("SETUP " + json.dumps({"secret": subscription.secret, "task": world.task.pk}))
"""

# The lead department's staff moves the task on, through the service; the delivery is handed to
# Celery when the service's transaction commits.
CHANGE = """
import json
from departments.models import User
from tasks.models import Task
from tasks.services.progress import task_update_progress
from webhooks.models import Delivery

task = Task.objects.get(pk={task})
task_update_progress(
    actor=User.objects.get(username="staff"), task=task, expected_version=task.version, status="in_progress"
)
delivery = Delivery.objects.select_related("event").get()
print("CHANGE " + json.dumps({"event": delivery.event_id, "delivery": delivery.pk, "state": delivery.state}))
"""


class Stack(BrokerStack):
    """A SQLite database, a Redis server and one Celery worker with beat, for one test."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(
            tmp_path,
            "webhooks.sqlite3",
            IPPLAN_WEBHOOK_TICK_SECONDS=str(TICK_SECONDS),
            IPPLAN_WEBHOOK_BACKOFF_SECONDS=str(BACKOFF_SECONDS),
            IPPLAN_WEBHOOK_TIMEOUT_SECONDS="10",
            IPPLAN_BASE_URL="https://ipplan.example.gov.cn",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            # the receivers run on loopback, which the outbound client refuses unless allow-listed
            IPPLAN_OUTBOUND_ALLOW_NETWORKS="127.0.0.0/8",
        )
        self.log = tmp_path / "worker.log"
        self.worker: subprocess.Popen[bytes] | None = None

    def shell(self, code: str, mark: str) -> dict[str, Any]:
        result = manage("shell", "-c", code, env=self.env, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        return marked(result, mark)

    def start_worker(self, name: str = "webhooks", schedule: str = "beat-schedule") -> None:
        command = celery_worker(name, concurrency=2, beat_schedule=self.tmp / schedule, solo_node=True)
        self.worker = ready_worker(command, self.env, self.log)

    def worker_log(self) -> str:
        return self.log.read_text(errors="replace")

    def ticks(self) -> int:
        """Beat's delivery ticks the worker has finished."""
        return len(
            re.findall(r"Task webhooks\.jobs\.webhooks_deliver\[[^\]]+\] succeeded", self.worker_log())
        )

    def delivery(self, pk: int) -> dict[str, Any]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute(
                "select state, attempts, last_status_code, last_error from webhooks_delivery where id = ?",
                (pk,),
            ).fetchone()
        return dict(row)

    def close(self) -> None:
        # the test is over and has checked what was sent: no warm shutdown to wait for
        if self.worker is not None and self.worker.poll() is None:
            stop(self.worker, signal.SIGKILL, timeout=10)
        super().close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with contextlib.closing(Stack(tmp_path)) as s:
        yield s


def test_worker_retries_a_failing_receiver_and_delivers_the_webhook_once(
    stack: Stack, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500]  # then 200
    migrated_sqlite(stack.db)
    world = stack.shell(SETUP.replace("{url!r}", repr(receiver.url)), "SETUP")
    receiver.secret = world["secret"]  # the receiver checks every signature with it
    stack.start_redis()
    stack.start_worker()

    started = time.monotonic()
    change = stack.shell(CHANGE.replace("{task}", str(world["task"])), "CHANGE")
    committed = time.monotonic()  # the shell has returned: the change is committed
    event_id, delivery_id = change["event"], change["delivery"]

    def delivered() -> bool:
        return stack.delivery(delivery_id)["state"] == "delivered"

    assert wait_for(delivered, 60), (stack.delivery(delivery_id), receiver.ids(), stack.worker_log()[-4000:])
    delivered_at = time.monotonic()

    # Beat keeps ticking: two more finished delivery ticks must send nothing more.
    ticks = stack.ticks()
    assert wait_for(lambda: stack.ticks() >= ticks + 2, 60), stack.worker_log()[-4000:]

    assert receiver.ids() == {event_id: 3}, receiver.ids()
    assert [r.status for r in receiver.requests] == [500, 500, 200]
    assert all(r.verified for r in receiver.requests)
    last = receiver.requests[-1]
    Webhook(world["secret"]).verify(last.body, last.headers)  # raises unless signed with the secret
    body = last.json
    assert body["type"] == "task.status_changed"
    assert body["data"]["task_id"] == world["task"]
    assert (body["data"]["old_status"], body["data"]["new_status"]) == ("not_started", "in_progress")
    row = stack.delivery(delivery_id)
    assert (row["state"], row["attempts"], row["last_status_code"], row["last_error"]) == (
        "delivered",
        3,
        200,
        "",
    )
    # the hand-off on commit went through the broker to the worker
    assert re.search(r"Task webhooks\.jobs\.webhook_send\[[^\]]+\] received", stack.worker_log())
    print(
        f"\nwebhook through a Celery worker: 500, 500, 200, delivered after 3 attempts "
        f"{delivered_at - committed:.1f}s after the commit ({delivered_at - started:.1f}s with the "
        f"manage.py shell that made the change; tick {TICK_SECONDS}s, backoff {BACKOFF_SECONDS}s); "
        f"still 3 requests after {stack.ticks() - ticks} more ticks"
    )
