"""Expected refusals (403/404/409/412, pages and API) log one line each, without a traceback."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from ..conftest import World
from ..factories import client_for

pytestmark = pytest.mark.django_db


def refusal_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "ipplan.refusals"]


def assert_one_quiet_line(caplog: pytest.LogCaptureFixture, *parts: str) -> str:
    lines = refusal_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    message = lines[0].getMessage()
    for part in parts:
        assert part in message, message
    # nothing logged the refusal a second time, and nothing carries a traceback
    assert not [r for r in caplog.records if r.name == "django.request"]
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]
    return message


def test_a_forbidden_page_action_logs_one_line(
    client: Client, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    staff = world.users["staff"]
    client.force_login(staff)
    with caplog.at_level(logging.INFO):
        response = client.post(f"/tasks/{world.task.pk}/urge/", {"message": "快"})
    assert response.status_code == 403
    assert_one_quiet_line(
        caplog,
        f"refused POST /tasks/{world.task.pk}/urge/ 403",
        f"user=staff#{staff.pk}",
        "urge_task",
    )


def test_a_task_out_of_reach_logs_one_line(
    client: Client, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(world.users["foreign_staff"])
    with caplog.at_level(logging.INFO):
        response = client.get(f"/tasks/{world.task.pk}/")
    assert response.status_code == 404
    assert_one_quiet_line(
        caplog, f"refused GET /tasks/{world.task.pk}/ 404", "user=foreign_staff#", "view_task"
    )


def test_a_missing_page_logs_one_line(client: Client, world: World, caplog: pytest.LogCaptureFixture) -> None:
    client.force_login(world.users["bureau"])
    with caplog.at_level(logging.INFO):
        assert client.get("/tasks/999999/").status_code == 404
    assert_one_quiet_line(caplog, "refused GET /tasks/999999/ 404", "user=bureau#")


def test_a_stale_form_logs_one_line_with_the_conflict(
    client: Client, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(world.users["staff"])
    with caplog.at_level(logging.INFO):
        response = client.post(
            f"/tasks/{world.task.pk}/progress/", {"version": str(world.task.version + 5), "progress": "30"}
        )
    assert response.status_code == 409
    assert_one_quiet_line(caplog, "409", "reason=conflict:")


def test_api_refusals_log_one_line_each(world: World, caplog: pytest.LogCaptureFixture) -> None:
    staff = client_for(world.users["staff"])
    url = f"/api/v1/tasks/{world.task.pk}/"
    with caplog.at_level(logging.INFO):
        stale = staff.patch(url, {"progress": 55}, format="json", HTTP_IF_MATCH='"task-1-99"')
    assert stale.status_code == 412
    assert_one_quiet_line(caplog, f"refused PATCH {url} 412", "user=staff#")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        forbidden = staff.post(f"/api/v1/tasks/{world.task.pk}/urge/", {"message": "快"}, format="json")
    assert forbidden.status_code == 403, forbidden.content
    assert_one_quiet_line(caplog, "403", "user=staff#")
    caplog.clear()
    foreign = client_for(world.users["foreign_staff"])
    with caplog.at_level(logging.INFO):
        assert foreign.get(url).status_code == 404
    assert_one_quiet_line(caplog, f"refused GET {url} 404", "user=foreign_staff#")


def test_an_unexpected_error_still_logs_its_traceback(
    client: Client, world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.views import task as task_views

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(task_views, "task_detail", broken)
    client.raise_request_exception = False
    client.force_login(world.users["bureau"])
    with caplog.at_level(logging.INFO):
        assert client.get(f"/tasks/{world.task.pk}/").status_code == 500
    assert not refusal_lines(caplog)
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)
