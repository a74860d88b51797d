"""The bureau's webhook pages through the Django test client: who sees what, and the create,
test-send and delivery-log flow against a real receiver."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from webhooks import delivery as sending
from webhooks import services
from webhooks.choices import DeliveryState
from webhooks.models import Delivery, Subscription

from ..conftest import World
from .conftest import Receiver, subscribe

pytestmark = pytest.mark.django_db


def client_for(world: World, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def _urls(pk: int, *names: str) -> list[str]:
    return [reverse(f"webhooks:{name}", args=[pk]) for name in names]


def _pages(pk: int) -> list[str]:
    return _urls(pk, "detail", "edit", "delete", "deliveries")


def _posts(pk: int) -> list[str]:
    return _urls(pk, "test", "rotate", "enable", "delete")


def test_anonymous_is_sent_to_login(world: World) -> None:
    response = Client().get(reverse("webhooks:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["staff", "head", "leader", "other_staff"])
def test_users_who_may_not_manage_webhooks_get_403(world: World, receiver: Receiver, who: str) -> None:
    subscription = subscribe(world.users["bureau"], receiver)
    client = client_for(world, who)
    assert client.get(reverse("webhooks:list")).status_code == 403
    assert client.get(reverse("webhooks:create")).status_code == 403
    for url in _pages(subscription.pk):
        assert client.get(url).status_code == 403
    for url in _posts(subscription.pk):
        assert client.post(url).status_code == 403
    assert "Webhook 推送" not in client.get(reverse("home")).content.decode()  # no link in the top bar
    assert Delivery.objects.count() == 0 and Subscription.objects.get().version == 1


def test_another_citys_bureau_cannot_see_a_subscription(world: World, receiver: Receiver) -> None:
    subscription = subscribe(world.users["bureau"], receiver, description="东莞督查系统")
    client = client_for(world, "other_bureau")
    listing = client.get(reverse("webhooks:list"))
    assert listing.status_code == 200 and "东莞督查系统" not in listing.content.decode()
    for url in _pages(subscription.pk):
        assert client.get(url).status_code == 404
    for url in _posts(subscription.pk):
        assert client.post(url).status_code == 404
    assert (
        client.post(
            reverse("webhooks:edit", args=[subscription.pk]),
            {"url": "https://evil.example/", "events": ["task.overdue"]},
        ).status_code
        == 404
    )
    assert Delivery.objects.count() == 0 and Subscription.objects.get().url == receiver.url
    # the province above sees it
    province = client_for(world, "province")
    assert "东莞督查系统" in province.get(reverse("webhooks:list")).content.decode()
    assert province.get(reverse("webhooks:detail", args=[subscription.pk])).status_code == 200


def test_create_test_send_and_delivery_log(world: World, receiver: Receiver) -> None:
    client = client_for(world, "bureau")
    home = client.get(reverse("home")).content.decode()
    assert reverse("webhooks:list") in home  # the top-bar link

    form = client.get(reverse("webhooks:create"))
    assert form.status_code == 200
    body = form.content.decode()
    assert "任务状态变更" in body and "task.status_changed" in body and "webhook.test" not in body

    bad = client.post(
        reverse("webhooks:create"),
        {
            "url": "ftp://x.gov.cn/",
            "events": ["task.status_changed"],
            "region": world.city.pk,
            "is_active": "on",
        },
    )
    assert bad.status_code == 400 and "http:// 或 https://" in bad.content.decode()
    none = client.post(reverse("webhooks:create"), {"url": receiver.url, "region": world.city.pk})
    assert none.status_code == 400 and Subscription.objects.count() == 0

    created = client.post(
        reverse("webhooks:create"),
        {
            "url": receiver.url,
            "description": "督查平台",
            "events": ["task.status_changed", "completion.approved"],
            "region": world.city.pk,
            "is_active": "on",
        },
    )
    subscription = Subscription.objects.get()
    assert created.status_code == 302 and created["Location"] == reverse(
        "webhooks:detail", args=[subscription.pk]
    )
    receiver.secret = subscription.secret

    detail = client.get(created["Location"])
    page = detail.content.decode()
    assert detail.status_code == 200 and subscription.secret in page and "发送测试" in page
    assert "<script>" not in page and not re.search(r"<script(?![^>]*\bsrc=)", page)  # CSP: no inline script

    listing = client.get(reverse("webhooks:list")).content.decode()
    assert receiver.url in listing and "督查平台" in listing and "任务状态变更、办结申请获批" in listing

    sent = client.post(reverse("webhooks:test", args=[subscription.pk]))
    assert sent.status_code == 302 and sent["Location"] == reverse(
        "webhooks:deliveries", args=[subscription.pk]
    )
    delivery = Delivery.objects.get()
    assert delivery.event.kind == "webhook.test"
    waiting = client.get(sent["Location"]).content.decode()
    assert delivery.event_id in waiting and "待发送" in waiting and 'hx-trigger="every 5s"' in waiting

    sending.deliveries_deliver_pending()
    assert len(receiver.delivered) == 1 and receiver.delivered[0].headers["webhook-id"] == delivery.event_id
    log = client.get(sent["Location"]).content.decode()
    assert delivery.event_id in log and "已送达" in log and "测试消息" in log and "hx-trigger" not in log
    partial = client.get(sent["Location"], headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith("<tbody") and delivery.event_id in partial
    assert "已送达" in client.get(reverse("webhooks:list")).content.decode()  # last delivery status


def test_log_shows_attempts_errors_and_retry(world: World, receiver: Receiver, settings: object) -> None:
    settings.IPPLAN_WEBHOOK_MAX_ATTEMPTS = 3  # type: ignore[attr-defined]
    subscription = subscribe(world.users["bureau"], receiver)
    receiver.default_status = 500
    services.subscription_test_send(actor=world.users["bureau"], subscription=subscription)
    for _ in range(3):
        sending.deliveries_deliver_pending()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 3)
    client = client_for(world, "bureau")
    log = client.get(reverse("webhooks:deliveries", args=[subscription.pk])).content.decode()
    row = log[log.index(f'id="delivery-{delivery.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "发送失败" in row and "<td>3</td>" in row and "<td>500</td>" in row and "HTTP 500" in row
    assert " ms" in row and "重新发送" in row
    receiver.default_status = 200
    retried = client.post(reverse("webhooks:delivery_retry", args=[delivery.pk]))
    assert retried.status_code == 302
    sending.deliveries_deliver_pending()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1
    assert (
        client_for(world, "other_bureau")
        .post(reverse("webhooks:delivery_retry", args=[delivery.pk]))
        .status_code
        == 404
    )


def test_log_is_paginated_newest_first(world: World, receiver: Receiver) -> None:
    subscription = subscribe(world.users["bureau"], receiver)
    sent = [
        services.subscription_test_send(actor=world.users["bureau"], subscription=subscription)
        for _ in range(31)
    ]
    client = client_for(world, "bureau")
    url = reverse("webhooks:deliveries", args=[subscription.pk])
    first = client.get(url).content.decode()
    assert sent[-1].event_id in first and sent[0].event_id not in first and "1 / 2" in first
    assert first.index(sent[-1].event_id) < first.index(sent[-2].event_id)
    assert sent[0].event_id in client.get(url + "?page=2").content.decode()


def test_edit_rotate_disable_enable_and_delete(world: World, receiver: Receiver) -> None:
    subscription = subscribe(world.users["bureau"], receiver)
    client = client_for(world, "bureau")
    edit_url = reverse("webhooks:edit", args=[subscription.pk])
    form = client.get(edit_url).content.decode()
    assert receiver.url in form and 'name="version" value="1"' in form
    post = {"url": receiver.url + "/v2", "events": ["task.overdue"], "region": world.city.pk, "version": 1}
    assert client.post(edit_url, post).status_code == 302  # unchecked "is_active": turned off
    subscription.refresh_from_db()
    assert subscription.url.endswith("/v2") and not subscription.is_active and subscription.version == 2
    stale = client.post(edit_url, {**post, "description": "过时的表单"})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()

    page = client.get(reverse("webhooks:detail", args=[subscription.pk])).content.decode()
    assert "已停用" in page and "重新启用" in page
    client.post(reverse("webhooks:enable", args=[subscription.pk]), {"version": 2})
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.version == 3

    old_secret = subscription.secret
    client.post(reverse("webhooks:rotate", args=[subscription.pk]), {"version": 3})
    subscription.refresh_from_db()
    assert subscription.secret != old_secret and subscription.version == 4

    confirm = client.get(reverse("webhooks:delete", args=[subscription.pk]))
    assert confirm.status_code == 200 and "确认删除" in confirm.content.decode()
    assert Subscription.objects.exists()  # a GET deletes nothing
    deleted = client.post(reverse("webhooks:delete", args=[subscription.pk]), {"version": 4})
    assert deleted.status_code == 302 and deleted["Location"] == reverse("webhooks:list")
    assert not Subscription.objects.exists()


def test_admin_lists_subscriptions_read_only(world: World, receiver: Receiver) -> None:
    subscription = subscribe(world.users["bureau"], receiver)
    world.users["bureau"].is_staff = True
    world.users["bureau"].save(update_fields=["is_staff"])
    client = client_for(world, "bureau")
    listing = client.get(reverse("admin:webhooks_subscription_changelist"))
    assert listing.status_code == 200 and receiver.url in listing.content.decode()
    page = client.get(reverse("admin:webhooks_subscription_change", args=[subscription.pk])).content.decode()
    assert subscription.secret not in page
    assert client.get(reverse("admin:webhooks_subscription_add")).status_code == 403
