"""/healthz, /readyz and /metrics through real requests; JSON logs."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest
from django.core.cache import cache
from django.test import Client

from ipplan import health
from notifications.choices import NotificationKind, NotificationState
from notifications.models import Notification

from ..conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_figures() -> None:
    cache.delete("ipplan:metrics:shared")


def test_healthz_answers_without_touching_the_database(client: Client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_probes_answer_any_host_name(client: Client) -> None:
    """Probes and scrapers address a process by its IP, which is not in ALLOWED_HOSTS."""
    assert client.get("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/metrics", HTTP_HOST="10.0.3.7:8000", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400  # the rest: checked


def test_readyz_names_every_check(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert {"database", "broker", "storage"} <= set(body["checks"])
    assert all(value.startswith("ok") for value in body["checks"].values())


def test_readyz_answers_503_naming_the_broker(client: Client, settings, monkeypatch) -> None:
    from kombu import Connection

    from config.celery import app

    dead = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    monkeypatch.setattr(app, "connection_for_write", lambda **options: Connection(dead, **options))
    settings.CELERY_BROKER_URL = dead
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"].startswith("ok")
    assert "127.0.0.1" not in response.content.decode()  # the reason goes to the log only


def test_readyz_answers_503_naming_the_storage(client: Client, monkeypatch) -> None:
    def broken() -> None:
        raise OSError("read-only file system")

    monkeypatch.setitem(health.__dict__, "check_storage", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]


def test_metrics_refused_outside_the_allowed_networks(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    # a forwarded address is not believed: the scraper connects directly
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 403


def test_metrics_with_the_token_from_anywhere(client: Client, settings) -> None:
    settings.IPPLAN_METRICS_TOKEN = "s3cret-scrape-token"
    settings.IPPLAN_METRICS_NETWORKS = []
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    right = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert right.status_code == 200


def _value(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_start} not in the metrics:\n{text}")


def test_metrics_figures(client: Client, world: World) -> None:
    user = world.users["staff"]
    states = [NotificationState.PENDING] * 3 + [NotificationState.SENT] * 2 + [NotificationState.FAILED]
    for number, state in enumerate(states):
        Notification.objects.create(
            recipient=user, kind=NotificationKind.DUE_SOON, message="m", dedup_key=f"k{number}", state=state
        )
    client.get("/healthz")
    client.get(f"/tasks/{world.task.pk}/")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    text = response.content.decode()
    assert _value(text, 'ipplan_outbox_backlog{outbox="notifications"}') == 3
    assert _value(text, 'ipplan_outbox_backlog{outbox="webhooks"}') == 0
    assert _value(text, 'ipplan_deliveries_failed{outbox="notifications"}') == 1
    assert _value(text, 'ipplan_reminders_sent{kind="due_soon"}') == 2
    assert _value(text, 'ipplan_metrics_source_error{source="database"}') == 0
    assert _value(text, 'ipplan_metrics_source_error{source="broker"}') == 0
    assert 'ipplan_celery_queue_length{queue="celery"}' in text
    # latency by route pattern, never by raw path
    assert 'route="/healthz"' in text
    assert 'route="/tasks/<int:pk>/"' in text and f"/tasks/{world.task.pk}/" not in text


def test_metrics_queue_length_counts_waiting_messages(client: Client) -> None:
    from config.celery import app
    from ipplan.metrics import queue_lengths

    before = dict((labels[0], value) for labels, value in queue_lengths(["ipplan-test-queue"]))
    with app.connection_for_write() as conn:
        producer = conn.Producer()
        for _ in range(3):
            producer.publish({"x": 1}, routing_key="ipplan-test-queue", declare=[_queue()])
    after = dict((labels[0], value) for labels, value in queue_lengths(["ipplan-test-queue"]))
    with app.connection_for_write() as conn:
        _queue()(conn.default_channel).purge()
    assert after["ipplan-test-queue"] == before["ipplan-test-queue"] + 3


def _queue():  # type: ignore[no-untyped-def]
    from kombu import Exchange, Queue

    return Queue("ipplan-test-queue", Exchange("ipplan-test-queue"), routing_key="ipplan-test-queue")


def test_json_logs_when_selected(settings, capsys) -> None:
    config = json.loads(json.dumps(settings.LOGGING))
    config["handlers"]["console"]["formatter"] = "json"
    logging.config.dictConfig(config)
    try:
        logging.getLogger("ipplan.test").warning("备份完成 %s", "ok")
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        # The console handler takes the sys.stderr of the moment; with capture off it is the
        # process's own, not this test's, which is closed after it ("Logging error" in later tests).
        with capsys.disabled():
            logging.config.dictConfig(settings.LOGGING)
    record = json.loads(line)
    assert record["message"] == "备份完成 ok"
    assert record["level"] == "WARNING" and record["logger"] == "ipplan.test"
    assert "time" in record and "pid" in record


def test_plain_logs_by_default(settings) -> None:
    assert settings.IPPLAN_LOG_FORMAT == "plain"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "plain"
