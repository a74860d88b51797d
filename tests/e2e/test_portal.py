"""The department's and the bureau's whole job in a real browser (screenshots with IPPLAN_SCREENSHOTS=1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from departments.models import User
from tasks.models import Task
from tasks.services import task_set_due_date

from ..conftest import PASSWORD, World
from .conftest import VIEWPORTS, screenshot, signed_in_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = VIEWPORTS["desktop"]


def login(browser: Any, base: str, username: str, viewport: dict[str, int] = DESKTOP) -> Any:
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/**")
    assert "/accounts/login/" not in page.url, page.content()[:2000]
    return page


def shoot(page: Any, directory: Path, name: str) -> None:
    screenshot(page, directory / f"{name}.png")


def console_errors(page: Any) -> list[str]:
    """The errors ``page`` logs to the console from now on (e.g. a Content-Security-Policy violation)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def visit(
    browser: Any, base: str, username: str, path: str, viewport: dict[str, int] = DESKTOP
) -> tuple[Any, list[str]]:
    """``username`` signed in (a session made by the test), on the page at ``path``; and the console
    errors it logs from then on."""
    page = signed_in_page(browser, base, User.objects.get(username=username), viewport)
    errors = console_errors(page)
    page.goto(base + path)
    assert "/accounts/login/" not in page.url, f"{username} is not signed in"
    return page, errors


def assert_looks_finished(page: Any, url: str, name: str, viewport: str, screenshot_dir: Path) -> None:
    """``url``, opened in ``page`` (a context on the screen ``viewport``, signed in), answers 200, is
    no wider than the screen (no horizontal scrolling on a phone) and logs no console error; its
    screenshot is kept as ``name-viewport`` (IPPLAN_SCREENSHOTS=1), and the page's context closed."""
    errors = console_errors(page)
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert "/accounts/login/" not in page.url, f"{name}: not signed in"
    # goto returns after the load event; nothing on these pages fetches after it (no htmx trigger
    # on load or on an interval, no fetch), but the icon font may still be coming, and it has widths
    page.evaluate("() => document.fonts.ready.then(() => true)")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    width = VIEWPORTS[viewport]["width"]
    assert overflow <= 1, f"{name} is {overflow}px wider than a {width}px screen"
    shoot(page, screenshot_dir, f"{name}-{viewport}")
    assert errors == [], f"{name}: {errors}"
    page.context.close()


def test_liaison_head_and_bureau_complete_a_task(
    browser: Any, site: tuple[str, World], screenshot_dir: Path
) -> None:
    base, world = site
    # the liaison finds the task in the inbox, updates progress and reports with a file
    staff = login(browser, base, "staff")
    staff.goto(f"{base}/my/")
    shoot(staff, screenshot_dir, "inbox-desktop")
    staff.click(f"text={world.task.title}")
    staff.wait_for_url(f"{base}/tasks/{world.task.pk}/")
    staff.fill("#p-progress", "60")
    staff.click("#progress-form button[type=submit]")
    staff.wait_for_selector("text=已保存状态和进度")
    assert staff.inner_text("#task-progress") == "60%"
    staff.fill("#r-text", "已完成高价值专利培育方案,附工作总结。")
    staff.fill("#r-percent", "60")
    staff.set_input_files(
        "#r-files",
        files=[{"name": "总结.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%test\n"}],
    )
    staff.click("#report-form button[type=submit]")
    staff.wait_for_selector("text=已提交进展填报")
    assert "总结.pdf" in staff.inner_text("#reports")
    staff.fill("#c-reason", "任务已全部完成。")
    staff.click("#completion-form button[type=submit]")
    staff.wait_for_selector("text=已提交办结申请")
    shoot(staff, screenshot_dir, "task-desktop")

    # the head signs it off
    head = login(browser, base, "head")
    head.goto(f"{base}/tasks/{world.task.pk}/")
    head.click("text=签批同意")
    head.wait_for_selector("text=已签批")

    # the bureau approves it from the review queue
    bureau = login(browser, base, "bureau")
    bureau.goto(f"{base}/review/")
    shoot(bureau, screenshot_dir, "review-desktop")
    bureau.click("#queue-completions button:has-text('批准办结')")
    bureau.wait_for_selector("text=已批准办结")  # back on the queue, ready for the next item
    assert bureau.url == f"{base}/review/"
    assert "没有待审核的办结申请" in bureau.inner_text("#queue-completions")
    bureau.goto(f"{base}/tasks/{world.task.pk}/")
    assert "已办结" in bureau.inner_text("main")
    history = bureau.inner_text("#history")
    assert "已办结" in history and "staff" in history
    task = Task.objects.get(pk=world.task.pk)
    assert (task.status, task.progress) == ("completed", 100)
    bureau.goto(f"{base}/plans/{world.plan.pk}/")
    shoot(bureau, screenshot_dir, "plan-desktop")


def test_bureau_urges_a_late_task_and_the_liaison_is_notified(
    browser: Any, site: tuple[str, World], screenshot_dir: Path
) -> None:
    base, world = site
    task_set_due_date(
        actor=world.users["bureau"], task=world.task, due_date=timezone.localdate() - dt.timedelta(days=5)
    )
    bureau = login(browser, base, "bureau")
    bureau.goto(f"{base}/tasks/{world.task.pk}/")
    assert "已逾期" in bureau.inner_text("main")
    bureau.fill("#u-message", "请于本周内报送进展。")
    bureau.click("#urge-form button[type=submit]")
    bureau.wait_for_selector("text=已催办")

    staff = login(browser, base, "staff")
    assert staff.inner_text("#unread-count") == "1"
    staff.click("#bell")
    staff.wait_for_selector("text=请于本周内报送进展")
    shoot(staff, screenshot_dir, "notifications-desktop")


def test_second_save_of_a_stale_form_is_refused(browser: Any, site: tuple[str, World]) -> None:
    base, world = site
    first = login(browser, base, "staff")
    second = login(browser, base, "head")
    for page in (first, second):
        page.goto(f"{base}/tasks/{world.task.pk}/")
    first.fill("#p-progress", "30")
    first.click("#progress-form button[type=submit]")
    first.wait_for_selector("text=已保存状态和进度")
    second.fill("#p-progress", "80")
    second.click("#progress-form button[type=submit]")
    second.wait_for_selector("#conflict")
    assert "已被他人修改" in second.inner_text("#conflict")
    assert "30%" in second.inner_text("#conflict")
    assert Task.objects.get(pk=world.task.pk).progress == 30


def test_pages_look_finished(
    browser: Any, site: tuple[str, World], screenshot_dir: Path, viewport: str
) -> None:
    base, world = site
    for username, path, name in [
        ("staff", "/my/", "inbox"),
        ("staff", f"/tasks/{world.task.pk}/", "task"),
        ("bureau", f"/plans/{world.plan.pk}/", "plan"),
        ("bureau", "/review/", "review"),
        ("bureau", "/dashboard/", "dashboard"),
        ("bureau", "/indicators/", "indicators"),
        ("bureau", "/assessment/", "assessment"),
    ]:
        page = signed_in_page(browser, base, world.users[username], VIEWPORTS[viewport])
        assert_looks_finished(page, base + path, name, viewport, screenshot_dir)


def test_dashboard_chart_segments_drill_down(browser: Any, site: tuple[str, World]) -> None:
    base, world = site
    page = login(browser, base, "bureau")
    page.goto(f"{base}/dashboard/")
    page.wait_for_selector("#chart-lights canvas")
    # the ring's opening animation is over when ECharts' renderer has no animator left (what its
    # own "finished" event waits for)
    page.wait_for_function(
        "() => echarts.getInstanceByDom(document.getElementById('chart-lights')).getZr().animation.isFinished()"
    )
    box = page.locator("#chart-lights").bounding_box()
    assert box is not None
    # the green segment of the ring: every task of the world is on track
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.2)
    page.wait_for_url(f"{base}/tasks/?light=green**")
    assert world.task.title in page.inner_text("main")
