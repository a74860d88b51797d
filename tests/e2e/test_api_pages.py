"""The API's pages in a real browser: tokens, webhooks, and the documentation under our CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..conftest import World
from .conftest import VIEWPORTS, signed_in_page
from .test_portal import assert_looks_finished, shoot, visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_token_made_in_the_browser_works_against_the_api(
    browser: Any, site: tuple[str, World], screenshot_dir: Path
) -> None:
    base, _world = site
    page, errors = visit(browser, base, "staff", "/accounts/tokens/")
    page.fill("#token-form input[name=name]", "督查系统")
    page.check("#token-form input[name=can_write]")
    page.click("#token-form button[type=submit]")
    secret = page.input_value("#token-secret")
    assert secret.startswith("ipp_")
    shoot(page, screenshot_dir, "token-created-desktop")
    me = page.request.get(f"{base}/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200 and me.json()["username"] == "staff" and me.json()["token"]["can_write"]
    page.goto(f"{base}/accounts/tokens/")
    assert secret not in page.content()  # shown once, never again
    assert errors == [], errors
    page.context.close()


def test_token_and_webhook_pages_look_finished(
    browser: Any, site: tuple[str, World], screenshot_dir: Path, viewport: str
) -> None:
    base, world = site
    for path, name in [
        ("/accounts/tokens/", "tokens"),
        ("/webhooks/", "webhooks"),
        ("/webhooks/new/", "webhook-form"),
    ]:
        page = signed_in_page(browser, base, world.users["bureau"], VIEWPORTS[viewport])
        assert_looks_finished(page, base + path, name, viewport, screenshot_dir)


def test_api_documentation_renders_every_operation_without_csp_errors(
    browser: Any, site: tuple[str, World], screenshot_dir: Path
) -> None:
    base, _world = site
    page, errors = visit(browser, base, "bureau", "/api/docs/")
    page.wait_for_selector(".opblock", timeout=30000)
    operations = page.locator(".opblock").count()
    assert operations >= 40, operations  # every operation of the schema is listed
    shoot(page, screenshot_dir, "api-docs-desktop")
    page.goto(f"{base}/api/docs/redoc/")
    page.wait_for_selector("[data-section-id]", timeout=30000)
    assert page.locator("[data-section-id]").count() >= 10
    shoot(page, screenshot_dir, "api-redoc-desktop")
    # Redoc always shows a logo from the Redocly CDN in its menu; the policy blocks that outside
    # call by design. Anything else (a font, a stylesheet, an inline script) would fail here.
    outside = [e for e in errors if "cdn.redoc.ly/redoc/logo-mini.svg" in e]
    assert len(outside) <= 1 and [e for e in errors if e not in outside] == [], errors
    page.context.close()
