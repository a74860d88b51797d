"""The crawl: every demo role, every page its navigation reaches (plus a task, a plan and the import
page), at 1366×768, 1280×720 and 390×844 (and 1920×1080 for the bureau), in Chinese and English,
with a full bell and a long name.

Each page must not overflow sideways, no button or menu entry may wrap its label, the console must
stay free of errors, and axe-core (vendored, served by the site) must find no serious or critical
violation. Screenshots go to var/screenshots/crawl/. One browser; one context per role and language.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.utils import timezone

from departments.models import User
from notifications.choices import NotificationKind, NotificationState
from notifications.models import Notification
from tasks.models import Plan
from tasks.services.progress import task_update_progress
from tasks.services.workflow import completion_request, completion_sign_off, extension_request

from .layout import axe_violations, layout_problems, unfocusable_steps

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "ipplan-demo-2026"
ROLES = ["bureau", "admin", "security", "auditor", "leader", "head", "staff", "province"]
# the user menu's pages are the same for everyone: crawled once, as the first role
ACCOUNT_PAGES = ("/accounts/",)
THIRD_PARTY = ("/admin/", "/api/")
VIEWPORTS = [(1366, 768), (1280, 720), (390, 844)]
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
# longer than any real person's name, so the top bar is tried at its worst
LONG_NAME = "欧阳司马诸葛慕容上官令狐皇甫长孙宇文东方独孤南宫"
UNREAD = 150  # the bell shows 99+
PLAN_HEIGHT_LIMIT = 3000  # the 80-task demo plan's page on a 1366 px desktop, default view


@pytest.fixture
def demo(live_server: Any) -> dict[str, Any]:
    call_command("load_demo", verbosity=0)
    User.objects.update(display_name=LONG_NAME)
    users = list(User.objects.all())
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=NotificationKind.DIGEST,
            message="crawl",
            dedup_key=f"crawl:{user.pk}:{i}",
            state=NotificationState.SENT,
            sent_at=timezone.now(),
        )
        for user in users
        for i in range(UNREAD)
    )
    plan = max(Plan.objects.all(), key=lambda p: p.tasks.count())
    # work in every queue: a completion request signed off (the bureau's review queue, with its
    # 批准/退回 buttons), one waiting for the head, an extension request
    staff, head = User.objects.get(username="staff"), User.objects.get(username="head")
    mine = list(
        plan.tasks.filter(assignments__department=staff.department, assignments__role="lead").order_by(
            "order"
        )[:3]
    )
    for task in mine[:2]:
        task = task_update_progress(
            actor=staff, task=task, expected_version=task.version, status="in_progress", progress=90
        )
        completion_request(actor=staff, task=task, expected_version=task.version, reason="已按期完成。")
    completion_sign_off(actor=head, request=mine[0].requests.get())
    extension_request(
        actor=staff,
        task=mine[2],
        requested_due_date=mine[2].due_date + dt.timedelta(days=60),
        reason="需协调资金。",
    )
    return {
        "base": live_server.url,
        "plan": plan,
        "task": plan.tasks.order_by("order").first(),
        "requested": mine[0],
    }


def nav_paths(page: Any) -> list[str]:
    """Every page the top bar (menus included) links to, as paths; not logout, not the language."""
    hrefs = page.eval_on_selector_all(
        "nav.ipplan-topbar a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    paths = []
    for href in hrefs:
        path = urlparse(href).path
        if path.startswith("/") and path != "#" and path not in paths:
            paths.append(path)
    return paths


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role_holds_its_layout(
    browser: Any, demo: dict[str, Any], screenshot_dir: Path, role: str, language: str
) -> None:
    """One role in one language a case, so that pytest-xdist spreads the crawl over its workers."""
    base = demo["base"]
    shots = screenshot_dir / "crawl"
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    visited = 0
    locale = LANGUAGES[language]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", role)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{role} could not sign in"
    paths = nav_paths(page)
    if role != ROLES[0]:
        paths = [p for p in paths if not p.startswith(ACCOUNT_PAGES)]
    if role in ("bureau", "leader", "head", "staff", "province"):
        plan_page = f"/plans/{demo['plan'].pk}/"
        paths += [plan_page, f"/tasks/{demo['task'].pk}/", f"/tasks/{demo['requested'].pk}/"]
        if role in ("bureau", "staff"):  # the plan's other two views
            paths += [f"{plan_page}?view=table", f"{plan_page}?view=timeline"]
    if role in ("bureau", "province"):
        paths += ["/plans/import/"]
    # Django's admin site and the API's Swagger UI are third-party pages with their own markup
    paths = [p for p in paths if not p.startswith(THIRD_PARTY)]
    for path in dict.fromkeys(paths):
        # a wide desktop too, for the role with the fullest top bar
        for width, height in VIEWPORTS + ([(1920, 1080)] if role == ROLES[0] else []):
            page.set_viewport_size({"width": width, "height": height})
            response = page.goto(f"{base}{path}")
            page.wait_for_load_state("load")
            where = f"{role}/{language}/{width}px {path}"
            if response is None or response.status >= 400:
                problems.append(f"{where}: HTTP {response.status if response else '?'}")
                continue
            visited += 1
            found = [f"{where}: {p}" for p in layout_problems(page)]
            if width == 1366:
                found += [f"{where}: axe {v}" for v in axe_violations(page)]
                if path == paths[0]:  # the keyboard's path through the top bar
                    found += [f"{where}: {p}" for p in unfocusable_steps(page)]
            for line in found:
                print(line, flush=True)
            problems += found
            if path == f"/plans/{demo['plan'].pk}/" and width == 1366 and role == "bureau":
                tall = page.evaluate("document.documentElement.scrollHeight")
                print(f"plan page ({demo['plan'].tasks.count()} tasks), {language}, 1366 px: {tall} px tall")
                if tall >= PLAN_HEIGHT_LIMIT:
                    problems.append(f"{where}: {tall} px tall")
            page.screenshot(
                path=str(shots / f"{role}-{language}-{width}-{slug(path)}.png"),
                full_page=width == 1366,
            )
            if errors:
                problems += [f"{where}: console {e}" for e in errors]
                errors.clear()
    context.close()
    print(f"crawled {visited} page views")
    assert not problems, "\n".join(problems[:80])
