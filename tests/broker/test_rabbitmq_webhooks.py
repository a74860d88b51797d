"""A webhook over a real RabbitMQ crashed while the worker is sending it: delivered once.

The database, worker (with embedded beat) and signature-checking receiver are those of
tests/webhooks/test_worker.py; only the broker differs. Beat's delivery tick is set to an hour, so
the job sending the webhook is the webhook_send handed to Celery when the change commits. The
receiver holds that request, so the worker is mid-send, the message not yet acknowledged, when
RabbitMQ is killed; after the restart RabbitMQ gives the message out again, and delivery ticks are
sent by hand: none of them may send the webhook a second time.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.processes import migrated_sqlite, reconnected, stop, wait_for
from ..webhooks.conftest import Receiver, start_receiver  # noqa: F401 (a fixture used below)
from ..webhooks.test_worker import CHANGE, SETUP, Stack
from .rabbit import OnRabbitMQ, available, publish

pytestmark = [
    pytest.mark.slow,
    pytest.mark.embedded,
    pytest.mark.rabbitmq,
    pytest.mark.skipif(not available(), reason="needs Debian's rabbitmq-server to start a broker"),
]


class RabbitStack(OnRabbitMQ, Stack):
    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        self.env["IPPLAN_WEBHOOK_TICK_SECONDS"] = "3600"
        self.restarted = False
        self.logs = [self.log]

    def restart_worker(self) -> None:
        assert self.worker is not None
        if self.worker.poll() is None:
            stop(self.worker)
        self.log = self.tmp / "worker-restarted.log"
        self.logs.append(self.log)
        self.start_worker("webhooks2", "beat-2")
        self.restarted = True

    def received(self, job: str) -> int:
        """Messages of ``job`` the workers (first and restarted) have received."""
        pattern = re.compile(rf"Task {re.escape(job)}\[[^\]]+\] received")
        return sum(len(pattern.findall(log.read_text(errors="replace"))) for log in self.logs)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[RabbitStack]:
    with contextlib.closing(RabbitStack(tmp_path)) as s:
        yield s


def test_webhook_in_flight_when_rabbitmq_crashes_is_delivered_once(
    stack: RabbitStack,
    start_receiver,  # noqa: F811
) -> None:
    receiver: Receiver = start_receiver()
    receiver.hold_first = threading.Event()
    stack.rabbit.launch()
    migrated_sqlite(stack.db)
    world = stack.shell(SETUP.replace("{url!r}", repr(receiver.url)), "SETUP")
    receiver.secret = world["secret"]
    stack.rabbit.started()
    stack.start_worker()
    change = stack.shell(CHANGE.replace("{task}", str(world["task"])), "CHANGE")
    event_id, delivery_id = change["event"], change["delivery"]
    assert receiver.holding.wait(60), stack.worker_log()[-3000:]  # the worker is sending it now
    stack.rabbit.stop(crash=True)
    receiver.hold_first.set()  # the receiver answers 200 while the broker is down
    assert wait_for(lambda: stack.delivery(delivery_id)["state"] == "delivered", 30), stack.delivery(
        delivery_id
    )
    time.sleep(2)
    stack.rabbit.start()
    assert stack.worker is not None
    if not reconnected(stack.worker, stack.log, "amqp", 60):
        stack.restart_worker()  # what the process supervisor does after "Unrecoverable error"
    # the unacknowledged webhook_send comes back, then three delivery ticks: none sends it again
    assert wait_for(lambda: stack.received("webhooks.jobs.webhook_send") == 2, 60), stack.worker_log()[-4000:]
    publish(stack.rabbit.url, "webhooks.jobs.webhooks_deliver", times=3)
    assert wait_for(lambda: stack.ticks() >= 3, 60), stack.worker_log()[-4000:]
    assert receiver.ids() == {event_id: 1}, receiver.ids()
    row = stack.delivery(delivery_id)
    assert (row["state"], row["attempts"]) == ("delivered", 1)
    print(
        f"\nwebhook mid-send when RabbitMQ was killed: webhook_send redelivered after the restart, "
        f"worker {'restarted' if stack.restarted else 'reconnected'}; {stack.ticks()} ticks after; "
        f"{sum(receiver.ids().values())} request to the receiver"
    )
