"""Browser tests: Debian's Chromium driven by Playwright against a live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from departments.models import User

from ..conftest import World, make_world

CHROMIUM = os.environ.get("IPPLAN_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
#: Screenshots are for a person to look at: no test reads them back, and a full-page shot of a tall
#: page costs as much as the checks on it. IPPLAN_SCREENSHOTS=1 takes them (README "Running the tests").
TAKE_SCREENSHOTS = os.environ.get("IPPLAN_SCREENSHOTS") == "1"

# Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still
# synchronous and single-threaded, so Django's guard against async contexts does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("IPPLAN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


#: The screens every page must look finished on.
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """The name of a screen of ``VIEWPORTS``: a test that takes it runs once on each."""
    return str(request.param)


@pytest.fixture
def site(live_server: Any) -> tuple[str, World]:
    """The live server's address, and the world of tests/conftest.py it serves."""
    return live_server.url, make_world()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def screenshot(page: Any, path: Path, *, full_page: bool = True) -> None:
    """Save a screenshot of ``page`` to ``path`` when IPPLAN_SCREENSHOTS=1; otherwise nothing."""
    if TAKE_SCREENSHOTS:
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)


def session_cookie(base: str, user: User) -> dict[str, str]:
    """A browser cookie holding a session of ``user`` made by the test (Django's force_login), for a
    test of what a signed-in user sees rather than of signing in (the form is driven elsewhere)."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base,
    }


def signed_in_page(
    browser: Any, base: str, user: User, viewport: dict[str, int], locale: str = "zh-CN"
) -> Any:
    """A page in a context of its own whose browser holds a session of ``user`` (``session_cookie``)."""
    context = browser.new_context(viewport=viewport, locale=locale)
    context.add_cookies([session_cookie(base, user)])
    return context.new_page()
