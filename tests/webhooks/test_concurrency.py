"""Two senders at once, with real transactions: every event id reaches the receiver exactly once.
And a broken hand-off to Celery never undoes the change that caused the event."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from tasks.choices import TaskStatus
from tasks.models import Task
from tasks.services import task_update_progress
from webhooks import delivery as sending
from webhooks import services
from webhooks.choices import DeliveryState
from webhooks.models import Delivery, Event

from ..conftest import World
from ..threads import in_threads
from .conftest import Receiver, subscribe


def _thirty_events(world: World, receiver: Receiver) -> None:
    subscribe(world.users["bureau"], receiver, events=["task.overdue"])
    for n in range(30):
        services.event_record("task.overdue", region=world.city, data={"n": n}, dedup_key=f"overdue-{n}")
    assert Delivery.objects.count() == 30


def _each_once(receiver: Receiver) -> None:
    ids = receiver.ids()
    assert len(ids) == 30 and set(ids.values()) == {1}
    assert set(ids) == set(Event.objects.values_list("id", flat=True))
    assert all(r.verified for r in receiver.requests)
    assert set(Delivery.objects.values_list("state", "attempts")) == {(DeliveryState.DELIVERED, 1)}


@pytest.mark.django_db(transaction=True)
def test_a_sender_with_a_stale_list_sends_nothing_twice(world: World, receiver: Receiver) -> None:
    """Sender A reads the whole due list, claims the first delivery and is held in its request;
    sender B, in another thread, sends everything else meanwhile; A, going on through its stale
    list, finds every other row taken. (Runs on SQLite too: the two threads never write at the
    same instant, which SQLite's in-memory test database cannot do; the free-for-all race is the
    PostgreSQL test below.)"""
    _thirty_events(world, receiver)
    receiver.hold_first = threading.Event()
    results: dict[str, Any] = {}

    def sender_a() -> None:
        try:
            results["a"] = sending.deliveries_deliver_pending()
        finally:
            connection.close()

    thread = threading.Thread(target=sender_a)
    thread.start()
    assert receiver.holding.wait(timeout=10)
    results["b"] = sending.deliveries_deliver_pending()
    receiver.hold_first.set()
    thread.join(timeout=30)

    assert results["a"] == {"requeued": 0, "delivered": 1, "skipped": 29}
    assert results["b"] == {"requeued": 0, "delivered": 29}
    _each_once(receiver)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_deliver_each_event_id_once(world: World, receiver: Receiver) -> None:
    _thirty_events(world, receiver)
    receiver.delay = 0.005  # widen the window between claim and stamp

    results = in_threads(sending.deliveries_deliver_pending, 3)

    assert sum(r.get("delivered", 0) for r in results) == 30
    _each_once(receiver)


@pytest.mark.django_db(transaction=True)
def test_a_failing_enqueue_never_undoes_the_change(
    world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(world.users["bureau"], receiver)

    def broker_down(ids: list[int]) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(services, "_enqueue", broker_down)
    # autocommit: the service's own transaction commits, then the hand-off fails (and is logged)
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.IN_PROGRESS
    )
    assert Task.objects.get(pk=world.task.pk).status == TaskStatus.IN_PROGRESS
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.PENDING
    # The beat tick sends what the hand-off missed.
    assert sending.deliveries_deliver_pending().get("delivered") == 1
    assert len(receiver.delivered) == 1
