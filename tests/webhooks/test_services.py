"""Subscription services: who may, what is valid, versions and conflicts, secrets, the jobs."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from standardwebhooks import Webhook

from ipplan.exceptions import ConflictError
from tasks.choices import TaskStatus
from tasks.services import task_update_progress
from webhooks import delivery as sending
from webhooks import jobs, services
from webhooks.choices import DeliveryState
from webhooks.models import Delivery, Subscription

from ..conftest import World
from .conftest import Receiver, subscribe

pytestmark = pytest.mark.django_db


def test_create_generates_a_standard_webhooks_secret(world: World) -> None:
    subscription = services.subscription_create(
        actor=world.users["bureau"],
        url=" https://oa.example.gov.cn/hooks ",
        events=["task.overdue", "task.status_changed", "task.overdue"],
        description=" 督查系统 ",
    )
    assert subscription.region == world.city and subscription.created_by == world.users["bureau"]
    assert subscription.url == "https://oa.example.gov.cn/hooks" and subscription.description == "督查系统"
    assert subscription.events == ["task.status_changed", "task.overdue"]  # catalogue order, once each
    assert subscription.version == 1 and subscription.is_active
    assert subscription.secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(subscription.secret.removeprefix("whsec_"))) <= 32
    Webhook(subscription.secret)  # the library accepts it
    other = services.subscription_create(
        actor=world.users["bureau"], url="http://oa-server:8080/hook", events=["task.overdue"]
    )
    assert other.secret != subscription.secret  # an intranet host name without dots is fine
    assert subscription.history.first().history_user == world.users["bureau"]


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("ftp://example.gov.cn/x", ["task.overdue"], "url"),
        ("javascript:alert(1)", ["task.overdue"], "url"),
        ("https://", ["task.overdue"], "url"),
        ("https://user:pw@example.gov.cn/", ["task.overdue"], "url"),
        ("https://example.gov.cn/a b", ["task.overdue"], "url"),
        ("https://example.gov.cn/", [], "events"),
        ("https://example.gov.cn/", ["task.deleted"], "events"),
        ("https://example.gov.cn/", ["webhook.test"], "events"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(
    world: World, url: str, events: list[str], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        services.subscription_create(actor=world.users["bureau"], url=url, events=events)
    assert field in error.value.message_dict
    assert Subscription.objects.count() == 0


def test_who_may_manage_subscriptions(world: World) -> None:
    for who in ("staff", "head", "leader"):
        with pytest.raises(PermissionDenied):
            services.subscription_create(
                actor=world.users[who], url="https://a.gov.cn/", events=["task.overdue"]
            )
    with pytest.raises(ValidationError) as error:  # a region outside the actor's
        services.subscription_create(
            actor=world.users["other_bureau"],
            url="https://a.gov.cn/",
            events=["task.overdue"],
            region=world.city,
        )
    assert "region" in error.value.message_dict
    with pytest.raises(ValidationError):  # an admin without a region must say which one
        services.subscription_create(
            actor=world.users["admin"], url="https://a.gov.cn/", events=["task.overdue"]
        )
    provincial = services.subscription_create(
        actor=world.users["province"], url="https://a.gov.cn/", events=["task.overdue"], region=world.city
    )
    for who in ("other_bureau", "staff"):
        with pytest.raises(PermissionDenied):
            services.subscription_update(actor=world.users[who], subscription=provincial, description="x")
        with pytest.raises(PermissionDenied):
            services.subscription_delete(actor=world.users[who], subscription=provincial)
        with pytest.raises(PermissionDenied):
            services.subscription_test_send(actor=world.users[who], subscription=provincial)
    services.subscription_update(actor=world.users["bureau"], subscription=provincial, description="东莞")


def test_update_versions_conflicts_and_disabling(world: World) -> None:
    bureau = world.users["bureau"]
    subscription = services.subscription_create(
        actor=bureau, url="https://a.gov.cn/", events=["task.overdue"]
    )
    same = services.subscription_update(actor=bureau, subscription=subscription, url="https://a.gov.cn/")
    assert same.version == 1  # nothing changed, nothing bumped
    changed = services.subscription_update(
        actor=bureau,
        subscription=subscription,
        expected_version=1,
        url="https://b.gov.cn/",
        events=["report.submitted"],
    )
    assert (changed.version, changed.url, changed.events) == (2, "https://b.gov.cn/", ["report.submitted"])
    with pytest.raises(ConflictError) as conflict:
        services.subscription_update(
            actor=bureau, subscription=subscription, expected_version=1, description="x"
        )
    assert conflict.value.current["version"] == 2
    with pytest.raises(ValidationError):
        services.subscription_update(actor=bureau, subscription=subscription, url="mailto:a@b.cn")
    assert Subscription.objects.get().url == "https://b.gov.cn/"

    off = services.subscription_update(actor=bureau, subscription=subscription, is_active=False)
    assert not off.is_active and "bureau" in off.disabled_reason and off.version == 3
    on = services.subscription_update(actor=bureau, subscription=subscription, is_active=True)
    assert on.is_active and on.disabled_reason == "" and on.version == 4
    rotated = services.subscription_rotate_secret(actor=bureau, subscription=subscription, expected_version=4)
    assert rotated.secret != on.secret and rotated.version == 5
    assert services.subscription_enable(actor=bureau, subscription=subscription).version == 5  # already on
    with pytest.raises(ConflictError):
        services.subscription_delete(actor=bureau, subscription=subscription, expected_version=4)
    services.subscription_delete(actor=bureau, subscription=subscription, expected_version=5)
    assert Subscription.objects.count() == 0


def test_after_a_rotation_both_secrets_sign_for_a_while(
    world: World, receiver: Receiver, settings: Any
) -> None:
    bureau, staff = world.users["bureau"], world.users["staff"]
    subscription = subscribe(bureau, receiver)
    old = subscription.secret
    rotated = services.subscription_rotate_secret(actor=bureau, subscription=subscription)
    assert rotated.secret != old and rotated.previous_secret == old
    assert rotated.previous_secret_expires_at is not None
    task_update_progress(actor=staff, task=world.task, expected_version=1, status=TaskStatus.BLOCKED)
    sending.deliveries_deliver_pending()  # a receiver still on the old secret accepts it
    assert receiver.requests[-1].verified and len(receiver.delivered) == 1
    signatures = receiver.requests[-1].headers["webhook-signature"].split()
    assert len(signatures) == 2 and all(sig.startswith("v1,") for sig in signatures)
    receiver.secret = rotated.secret  # ... and so does one already on the new secret
    task_update_progress(actor=staff, task=world.task, expected_version=2, status=TaskStatus.IN_PROGRESS)
    sending.deliveries_deliver_pending()
    assert receiver.requests[-1].verified and len(receiver.delivered) == 2


def test_without_an_overlap_the_old_secret_stops_at_once(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.IPPLAN_WEBHOOK_ROTATION_HOURS = 0
    subscription = subscribe(world.users["bureau"], receiver)
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.BLOCKED
    )
    rotated = services.subscription_rotate_secret(actor=world.users["bureau"], subscription=subscription)
    sending.deliveries_deliver_pending()  # still expecting the old secret: refused with 400
    assert receiver.requests[-1].status == 400 and not receiver.requests[-1].verified
    receiver.secret = rotated.secret
    sending.deliveries_deliver_pending()
    assert len(receiver.delivered) == 1


def test_deleting_a_subscription_drops_its_log_and_pending_deliveries(
    world: World, receiver: Receiver
) -> None:
    subscription = subscribe(world.users["bureau"], receiver)
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.BLOCKED
    )
    services.subscription_delete(actor=world.users["bureau"], subscription=subscription)
    assert Delivery.objects.count() == 0
    assert sending.deliveries_deliver_pending() == {"requeued": 0}
    assert receiver.requests == []


def test_celery_jobs_send(world: World, receiver: Receiver) -> None:
    subscription = subscribe(world.users["bureau"], receiver)
    delivery = services.subscription_test_send(actor=world.users["bureau"], subscription=subscription)
    assert jobs.webhook_send.apply(args=[delivery.pk]).get() == DeliveryState.DELIVERED
    assert jobs.webhook_send.apply(args=[delivery.pk]).get() == ""  # already delivered: a no-op
    assert jobs.webhook_send.apply(args=[987654]).get() == ""  # gone: a no-op
    task_update_progress(
        actor=world.users["staff"], task=world.task, expected_version=1, status=TaskStatus.BLOCKED
    )
    assert jobs.webhooks_deliver.apply().get() == {"requeued": 0, "delivered": 1}
    assert len(receiver.delivered) == 2


def test_beat_ticks_the_delivery_job(settings: object) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["deliver-webhooks"]  # type: ignore[attr-defined]
    assert entry["task"] == "webhooks.jobs.webhooks_deliver" and entry["schedule"] == 30.0


def test_beat_prunes_old_events_daily(settings: object) -> None:
    from webhooks import jobs

    entry = settings.CELERY_BEAT_SCHEDULE["prune-webhook-events"]  # type: ignore[attr-defined]
    assert entry["task"] == jobs.webhooks_prune.name and entry["schedule"] == 86400.0
