"""Real Celery workers on a real Redis broker (both started here): exactly once under
concurrent sweeps, a worker killed with SIGKILL mid-send, and Redis stopped during a tick.

Mail goes over SMTP to a sink in this process that records every message it receives, so a
second copy would be seen. Each test uses its own SQLite database and Redis server.
"""

from __future__ import annotations

import contextlib
import email
import signal
import socketserver
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from kombu import Connection

from ..support.processes import (
    BROKER_MODULE_MARKS,
    BrokerStack,
    celery_worker,
    free_port,
    manage,
    migrated_sqlite,
    ready_worker,
    ready_workers,
    reconnected,
    stop,
    wait_for,
)

pytestmark = [*BROKER_MODULE_MARKS, pytest.mark.embedded]

AS_OF = "2026-10-09"  # every task below is due that day: one due_today reminder each

SETUP = """
import datetime as dt
from departments.choices import RegionLevel
from ipplan.roles import Role
from departments.services import department_create, region_create, user_create
from tasks.models import Assignment, Plan, Task
from tasks.services import plan_create
from notifications.services.policies import reminder_policy_set

province = region_create(code="440000", name="广东省", level=RegionLevel.PROVINCE)
city = region_create(code="441900", name="东莞市", level=RegionLevel.CITY, parent=province)
departments = [department_create(actor=None, region=city, name=f"市局{i}") for i in range(10)]
for i, department in enumerate(departments):
    user_create(actor=None, username=f"liaison{i}", password=None, role=Role.DEPT_STAFF,
                department=department, email=f"liaison{i}@example.gov.cn")
plan = plan_create(actor=None, region=city, title="压力测试方案")
Plan.objects.filter(pk=plan.pk).update(report_cadence="none")
# only the day's reminder: nothing else is due on any other day the worker might tick
reminder_policy_set(actor=None, plan=plan, days_before="1", on_day=True, repeat_every_days=0,
                    escalate_head_after=0, escalate_bureau_after=0)
tasks = Task.objects.bulk_create(
    Task(plan=plan, path=f"一.{n}", number=n, order=n, title=f"任务{n}", due_date=dt.date(2026, 10, 9))
    for n in range(1, {count} + 1)
)
Assignment.objects.bulk_create(
    Assignment(task=t, department=departments[i % 10], role="lead") for i, t in enumerate(tasks)
)
print("tasks", Task.objects.count())
"""


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(b"220 sink ESMTP\r\n")
        lines: list[bytes] = []
        in_data = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if in_data:
                if line.rstrip(b"\r\n") == b".":
                    self.server.messages.append(b"".join(lines))  # type: ignore[attr-defined]
                    lines, in_data = [], False
                    self.wfile.write(b"250 OK queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                in_data = True
                self.wfile.write(b"354 end with .\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


class SMTPSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _SMTPHandler)
        self.messages: list[bytes] = []

    def keys(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for raw in list(self.messages):
            found[str(email.message_from_bytes(raw)["X-Ipplan-Dedup-Key"])] += 1
        return found


class Stack(BrokerStack):
    """A SQLite database, a Redis server, an SMTP sink and Celery workers, all for one test."""

    concurrency = 4  # a worker's processes
    worker_timeout = 60  # for a worker to be ready

    def __init__(self, tmp_path: Path) -> None:
        self.smtp = SMTPSink(free_port())
        threading.Thread(target=self.smtp.serve_forever, daemon=True).start()
        super().__init__(
            tmp_path,
            "stack.sqlite3",
            EMAIL_URL=f"smtp://127.0.0.1:{self.smtp.server_address[1]}",
            IPPLAN_REMINDER_SENDING_LEASE_SECONDS="5",
            IPPLAN_REMINDER_BACKOFF_SECONDS="1",
            IPPLAN_LOG_LEVEL="WARNING",
        )
        self.workers: list[subprocess.Popen[bytes]] = []
        self.producer = Celery(broker=self.env["CELERY_BROKER_URL"], set_as_current=False)

    def setup(self, count: int) -> None:
        migrated_sqlite(self.db)
        result = manage("shell", "-c", SETUP.replace("{count}", str(count)), env=self.env, timeout=300)
        assert f"tasks {count}" in result.stdout, result.stdout + result.stderr

    def start_worker(self, name: str, queues: str = "") -> subprocess.Popen[bytes]:
        """A worker of ``self.concurrency`` processes, on ``queues`` (comma-separated) or all."""
        command = celery_worker(name, concurrency=self.concurrency, solo_node=True)
        if queues:
            command += ["-Q", queues]
        proc = ready_worker(command, self.env, self.tmp / f"{name}.log", self.worker_timeout)
        self.workers.append(proc)
        return proc

    def start_workers(self, *names: str) -> None:
        """Workers on every queue, started together."""
        commands = [
            (celery_worker(name, concurrency=self.concurrency, solo_node=True), self.tmp / f"{name}.log")
            for name in names
        ]
        self.workers += ready_workers(commands, self.env, self.worker_timeout)

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        stop(proc, signal.SIGKILL, timeout=10)

    def send(self, job: str, **kwargs: object) -> None:
        # An explicit connection: Celery would otherwise prefer a CELERY_BROKER_URL in this
        # process's environment (CI sets one) over the broker given to the app.
        with Connection(self.env["CELERY_BROKER_URL"]) as connection:
            self.producer.send_task(job, kwargs=kwargs, connection=connection)

    def states(self) -> Counter[str]:
        with sqlite3.connect(self.db, timeout=30) as conn:
            return Counter(
                dict(conn.execute("select state, count(*) from tasks_notification group by state").fetchall())
            )

    def mailed_once(self, count: int, settle: float = 2) -> Counter[str]:
        """Every one of ``count`` reminders sent and mailed once, ``settle`` s after the last one
        (anything late would show up by then); the mails by dedup key."""
        time.sleep(settle)
        keys = self.smtp.keys()
        assert self.states() == Counter({"sent": count})
        assert len(keys) == count and max(keys.values()) == 1, keys.most_common(3)
        return keys

    def close(self) -> None:
        # the test is over and has checked what it sent: no warm shutdown to wait for
        for proc in self.workers:
            if proc.poll() is None:
                stop(proc, signal.SIGKILL, timeout=10)
        super().close()
        self.smtp.shutdown()
        self.smtp.server_close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with contextlib.closing(Stack(tmp_path)) as s:
        yield s


def _tick_until(stack: Stack, done, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    """Play beat: a delivery tick every 2 s until ``done()`` (asked every quarter second)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.send("tasks.jobs.notifications_deliver")
        if wait_for(done, min(2, max(0, deadline - time.monotonic())), interval=0.25):
            return True
    return done()


def test_two_concurrent_sweeps_over_1000_due_tasks_create_and_mail_each_once(stack: Stack) -> None:
    stack.setup(1000)
    stack.start_redis()
    stack.start_workers("w1", "w2")
    started = time.monotonic()
    # two beats at once: the same tick twice, to two workers with four processes each
    stack.send("tasks.jobs.reminders_tick", as_of=AS_OF)
    stack.send("tasks.jobs.reminders_tick", as_of=AS_OF)
    assert wait_for(lambda: stack.states().get("sent", 0) == 1000, 240), (
        stack.states(),
        (stack.tmp / "w1.log").read_text()[-3000:],
    )
    elapsed = time.monotonic() - started
    keys = stack.mailed_once(1000)
    print(
        f"\n1000 tasks, two concurrent sweeps: 1000 notifications, {sum(keys.values())} mails in {elapsed:.1f}s"
    )


def test_a_worker_killed_mid_send_then_restarted_sends_everything_once(stack: Stack) -> None:
    stack.setup(600)
    stack.start_redis()
    worker = stack.start_worker("w1")
    stack.send("tasks.jobs.reminders_tick", as_of=AS_OF)
    assert wait_for(lambda: len(stack.smtp.messages) >= 100, 180), stack.states()
    stack.kill(worker)  # SIGKILL to the whole worker: main process and pool children
    at_kill = stack.states()
    assert at_kill.get("sent", 0) < 600, "the worker finished before it was killed"
    stack.start_worker("w2")
    assert _tick_until(stack, lambda: stack.states().get("sent", 0) == 600, 180), stack.states()
    time.sleep(2)
    keys = stack.smtp.keys()
    duplicates = sum(keys.values()) - len(keys)
    print(
        f"\nSIGKILL mid-send: at kill {dict(at_kill)}; after restart 600 sent, {len(keys)} distinct mails, {duplicates} duplicates"
    )
    assert stack.states() == Counter({"sent": 600}) and len(keys) == 600
    # The only possible copies are rows whose mail had gone out when the kill came, before the
    # stamp: at most the rows then in "sending" (one per worker process).
    assert duplicates <= at_kill.get("sending", 0)


def test_redis_stopped_during_a_tick_everything_is_sent_after_the_next_tick(stack: Stack) -> None:
    stack.setup(300)
    stack.start_redis()
    worker = stack.start_worker("w1")
    stack.send("tasks.jobs.reminders_tick", as_of=AS_OF)
    assert wait_for(lambda: sum(stack.states().values()) > 0, 60)
    stack.stop_redis()  # mid-tick: the queued delivery job and everything in Redis is lost
    time.sleep(3)
    stack.start_redis()  # an empty Redis: nothing survived
    if not reconnected(worker, stack.tmp / "w1.log", "redis", 15):
        crashed = worker.poll() is not None
        print(f"\nworker {'exited' if crashed else 'did not reconnect'} after Redis went away: restarted")
        if not crashed:
            stack.kill(worker)
        stack.start_worker("w1-restarted")
    # the next beat ticks: the sweep again (creates what is missing) and delivery
    stack.send("tasks.jobs.reminders_tick", as_of=AS_OF)
    assert _tick_until(stack, lambda: stack.states().get("sent", 0) == 300, 180), stack.states()
    stack.mailed_once(300)
