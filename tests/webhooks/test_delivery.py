"""Events from the work-plan services, signed delivery to a real receiver, retries, auto-disable,
rollback with the causing transaction, and fan-out over regions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from departments.choices import RegionLevel
from departments.services import region_create
from notifications.calendar import is_working_day
from notifications.choices import NotificationKind
from notifications.models import Notification
from tasks.choices import TaskStatus
from tasks.models import Task
from tasks.services import (
    completion_approve,
    completion_request,
    progress_report_submit,
    task_update_progress,
)
from tasks.services.reminders import reminders_sweep
from webhooks import delivery as sending
from webhooks import services
from webhooks.choices import DeliveryState
from webhooks.events import SUBSCRIBABLE_KINDS, EventKind
from webhooks.models import Delivery, Event, Subscription

from ..conftest import World
from .conftest import Receiver, subscribe

pytestmark = pytest.mark.django_db

TASK_FIELDS = {
    "task_id",
    "plan_id",
    "plan_title",
    "region_code",
    "task_path",
    "task_title",
    "status",
    "progress",
    "due_date",
    "version",
    "url",
    "plan_url",
    "web_url",
}


def test_progress_update_sends_one_signed_status_changed_event(
    world: World, receiver: Receiver, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    subscription = subscribe(world.users["bureau"], receiver)
    with django_capture_on_commit_callbacks(execute=True):
        task_update_progress(
            actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.IN_PROGRESS
        )
    event = Event.objects.get()
    delivery = Delivery.objects.get()
    assert (event.kind, delivery.subscription_id, delivery.state) == (
        EventKind.TASK_STATUS_CHANGED,
        subscription.pk,
        DeliveryState.PENDING,
    )
    assert enqueued == [delivery.pk]  # handed to Celery after the commit

    assert sending.deliveries_deliver_pending() == {"requeued": 0, "delivered": 1}
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.verified and got.path == "/hooks/ipplan"
    assert got.headers["webhook-id"] == event.id and event.id.startswith("msg_")
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "ipplan-webhooks/1"
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    body = got.json
    assert body["type"] == "task.status_changed"
    assert dt.datetime.fromisoformat(body["timestamp"]).utcoffset() == dt.timedelta(hours=8)
    data = body["data"]
    assert TASK_FIELDS | {"old_status", "new_status", "actor_id", "actor_name"} <= set(data)
    assert data["task_id"] == world.task.pk and data["plan_id"] == world.plan.pk
    assert (data["task_path"], data["task_title"]) == ("二.(一).1", "培育高价值专利")
    assert (data["old_status"], data["new_status"], data["version"]) == ("not_started", "in_progress", 2)
    assert data["url"] == f"https://ipplan.example.gov.cn/api/v1/tasks/{world.task.pk}/"
    assert data["actor_id"] == world.users["staff"].pk and data["region_code"] == "441900"

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.delivered_at is not None
    # status and timing only: the receiver's answer is not kept (tests/security/test_ssrf.py)
    assert delivery.duration_ms is not None and delivery.last_response_excerpt == ""
    # A second run sends nothing; a progress change that keeps the status records no event.
    assert sending.deliveries_deliver_pending() == {"requeued": 0}
    task_update_progress(actor=world.users["staff"], task=world.task, expected_version=2, progress=40)
    assert Event.objects.count() == 1 and len(receiver.requests) == 1


def test_receiver_failing_twice_gets_the_event_on_the_third_attempt(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.IPPLAN_WEBHOOK_BACKOFF_SECONDS = 30
    subscribe(world.users["bureau"], receiver)
    receiver.statuses = [500, 500, 200]
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.BLOCKED
    )
    delivery = Delivery.objects.get()
    start = timezone.now()

    assert sending.deliveries_deliver_pending(now=start).get("pending") == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
    # Not due yet: nothing is sent before the backoff has passed.
    assert sending.deliveries_deliver_pending(now=start + dt.timedelta(seconds=29)) == {"requeued": 0}
    assert len(receiver.requests) == 1

    later = start + dt.timedelta(seconds=31)
    sending.deliveries_deliver_pending(now=later)
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.next_attempt_at == later + dt.timedelta(seconds=60)

    assert sending.deliveries_deliver_pending(now=later + dt.timedelta(seconds=61)).get("delivered") == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (DeliveryState.DELIVERED, 3, 200)
    assert delivery.last_error == ""
    assert [r.status for r in receiver.requests] == [500, 500, 200]
    assert len(receiver.ids()) == 1  # the same webhook-id on every attempt
    assert Subscription.objects.get().consecutive_failures == 0  # the success reset the count


def test_delivery_fails_after_max_attempts_and_can_be_retried(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.IPPLAN_WEBHOOK_MAX_ATTEMPTS = 2
    subscribe(world.users["bureau"], receiver)
    receiver.default_status = 503
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.IN_PROGRESS
    )
    sending.deliveries_deliver_pending()
    sending.deliveries_deliver_pending()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 2)
    assert sending.deliveries_deliver_pending() == {"requeued": 0}  # failed rows stay failed

    receiver.default_status = 204
    services.delivery_retry(actor=world.users["bureau"], delivery=delivery)
    assert sending.deliveries_deliver_pending().get("delivered") == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (DeliveryState.DELIVERED, 1, 204)


def test_unreachable_receiver_is_recorded_as_an_error(world: World, receiver: Receiver) -> None:
    subscription = services.subscription_create(
        actor=world.users["bureau"], url="http://127.0.0.1:9/nothing-listens", events=["task.status_changed"]
    )
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.IN_PROGRESS
    )
    assert sending.deliveries_deliver_pending().get("pending") == 1
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.last_status_code is None and "ConnectionError" in delivery.last_error


def test_subscription_disabled_after_n_failures_and_enabled_again(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.IPPLAN_WEBHOOK_DISABLE_AFTER = 3
    bureau, staff = world.users["bureau"], world.users["staff"]
    subscription = subscribe(bureau, receiver)
    receiver.default_status = 500
    for version, status in ((1, TaskStatus.IN_PROGRESS), (2, TaskStatus.BLOCKED)):
        task_update_progress(actor=staff, task=world.task, expected_version=version, status=status)
    sending.deliveries_deliver_pending()  # 2 failures
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 2
    sending.deliveries_deliver_pending()  # the third failure turns it off; the other one waits
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.consecutive_failures == 3
    assert "连续 3 次推送失败" in subscription.disabled_reason and "HTTP 500" in subscription.disabled_reason
    assert subscription.version == 2 and subscription.disabled_at is not None
    assert len(receiver.requests) == 3
    # the city's bureau is told, once, in the portal (and by e-mail if it wants)
    told = Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED)
    assert list(told.values_list("recipient__username", flat=True)) == ["bureau"]
    assert subscription.url in told.get().message
    # Off: no new deliveries are recorded for it and the waiting ones are not sent.
    task_update_progress(actor=staff, task=world.task, expected_version=3, status=TaskStatus.IN_PROGRESS)
    assert Delivery.objects.count() == 2
    assert sending.deliveries_deliver_pending() == {"requeued": 0}
    assert len(receiver.requests) == 3

    receiver.default_status = 200
    services.subscription_enable(actor=bureau, subscription=subscription, expected_version=2)
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 0
    assert subscription.disabled_reason == "" and subscription.version == 3
    assert sending.deliveries_deliver_pending().get("delivered") == 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}


def test_event_rolls_back_with_its_causing_transaction(
    world: World, receiver: Receiver, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    subscribe(world.users["bureau"], receiver)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        task_update_progress(
            actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.IN_PROGRESS
        )
        assert Delivery.objects.count() == 1
        raise RuntimeError("the caller fails after the change")
    assert Event.objects.count() == 0 and Delivery.objects.count() == 0
    assert callbacks == [] and enqueued == []
    world.task.refresh_from_db()
    assert world.task.status == TaskStatus.NOT_STARTED
    # A refused change records nothing either.
    with pytest.raises(Exception):  # noqa: B017 - the service's own validation error
        task_update_progress(actor=world.users["staff"], task=world.task, expected_version=1, progress=150)
    assert Event.objects.count() == 0


def test_region_fan_out(world: World, start_receiver: Any) -> None:
    county = region_create(code="441901", name="东城街道", level=RegionLevel.COUNTY, parent=world.city)
    receivers = {name: start_receiver() for name in ("province", "city", "other", "county", "reports")}
    subs = {
        "province": subscribe(world.users["province"], receivers["province"]),
        "city": subscribe(world.users["bureau"], receivers["city"]),
        "other": subscribe(world.users["other_bureau"], receivers["other"]),
        "county": subscribe(world.users["bureau"], receivers["county"], region=county),
        "reports": subscribe(world.users["bureau"], receivers["reports"], events=["report.submitted"]),
    }
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.IN_PROGRESS
    )
    got = set(Delivery.objects.values_list("subscription_id", flat=True))
    assert got == {subs["province"].pk, subs["city"].pk}
    sending.deliveries_deliver_pending()
    assert [
        len(receivers[name].delivered) for name in ("province", "city", "other", "county", "reports")
    ] == [
        1,
        1,
        0,
        0,
        0,
    ]
    # 珠海's own task reaches the province and 珠海, not 东莞.
    task_update_progress(
        actor=world.users["foreign_staff"],
        task=world.foreign_task,
        expected_version=1,
        status=TaskStatus.BLOCKED,
    )
    event = Event.objects.get(payload__data__task_id=world.foreign_task.pk)
    assert set(event.deliveries.values_list("subscription_id", flat=True)) == {
        subs["province"].pk,
        subs["other"].pk,
    }


def test_report_submission_and_completion_approval_emit_events(world: World, receiver: Receiver) -> None:
    subscribe(world.users["bureau"], receiver, events=list(SUBSCRIBABLE_KINDS))
    staff, head, bureau = world.users["staff"], world.users["head"], world.users["bureau"]
    report = progress_report_submit(
        actor=staff, task=world.task, text="已完成调研", percent=30, period="2026-11"
    )
    request = completion_request(actor=head, task=world.task, expected_version=1)
    completion_approve(actor=bureau, request=request, comment="同意")
    sending.deliveries_deliver_pending()
    bodies = [r.json for r in receiver.delivered]
    kinds = [b["type"] for b in bodies]
    assert kinds == ["report.submitted", "task.status_changed", "task.status_changed", "completion.approved"]
    submitted, requested, completed, approved = (b["data"] for b in bodies)
    assert submitted["report_id"] == report.pk and submitted["percent"] == 30
    assert submitted["department_name"] == "市科技局" and submitted["period"] == "2026-11"
    assert (requested["old_status"], requested["new_status"]) == ("not_started", "completion_requested")
    assert (completed["old_status"], completed["new_status"]) == ("completion_requested", "completed")
    assert approved["request_id"] == request.pk and approved["comment"] == "同意"
    assert approved["new_status"] == "completed" and approved["version"] == 3
    assert approved["request_url"].endswith(f"/api/v1/requests/{request.pk}/")


def test_overdue_is_recorded_once_per_task_and_due_date(world: World, receiver: Receiver) -> None:
    subscribe(world.users["bureau"], receiver, events=["task.overdue"])
    day = dt.date(2026, 11, 2)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    Task.objects.filter(pk=world.task.pk).update(due_date=day - dt.timedelta(days=3))
    Task.objects.filter(pk=world.other_task.pk).update(due_date=day + dt.timedelta(days=3))
    reminders_sweep(today=day)
    reminders_sweep(today=day)
    reminders_sweep(today=day + dt.timedelta(days=1))
    event = Event.objects.get()
    assert event.kind == "task.overdue" and event.payload["data"]["task_id"] == world.task.pk
    assert event.payload["data"]["days_overdue"] == 3
    assert event.dedup_key == f"task.overdue:t{world.task.pk}:{(day - dt.timedelta(days=3)).isoformat()}"
    # A new due date that passes again is a new event; a dry run records nothing.
    Task.objects.filter(pk=world.task.pk).update(due_date=day - dt.timedelta(days=1))
    reminders_sweep(today=day, dry_run=True)
    assert Event.objects.count() == 1
    reminders_sweep(today=day)
    assert Event.objects.count() == 2
    sending.deliveries_deliver_pending()
    assert len(receiver.delivered) == 2


def test_event_record_dedup_and_catalogue(world: World, receiver: Receiver) -> None:
    subscribe(world.users["bureau"], receiver, events=["task.overdue"])
    first = services.event_record("task.overdue", region=world.city, data={"task_id": 1}, dedup_key="k1")
    assert first is not None
    assert (
        services.event_record("task.overdue", region=world.city, data={"task_id": 1}, dedup_key="k1") is None
    )
    assert Event.objects.count() == 1 and Delivery.objects.count() == 1
    # Nobody subscribes to it: nothing is written.
    assert services.event_record("report.submitted", region=world.city, data={}) is None
    with pytest.raises(ValueError):
        services.event_record("task.deleted", region=world.city, data={})
    with pytest.raises(ValueError):
        services.event_record("webhook.test", region=world.city, data={})


def test_test_send_goes_only_to_that_subscription(world: World, start_receiver: Any) -> None:
    first, second = start_receiver(), start_receiver()
    one = subscribe(world.users["bureau"], first)
    subscribe(world.users["bureau"], second, events=list(SUBSCRIBABLE_KINDS))
    delivery = services.subscription_test_send(actor=world.users["bureau"], subscription=one)
    assert delivery.event.kind == EventKind.WEBHOOK_TEST and Delivery.objects.count() == 1
    sending.deliveries_deliver_pending()
    assert len(first.delivered) == 1 and second.requests == []
    body = first.delivered[0].json
    assert body["type"] == "webhook.test" and body["data"]["subscription_id"] == one.pk
    assert "测试消息" in body["data"]["message"]


def test_stuck_delivery_is_requeued_after_its_lease(world: World, receiver: Receiver, settings: Any) -> None:
    subscribe(world.users["bureau"], receiver)
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.IN_PROGRESS
    )
    delivery = Delivery.objects.get()
    now = timezone.now()
    assert sending.delivery_claim(delivery_id=delivery.pk, now=now)  # a sender that then dies
    assert not sending.delivery_claim(delivery_id=delivery.pk, now=now)  # nobody else takes it
    assert sending.deliveries_requeue_stuck(now=now) == 0  # its lease still runs
    lease_over = now + dt.timedelta(seconds=settings.IPPLAN_WEBHOOK_SENDING_LEASE_SECONDS + 1)
    assert sending.deliveries_deliver_pending(now=lease_over) == {"requeued": 1, "delivered": 1}
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.state == DeliveryState.DELIVERED


def test_a_stuck_delivery_that_used_up_its_attempts_is_marked_failed(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.IPPLAN_WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(world.users["bureau"], receiver)
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.IN_PROGRESS
    )
    delivery = Delivery.objects.get()
    now = timezone.now()
    assert sending.delivery_claim(delivery_id=delivery.pk, now=now)  # its only attempt; the sender dies
    lease_over = now + dt.timedelta(seconds=settings.IPPLAN_WEBHOOK_SENDING_LEASE_SECONDS + 1)
    assert sending.deliveries_deliver_pending(now=lease_over) == {"requeued": 0}
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == (DeliveryState.FAILED, 1, None)
    assert delivery.last_error and receiver.requests == []


def test_reimport_cancelling_a_removed_task_emits_status_changed(world: World, receiver: Receiver) -> None:
    from planparser import parse_text
    from tasks.services.imports.mapping import resolve_departments
    from tasks.services.imports.preview import import_preview
    from tasks.services.imports.reimport import plan_reimport_apply

    from ..factories import imported_plan
    from ..imports.docs import PLAN_V1, PLAN_V2

    bureau = world.users["bureau"]
    plan = imported_plan(world.city, PLAN_V1, actor=bureau)
    subscribe(bureau, receiver)
    parsed = parse_text(PLAN_V2)
    preview = import_preview(parsed=parsed, region=world.city, replaces=plan)
    departments = resolve_departments(
        actor=bureau, region=world.city, resolutions=preview.resolutions, create_missing=True
    )
    plan_reimport_apply(actor=bureau, plan=plan, parsed=parsed, departments=departments)
    event = Event.objects.get()
    data = event.payload["data"]
    assert (data["task_path"], data["old_status"], data["new_status"]) == (
        "二.(二).3",
        "not_started",
        "cancelled",
    )
    assert data["actor_id"] == bureau.pk and data["plan_id"] == plan.pk
    sending.deliveries_deliver_pending()
    assert len(receiver.delivered) == 1


def test_finished_events_past_the_keeping_time_are_pruned(world: World, receiver: Receiver) -> None:
    bureau, staff = world.users["bureau"], world.users["staff"]
    subscribe(bureau, receiver)
    task_update_progress(actor=staff, task=world.task, expected_version=1, status=TaskStatus.IN_PROGRESS)
    sending.deliveries_deliver_pending()  # delivered
    receiver.default_status = 500
    task_update_progress(actor=staff, task=world.task, expected_version=2, status=TaskStatus.BLOCKED)
    sending.deliveries_deliver_pending()  # waits for a retry
    delivered, waiting = Event.objects.order_by("created_at")
    later = timezone.now() + dt.timedelta(days=91)
    assert sending.events_prune(now=timezone.now(), keep_days=90) == 0  # nothing old enough
    assert sending.events_prune(now=later, keep_days=0) == 0  # 0 keeps everything
    assert sending.events_prune(now=later, keep_days=90) == 1
    assert list(Event.objects.values_list("pk", flat=True)) == [waiting.pk]  # still owed a delivery
    assert not Delivery.objects.filter(event_id=delivered.pk).exists()
