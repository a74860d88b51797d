"""Which queue each Celery job goes to, how it is acknowledged, and the RabbitMQ settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app

from ..support.processes import clean_env, manage

EXPECTED = {
    "ipplan.jobs.heartbeat": "celery",
    "tasks.jobs.reminders_tick": "reminders",
    "tasks.jobs.notifications_deliver": "reminders",
    "tasks.jobs.notification_send": "reminders",
    "webhooks.jobs.webhooks_deliver": "webhooks",
    "webhooks.jobs.webhook_send": "webhooks",
    "webhooks.jobs.webhooks_prune": "webhooks",
    "tasks.jobs.import_parse": "imports",
    "tasks.jobs.import_commit": "imports",
    "tasks.jobs.department_figures_rebuild": "celery",
}


@pytest.fixture(scope="module")
def jobs() -> dict[str, object]:
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def _queue(name: str) -> str:
    return str(app.amqp.router.route({}, name)["queue"].name)


def test_every_job_goes_to_its_queue(jobs: dict[str, object]) -> None:
    # a new job must be placed here on purpose: the list of jobs is the list above
    assert set(jobs) == set(EXPECTED)
    assert {name: _queue(name) for name in jobs} == EXPECTED


def test_the_beat_schedule_sends_each_entry_to_its_queue() -> None:
    queues = {entry["task"]: _queue(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert queues["tasks.jobs.reminders_tick"] == "reminders"
    assert queues["webhooks.jobs.webhooks_deliver"] == "webhooks"
    assert queues["ipplan.jobs.heartbeat"] == "celery"


def test_queues_are_durable_and_messages_persistent() -> None:
    queues = {queue.name: queue for queue in app.conf.task_queues}
    assert set(queues) == {"celery", "reminders", "webhooks", "imports"}
    for name, queue in queues.items():
        assert queue.durable and not queue.auto_delete and queue.exchange.durable
        assert queue.exchange.name == name and queue.routing_key == name
    assert app.conf.task_default_delivery_mode == "persistent"


def test_idempotent_jobs_ack_late_and_the_heartbeat_on_receipt(jobs: dict[str, object]) -> None:
    late = {name for name, task in jobs.items() if task.acks_late}  # type: ignore[attr-defined]
    assert late == set(EXPECTED) - {"ipplan.jobs.heartbeat"}
    assert all(task.reject_on_worker_lost for task in jobs.values())  # type: ignore[attr-defined]
    assert app.conf.worker_prefetch_multiplier == 1


PRINT = (
    "import json; from config.celery import app; c = app.conf; "
    "print('CONF ' + json.dumps({'options': c.broker_transport_options, 'heartbeat': c.broker_heartbeat, "
    "'queues': sorted(q.name for q in c.task_queues)}))"
)


def _conf(tmp_path: Path, url: str) -> dict[str, object]:
    result = manage("shell", "-c", PRINT, env=clean_env(tmp_path, CELERY_BROKER_URL=url))
    line = next(line for line in result.stdout.splitlines() if line.startswith("CONF "))
    return dict(json.loads(line[5:]))


def test_rabbitmq_publishes_with_confirms(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "amqp://ipplan:secret@mq.example.gov.cn:5672/ipplan")
    assert conf["options"] == {"confirm_publish": True}
    assert conf["heartbeat"] == 60
    assert conf["queues"] == ["celery", "imports", "reminders", "webhooks"]


def test_redis_keeps_its_visibility_timeout(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "redis://127.0.0.1:6399/0")
    assert conf["options"] == {"visibility_timeout": 3600}
