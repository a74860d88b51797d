"""Hole 6: every page a signed-in user gets carries ``Cache-Control: private, no-store`` (one of
them shows a new API token, another a webhook secret); public static files keep their caching.
(Anonymous pages are not touched; the login page is marked never-cache by Django itself.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from webhooks import services

from ..conftest import World
from ..factories import client_for

pytestmark = pytest.mark.django_db


def _no_store(response: object) -> bool:
    value = str(response.get("Cache-Control", ""))  # type: ignore[attr-defined]
    parts = {part.strip() for part in value.split(",")}
    return {"private", "no-store"} <= parts


def test_signed_in_pages_are_not_stored(world: World) -> None:
    bureau = world.users["bureau"]
    subscription = services.subscription_create(
        actor=bureau, url="https://receiver.example.gov.cn/hook", events=["task.status_changed"]
    )
    browser = Client()
    browser.force_login(bureau)
    pages = [
        reverse("home"),
        reverse("tasks:dashboard"),
        reverse("tasks:task_detail", args=[world.task.pk]),
        reverse("account_tokens"),
        reverse("webhooks:detail", args=[subscription.pk]),
        "/admin/",
        "/tasks/ledger.xlsx",
    ]
    for page in pages:
        response = browser.get(page)
        assert response.status_code == 200, page
        assert _no_store(response), (page, response.get("Cache-Control"))
    secret_page = browser.get(reverse("webhooks:detail", args=[subscription.pk]))
    assert subscription.secret in secret_page.content.decode()
    created = browser.post(reverse("account_tokens"), {"name": "督查系统", "days": "30"})
    assert created.status_code == 200 and "ipp_" in created.content.decode()
    assert _no_store(created)
    # a refusal and a missing page for a signed-in user too
    assert _no_store(browser.get("/tasks/999999/"))
    # the API, signed in by a token
    api = client_for(bureau).get(f"/api/v1/tasks/{world.task.pk}/")
    assert api.status_code == 200 and _no_store(api)


def test_static_files_are_left_alone(world: World) -> None:
    browser = Client()
    browser.force_login(world.users["staff"])
    static = browser.get("/static/ipplan/ipplan.css")
    assert static.status_code == 200 and "no-store" not in str(static.get("Cache-Control", ""))
