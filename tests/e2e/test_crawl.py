"""The crawl: every demo role, every page its navigation reaches (plus a task, a plan and the import
page), at 1366×768, 1280×720 and 390×844 (and 1920×1080 for the bureau), in Chinese and English,
with a full bell and a long name. Each page is loaded once, at 1366×768, and checked at the other
sizes by resizing the window: its layout follows the width through CSS media queries alone (the one
script that listens for a resize redraws the charts, which the checks pass over), as a browser
window does when it is resized.

Each page must not overflow sideways, no button or menu entry may wrap its label, the console must
stay free of errors, and axe-core (vendored, served by the site) must find no serious or critical
violation. With IPPLAN_SCREENSHOTS=1 screenshots go to var/screenshots/crawl/. One browser; one
context per role and language.

The demo is loaded once per module (on each pytest-xdist worker) and served by a live server of the
module's own: the crawl only reads, and every case proves it by finding every table as the load left
it (but the rows of ``REPLACED_ON_VISIT``, which no case reads). The browser holds a session made
by the test; signing in through the form is driven by tests/e2e/test_portal.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db.models import Q
from django.test.utils import modify_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.live_server_helper import LiveServer

from departments.models import User
from notifications.choices import NotificationKind, NotificationState
from notifications.models import Notification
from tasks.models import Plan
from tasks.services.progress import task_update_progress
from tasks.services.workflow import completion_request, completion_sign_off, extension_request

from .conftest import screenshot, session_cookie
from .layout import axe_violations, layout_problems, unfocusable_steps

# Each case runs in a transaction rolled back at its end (it writes nothing: see ``demo``); the
# demo itself is committed once for the module, where the live server's own connection sees it.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db]

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


#: Rows that opening a page writes and the next opening replaces without reading: the sessions
#: (each case's browser has its own), and the unconfirmed authenticator that the two-factor page
#: makes afresh on every visit (second_factor_enrol_start deletes the one before).
REPLACED_ON_VISIT = {Session: Q(pk__isnull=False), TOTPDevice: Q(confirmed=False)}


def database_fingerprint() -> dict[str, str]:
    """A digest of every table's rows, but those of ``REPLACED_ON_VISIT``."""
    digests = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        rows = model._base_manager.order_by("pk")
        if model in REPLACED_ON_VISIT:
            rows = rows.exclude(REPLACED_ON_VISIT[model])
        digests[model._meta.label] = hashlib.sha256(repr(list(rows.values_list())).encode()).hexdigest()
    return digests


def load_demo() -> dict[str, Any]:
    """The demo with a long name and a full bell for everyone, and work in every queue."""
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
    due = mine[2].due_date
    assert due is not None
    extension_request(
        actor=staff,
        task=mine[2],
        requested_due_date=due + dt.timedelta(days=60),
        reason="需协调资金。",
    )
    first = plan.tasks.order_by("order").first()
    assert first is not None
    return {
        "plan": plan.pk,
        "plan_tasks": plan.tasks.count(),
        "task": first.pk,
        "requested": mine[0].pk,
    }


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo, committed, and a live server for it, for the whole module; a session per role
    and language; the database's fingerprint once all that is written. Emptied at the end, as a
    transactional test leaves it."""
    with django_db_blocker.unblock():
        server = LiveServer("localhost")
        try:
            with modify_settings(ALLOWED_HOSTS={"append": "localhost"}):
                demo = load_demo()
                demo["base"] = server.url
                demo["cookies"] = {
                    (user.username, language): session_cookie(server.url, user)
                    for user in User.objects.filter(username__in=ROLES)
                    for language in LANGUAGES
                }
                demo["fingerprint"] = database_fingerprint()
                yield demo
        finally:
            # Not server.stop(), which also ends the sharing of SQLite's in-memory connection with
            # the server's threads: a socket Chromium opened ahead of need closes later, and its
            # request thread then closes that connection. pytest-django's own live server leaves
            # it shared for the whole session too.
            server.thread.terminate()
            call_command("flush", verbosity=0, interactive=False)


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


def resize(page: Any, width: int, height: int) -> None:
    """The window resized to ``width`` × ``height``, once the page has laid itself out again and its
    resize handlers (the charts' redraw, the only one) have run: two animation frames later."""
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


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
    problems: list[str] = []
    visited = 0
    locale = LANGUAGES[language]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=locale)
    context.add_cookies([demo["cookies"][role, language]])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
    page.goto(f"{base}/")
    assert "/accounts/login/" not in page.url, f"{role} is not signed in"
    paths = nav_paths(page)
    if role != ROLES[0]:
        paths = [p for p in paths if not p.startswith(ACCOUNT_PAGES)]
    plan_page = f"/plans/{demo['plan']}/"
    if role in ("bureau", "leader", "head", "staff", "province"):
        paths += [plan_page, f"/tasks/{demo['task']}/", f"/tasks/{demo['requested']}/"]
        if role in ("bureau", "staff"):  # the plan's other two views
            paths += [f"{plan_page}?view=table", f"{plan_page}?view=timeline"]
    if role in ("bureau", "province"):
        paths += ["/plans/import/"]
    # Django's admin site and the API's Swagger UI are third-party pages with their own markup
    paths = [p for p in paths if not p.startswith(THIRD_PARTY)]
    for path in dict.fromkeys(paths):
        # a wide desktop too, for the role with the fullest top bar
        sizes = VIEWPORTS + ([(1920, 1080)] if role == ROLES[0] else [])
        page.set_viewport_size({"width": sizes[0][0], "height": sizes[0][1]})
        response = page.goto(f"{base}{path}")  # returns once the page's load event has fired
        if response is None or response.status >= 400:
            problems.append(f"{role}/{language} {path}: HTTP {response.status if response else '?'}")
            continue
        for width, height in sizes:
            if (width, height) != sizes[0]:
                resize(page, width, height)
            where = f"{role}/{language}/{width}px {path}"
            visited += 1
            found = [f"{where}: {p}" for p in layout_problems(page)]
            if width == 1366:
                found += [f"{where}: axe {v}" for v in axe_violations(page)]
                if path == paths[0]:  # the keyboard's path through the top bar
                    found += [f"{where}: {p}" for p in unfocusable_steps(page)]
            for line in found:
                print(line, flush=True)
            problems += found
            if path == plan_page and width == 1366 and role == "bureau":
                tall = page.evaluate("document.documentElement.scrollHeight")
                print(f"plan page ({demo['plan_tasks']} tasks), {language}, 1366 px: {tall} px tall")
                if tall >= PLAN_HEIGHT_LIMIT:
                    problems.append(f"{where}: {tall} px tall")
            screenshot(page, shots / f"{role}-{language}-{width}-{slug(path)}.png", full_page=width == 1366)
            if errors:
                problems += [f"{where}: console {e}" for e in errors]
                errors.clear()
    context.close()
    print(f"crawled {visited} page views")
    assert not problems, "\n".join(problems[:80])
    changed = [
        label for label, digest in database_fingerprint().items() if demo["fingerprint"].get(label) != digest
    ]
    assert not changed, f"the crawl wrote to {changed}: its cases share the demo, so it must only read"
