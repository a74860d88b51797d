"""Delivery: claim, send, stamp; preferences; backoff and failure; the sweeper; robots; admin."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from departments.models import Department, User
from departments.services import user_create
from ipplan.outbound import Reply
from ipplan.roles import Role
from notifications.choices import NotificationState
from notifications.models import Notification
from notifications.services.delivery import (
    backoff,
    email_render,
    notification_claim,
    notifications_deliver_pending,
    notifications_requeue_stuck,
    robot_payload,
)
from tasks.choices import ReportCadence, TaskStatus
from tasks.models import Plan, Task
from tasks.services import task_urge

from ..conftest import PASSWORD, World
from .helpers import sweep

D = dt.date


@pytest.fixture
def due(world: World, settings: Any) -> World:
    """world.task is due Fri 2026-10-09; everyone has an address; mail goes to the outbox."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.IPPLAN_BASE_URL = "https://ipplan.example.gov.cn"
    Task.objects.filter(pk=world.task.pk).update(due_date=D(2026, 10, 9))
    Task.objects.filter(pk=world.other_task.pk).update(status=TaskStatus.CANCELLED)
    Plan.objects.update(report_cadence=ReportCadence.NONE)
    for user in User.objects.all():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.gov.cn")
    return world


@pytest.fixture
def celery_eager() -> Iterator[None]:
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


def _reminders() -> list[Notification]:
    return list(Notification.objects.filter(kind="due_today").order_by("pk"))


@pytest.mark.django_db
def test_each_reminder_is_mailed_once_in_chinese_with_a_link(due: World) -> None:
    sweep(D(2026, 10, 9), "--skip-digests")
    assert notifications_deliver_pending()["sent"] == 2
    assert notifications_deliver_pending().get("sent", 0) == 0  # a second sender finds nothing
    assert sorted(m.to[0] for m in mail.outbox) == ["other_staff@example.gov.cn", "staff@example.gov.cn"]
    message = mail.outbox[0]
    assert message.subject.startswith("【ipplan】当日到期提醒:二.(一).1 培育高价值专利")
    assert f"https://ipplan.example.gov.cn/tasks/{due.task.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "查看任务" in str(html) and "今天(2026年10月09日)到期" in str(html)
    assert message.extra_headers["Message-ID"].startswith("<ipplan.")
    rows = _reminders()
    assert {(r.state, r.attempts) for r in rows} == {(NotificationState.SENT, 1)}
    assert all(r.sent_at is not None for r in rows)


@pytest.mark.django_db
def test_preferences_email_off_and_daily_digest_instead_of_single_mails(due: World) -> None:
    User.objects.filter(username="staff").update(email_notifications=False)
    User.objects.filter(username="other_staff").update(daily_digest=True)
    sweep(D(2026, 10, 9))
    notifications_deliver_pending()
    states = {r.recipient.username: r.state for r in _reminders()}
    assert states == {"staff": NotificationState.SKIPPED, "other_staff": NotificationState.SKIPPED}
    # the digest user gets the day's digest by mail instead; both still see the bell
    mine = [m for m in mail.outbox if m.to == ["other_staff@example.gov.cn"]]
    assert len(mine) == 1 and "今日待办摘要" in mine[0].body


@pytest.mark.django_db
def test_a_failing_send_backs_off_is_visible_and_ends_failed_then_an_operator_retries(
    due: World, settings: Any, client: Any
) -> None:
    settings.IPPLAN_REMINDER_MAX_ATTEMPTS = 3
    sweep(D(2026, 10, 9), "--skip-digests")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP 451 稍后再试")):
        assert notifications_deliver_pending()["pending"] == 2
        row = _reminders()[0]
        assert (row.state, row.attempts) == (NotificationState.PENDING, 1)
        assert "SMTP 451" in row.last_error
        assert row.next_attempt_at is not None
        assert abs((row.next_attempt_at - timezone.now()) - backoff(1)) < dt.timedelta(seconds=5)
        assert notifications_deliver_pending().get("pending", 0) == 0  # not due again yet
        for attempt in (2, 3):
            Notification.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
            notifications_deliver_pending()
            assert _reminders()[0].attempts == attempt
    assert {r.state for r in _reminders()} == {NotificationState.FAILED}
    assert backoff(2) == 2 * backoff(1)
    assert mail.outbox == []
    # the admin shows them and retries them
    client.force_login(due.users["admin"])
    page = client.get("/admin/notifications/notification/?state__exact=failed")
    assert page.status_code == 200 and "发送失败 2" in page.content.decode()
    assert "reminders: 600.0" in page.content.decode() and "上次节拍" in page.content.decode()
    response = client.post(
        "/admin/notifications/notification/",
        {"action": "retry", "_selected_action": [r.pk for r in _reminders()]},
        follow=True,
    )
    assert response.status_code == 200 and "已重新排队 2 条通知" in response.content.decode()
    assert notifications_deliver_pending()["sent"] == 2
    assert {(r.state, r.attempts, r.last_error) for r in _reminders()} == {(NotificationState.SENT, 1, "")}


@pytest.mark.django_db
def test_a_claimed_row_belongs_to_one_sender_and_a_dead_senders_row_is_requeued(due: World) -> None:
    sweep(D(2026, 10, 9), "--skip-digests")
    row = _reminders()[0]
    assert notification_claim(notification_id=row.pk) is True
    assert notification_claim(notification_id=row.pk) is False
    assert notifications_deliver_pending().get("sent") == 1  # the other row; this one is "sending"
    assert notifications_requeue_stuck() == 0  # its lease has not run out
    later = timezone.now() + dt.timedelta(hours=1)
    assert notifications_requeue_stuck(now=later) == 1
    assert notifications_deliver_pending()["sent"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (NotificationState.SENT, 2)
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_dead_senders_row_that_used_up_its_attempts_is_marked_failed(due: World, settings: Any) -> None:
    settings.IPPLAN_REMINDER_MAX_ATTEMPTS = 1
    sweep(D(2026, 10, 9), "--skip-digests")
    row, other = _reminders()
    assert notification_claim(notification_id=row.pk) is True  # its only attempt; the sender dies
    later = timezone.now() + dt.timedelta(hours=1)
    assert notifications_requeue_stuck(now=later) == 0
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at) == (NotificationState.FAILED, 1, None)
    assert row.last_error
    assert notifications_deliver_pending() == {"requeued": 0, "sent": 1}  # only the other row
    assert [m.to for m in mail.outbox] == [[other.recipient.email]]


@pytest.mark.django_db
def test_a_failing_row_is_tried_once_per_run_even_without_backoff(due: World, settings: Any) -> None:
    settings.IPPLAN_REMINDER_BACKOFF_SECONDS = 0
    sweep(D(2026, 10, 9), "--skip-digests")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP 451")):
        assert notifications_deliver_pending() == {"requeued": 0, "pending": 2}
    assert {r.attempts for r in _reminders()} == {1}


@pytest.mark.django_db
def test_a_manual_urge_goes_the_same_way(due: World) -> None:
    task_urge(actor=due.users["bureau"], task=due.task, message="请本周内报送")
    assert notifications_deliver_pending()["sent"] == 3
    assert sorted(m.to[0].split("@")[0] for m in mail.outbox) == ["head", "other_staff", "staff"]
    assert all(m.subject.startswith("【ipplan】催办") for m in mail.outbox)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", {"msgtype": "markdown"}),
        ("https://oapi.dingtalk.com/robot/send?access_token=t", {"msgtype": "markdown"}),
        ("https://open.feishu.cn/open-apis/bot/v2/hook/h", {"msg_type": "text"}),
    ],
)
def test_robot_payloads(url: str, expected: dict[str, str]) -> None:
    payload = robot_payload(url, title="逾期催报", text="任务已逾期", link="https://x/tasks/1/")
    assert expected.items() <= payload.items()
    body = json.dumps(payload, ensure_ascii=False)
    assert "逾期催报" in body and "任务已逾期" in body and "https://x/tasks/1/" in body
    if "dingtalk" in url:
        assert payload["markdown"]["title"] == "逾期催报"


@pytest.mark.django_db
def test_a_department_robot_posts_each_reminder_once(due: World) -> None:
    Department.objects.filter(pk=due.lead_dept.pk).update(
        robot_webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
    )
    user_create(
        actor=None, username="staff2", password=PASSWORD, role=Role.DEPT_STAFF, department=due.lead_dept
    )
    posted: list[dict[str, Any]] = []

    def fake_post(url: str, body: bytes, headers: dict[str, str], **kwargs: Any) -> Reply:
        posted.append(json.loads(body))
        return Reply(status=200, reason="OK", duration_ms=1, body=b'{"errcode":0,"errmsg":"ok"}')

    with mock.patch("notifications.services.delivery.outbound.post", side_effect=fake_post):
        sweep(D(2026, 10, 9), "--skip-digests")
        notifications_deliver_pending()
    assert len(_reminders()) == 3  # staff, staff2 and other_staff
    assert len(posted) == 1 and "培育高价值专利" in posted[0]["markdown"]["content"]


@pytest.mark.django_db
def test_a_refusing_robot_is_a_visible_failure(due: World) -> None:
    Department.objects.filter(pk=due.lead_dept.pk).update(
        robot_webhook_url="https://oapi.dingtalk.com/robot/send"
    )
    answer = Reply(
        status=200, reason="OK", duration_ms=1, body=b'{"errcode":310000,"errmsg":"sign not match"}'
    )
    with mock.patch("notifications.services.delivery.outbound.post", return_value=answer):
        sweep(D(2026, 10, 9), "--skip-digests")
        notifications_deliver_pending()
    row = Notification.objects.get(kind="due_today", recipient__username="staff")
    # the mail went out, so the row is sent (a retry would mail twice); the robot's error code
    # shows (not its words: the log never reads back what an address answers)
    assert row.state == NotificationState.SENT and "errcode 310000" in row.last_error
    assert len([m for m in mail.outbox if m.to == ["staff@example.gov.cn"]]) == 1
    # without e-mail the robot is the only channel: its failure is retried with backoff
    User.objects.filter(username="staff").update(email_notifications=False)
    Task.objects.filter(pk=due.task.pk).update(due_date=D(2026, 10, 12))
    with mock.patch("notifications.services.delivery.outbound.post", return_value=answer):
        sweep(D(2026, 10, 12), "--skip-digests")
        notifications_deliver_pending()
    row = Notification.objects.get(
        kind="due_today", recipient__username="staff", dedup_key__contains="2026-10-12"
    )
    assert (row.state, row.attempts) == (NotificationState.PENDING, 1) and "310000" in row.last_error


@pytest.mark.django_db
def test_the_jobs_tick_sweep_and_send(due: World, celery_eager: None) -> None:
    from notifications.jobs import notification_send
    from tasks.jobs import reminders_tick

    with mock.patch("tasks.jobs.timezone.localtime") as now:
        now.return_value = timezone.make_aware(dt.datetime(2026, 10, 9, 8, 0))
        assert reminders_tick.apply().get() == {"due_today": 2}  # before 09:00: no digests yet
        assert len(mail.outbox) == 2
        now.return_value = timezone.make_aware(dt.datetime(2026, 10, 9, 9, 10))
        # from 09:00 the week's digest for the three bureau users (caught up on this Friday)
        assert reminders_tick.apply().get() == {"digest": 3}
        assert reminders_tick.apply().get() == {}
    assert len(mail.outbox) == 5
    row = _reminders()[0]
    assert notification_send.apply(args=[row.pk]).get() == ""  # already sent: a no-op


def test_email_render_without_task(db: None) -> None:
    user = user_create(
        actor=None, username="solo", password=PASSWORD, role=Role.ADMIN, email="solo@example.org"
    )
    row = Notification.objects.create(
        recipient=user, kind="digest", message="本周摘要\n第二行", dedup_key="x:1"
    )
    rendered = email_render(row)
    assert rendered.subject == "【ipplan】工作摘要:本周摘要"
    assert "/notifications/" in rendered.body and "第二行" in rendered.body


@pytest.mark.django_db
def test_reminders_and_digests_are_in_the_bell_and_list(due: World, client: Any) -> None:
    sweep(D(2026, 10, 9))
    client.force_login(due.users["bureau"])
    page = client.get("/notifications/").content.decode()
    assert "本周摘要" in page and "2026年第41周" in page
    client.force_login(due.users["staff"])
    page = client.get("/notifications/").content.decode()
    assert "今天(2026年10月09日)到期" in page
