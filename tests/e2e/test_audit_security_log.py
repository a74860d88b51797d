"""The audit administrator's page in a real browser: a failed login shows up, search, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..conftest import World
from .conftest import VIEWPORTS
from .test_portal import shoot, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_auditor_finds_a_failed_login_and_exports_it(
    browser: Any, site: tuple[str, World], screenshot_dir: Path, viewport: str
) -> None:
    base, _world = site
    size = VIEWPORTS[viewport]
    # someone tries the liaison's account with a wrong password
    stranger = browser.new_context(viewport=size, locale="zh-CN").new_page()
    stranger.goto(f"{base}/accounts/login/")
    stranger.fill("#id_username", "staff")
    stranger.fill("#id_password", "not-the-password-1")
    stranger.click("main form button[type=submit]")
    stranger.context.close()

    page, errors = visit(browser, base, "auditor", "/security/events/", size)
    page.select_option("#id_result", "failure")
    page.click("#event-search button[type=submit]")
    page.wait_for_url("**result=failure**")
    rows = page.locator("#events tbody tr")
    assert rows.count() == 1
    assert "staff" in rows.first.inner_text() and "auth.login_failed" in rows.first.inner_text()
    shoot(page, screenshot_dir, f"security-events-{viewport}")
    with page.expect_download() as download:
        page.click("#export-jsonl")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert '"action":"auth.login_failed"' in text and '"actor":"staff"' in text
    assert errors == [], errors
    page.context.close()
