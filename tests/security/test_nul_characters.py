"""Hole 6: a NUL character in a task action's text (report text and period, completion and extension
reasons, urge message, review comments) is a clear 400 form error in the browser and writes
nothing; before, PostgreSQL refused the string and the browser got a 500 (SQLite stored it).
Each case is then sent again without the NUL and succeeds, so the NUL was the only problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from tasks.models import ProgressReport, Task, TaskRequest, Urge

from ..conftest import World

pytestmark = pytest.mark.django_db

NUL = "\x00"


def _client(world: World, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def _writes() -> tuple[int, int, int, list[int]]:
    return (
        ProgressReport.objects.count(),
        TaskRequest.objects.count(),
        Urge.objects.count(),
        list(Task.objects.order_by("pk").values_list("version", flat=True)),
    )


def _cases(world: World) -> list[tuple[str, str, Callable[[], dict[str, Any]], str]]:
    task = world.task

    def version() -> dict[str, Any]:
        return {"version": Task.objects.get(pk=task.pk).version}

    return [
        (
            "staff",
            reverse("tasks:report_submit", args=[task.pk]),
            lambda: {"text": "完成调研", "period": "2026-10", "percent": "30"},
            "text",
        ),
        (
            "staff",
            reverse("tasks:report_submit", args=[task.pk]),
            lambda: {"text": "完成调研", "period": "2026-11", "percent": "40"},
            "period",
        ),
        (
            "staff",
            reverse("tasks:extension_request", args=[task.pk]),
            lambda: {"requested_due_date": "2027-06-30", "reason": "需要协调"},
            "reason",
        ),
        ("bureau", reverse("tasks:task_urge", args=[task.pk]), lambda: {"message": "请尽快办理"}, "message"),
        (
            "staff",
            reverse("tasks:completion_request", args=[task.pk]),
            lambda: {**version(), "reason": "已全部完成"},
            "reason",
        ),
    ]


def test_a_nul_character_is_a_form_error_and_writes_nothing(world: World) -> None:
    for who, url, fields, poisoned in _cases(world):
        client = _client(world, who)
        before = _writes()
        data = fields()
        bad = dict(data, **{poisoned: data[poisoned][:2] + NUL + data[poisoned][2:]})
        response = client.post(url, bad)
        assert response.status_code == 400, (url, poisoned, response.status_code)
        page = response.content.decode()
        assert "空字符" in page, (url, poisoned)
        assert _writes() == before, (url, poisoned)
        clean = client.post(url, fields())
        assert clean.status_code == 302, (url, poisoned, clean.content.decode()[:3000])
        assert _writes() != before


def test_review_comments_refuse_nul_too(world: World) -> None:
    staff = _client(world, "staff")
    assert (
        staff.post(
            reverse("tasks:report_submit", args=[world.task.pk]),
            {"text": "进展", "period": "2026-10", "percent": "20"},
        ).status_code
        == 302
    )
    report = ProgressReport.objects.get()
    bureau = _client(world, "bureau")
    url = reverse("tasks:report_review", args=[report.pk])
    response = bureau.post(url, {"accept": "0", "comment": "请" + NUL + "补充"})
    assert response.status_code == 400 and "空字符" in response.content.decode()
    assert model_to_dict(ProgressReport.objects.get()) == model_to_dict(report)
    assert bureau.post(url, {"accept": "0", "comment": "请补充"}).status_code == 302
    assert model_to_dict(ProgressReport.objects.get()) != model_to_dict(report)


def test_english_message(world: World) -> None:
    client = _client(world, "bureau")
    client.cookies["django_language"] = "en"
    response = client.post(reverse("tasks:task_urge", args=[world.task.pk]), {"message": "a" + NUL})
    assert response.status_code == 400 and "must not contain a NUL character" in response.content.decode()
