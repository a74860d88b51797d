"""Plan maintenance in a real browser: the bureau reassigns a task from one department to another,
splits one, moves one, cancels and restores one. Each step shows in the task's audit trail, the
departments get their notifications, the REST API's ETag changes each time, and the old
department's inbox no longer holds the reassigned task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from departments.services import department_create, user_create
from ipplan.roles import Role
from notifications.choices import NotificationKind
from notifications.models import Notification
from tasks.models import Section, Task
from tasks.services.plans import section_create

from ..conftest import PASSWORD, World, make_world
from ..factories import token_for
from .test_portal import console_errors, login, shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any) -> tuple[str, World]:
    world = make_world()
    market = department_create(actor=None, region=world.city, name="市市场监管局", aliases=["市场监管局"])
    user_create(
        actor=None,
        username="market",
        password=PASSWORD,
        role=Role.DEPT_STAFF,
        department=market,
    )
    top = Section.objects.get(plan=world.plan, path="二")
    section_create(plan=world.plan, label="(二)", title="运用", parent=top)
    return live_server.url, world


class Api:
    """The bureau's view of the task through the REST API (its ETag)."""

    def __init__(self, base: str, world: World) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token_for(world.users['bureau'], write=False)}"}

    def etag(self, task_id: int) -> str:
        response = requests.get(f"{self.base}/api/v1/tasks/{task_id}/", headers=self.headers, timeout=10)
        assert response.status_code == 200, response.text
        return response.headers["ETag"]


def _notified(username: str, task: Task, text: str) -> bool:
    return Notification.objects.filter(
        recipient__username=username, task=task, kind=NotificationKind.TASK_CHANGED, message__contains=text
    ).exists()


def _maintain(
    page: Any,
    url: str,
    form: str,
    done: str,
    fill: dict[str, str] | None = None,
    select: dict[str, str] | None = None,
) -> None:
    """On the task's maintenance page ``url``, fill in and choose the fields of ``#{form}-form``
    (selector: value), submit it and wait for the message ``done``."""
    page.goto(url)
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    for selector, value in (select or {}).items():
        page.select_option(selector, value)
    page.click(f"#{form}-form button[type=submit]")
    page.wait_for_selector(f"text={done}")


def test_bureau_reassigns_splits_moves_cancels_and_restores(
    browser: Any, site: tuple[str, World], screenshot_dir: Path
) -> None:
    base, world = site
    api = Api(base, world)
    task = world.task
    etags = [api.etag(task.pk)]
    page = login(browser, base, "bureau")
    errors = console_errors(page)
    maintain = f"{base}/tasks/{task.pk}/maintain/"

    # 1. reassign: 市科技局 (lead) leaves, 市市场监管局 (found by the htmx search) leads
    page.goto(f"{base}/tasks/{task.pk}/")
    page.click("#task-maintain")
    page.wait_for_url(f"{base}/tasks/{task.pk}/maintain/")
    page.fill("#department-q", "市场监管")
    market = task.plan.region.departments.get(name="市市场监管局")
    page.wait_for_selector(f"select[name=role_{market.pk}]")
    page.select_option(f"select[name=role_{market.pk}]", "lead")
    page.select_option(f"select[name=role_{world.lead_dept.pk}]", "")
    page.fill("#d-reason", "机构改革")
    shoot(page, screenshot_dir, "task-maintain-desktop")
    page.click("#departments-form button[type=submit]")
    page.wait_for_selector("text=已调整承办单位")
    assert "市市场监管局" in page.inner_text("main")
    assert "市科技局(牵头单位)" in page.inner_text("#history")
    etags.append(api.etag(task.pk))
    assert _notified("market", task, "已交由贵单位承办")
    assert _notified("staff", task, "已不再由贵单位承办")

    # the old department's inbox no longer holds it; the new one's does
    staff = login(browser, base, "staff")
    staff.goto(f"{base}/my/")
    assert task.title not in staff.inner_text("main")
    newcomer = login(browser, base, "market")
    newcomer.goto(f"{base}/my/")
    assert task.title in newcomer.inner_text("main")

    # 2. split part of it off: the new task starts fresh, the original records the split
    _maintain(page, maintain, "split", "已拆分出新任务", fill={"#s-title": "建立高价值专利培育中心"})
    new = Task.objects.get(split_from=task)
    assert page.url == f"{base}/tasks/{new.pk}/"
    assert "拆分自" in page.inner_text("#task-lineage")
    assert _notified("market", new, "拆分出新任务")
    page.goto(f"{base}/tasks/{task.pk}/")
    assert "拆分出新任务" in page.inner_text("#history")
    etags.append(api.etag(task.pk))

    # 3. move it to the other section: a new number, the old one still finds it
    target = Section.objects.get(plan=world.plan, path="二.(二)")
    _maintain(page, maintain, "move", "已调整任务所在章节", select={"#v-section": str(target.pk)})
    assert "二.(二).1" in page.inner_text("main")
    assert "二.(一).1" in page.inner_text("#history")
    etags.append(api.etag(task.pk))
    page.goto(f"{base}/tasks/?q=二.(一).1")
    assert task.title in page.inner_text("main")

    # 4. cancel it with a reason, then restore it
    _maintain(page, maintain, "cancel", "已取消任务", fill={"#c-reason": "并入新方案"})
    assert "并入新方案" in page.inner_text("#task-cancelled")
    etags.append(api.etag(task.pk))
    assert _notified("market", task, "已取消")
    _maintain(page, maintain, "restore", "已恢复任务")
    history = page.inner_text("#history")
    assert "取消任务" in history and "恢复任务" in history
    etags.append(api.etag(task.pk))
    assert _notified("market", task, "已恢复")

    assert len(set(etags)) == len(etags), etags  # every step moved the ETag
    assert errors == [], errors  # e.g. a Content-Security-Policy violation by the picker
