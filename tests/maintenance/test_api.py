"""Plan maintenance through the REST API: preconditions, ETags that move, and what each
operation answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks.choices import TaskStatus
from tasks.models import Section, Task
from tasks.services.plans import section_create
from tests.conftest import World
from tests.factories import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau(world: World) -> APIClient:
    return client_for(world.users["bureau"])


def _etag(client: APIClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return str(response["ETag"])


def test_writes_need_if_match_and_a_stale_one_is_412_with_the_stored_values(
    world: World, bureau: APIClient
) -> None:
    url = f"/api/v1/tasks/{world.task.pk}/cancel/"
    assert bureau.post(url, {"reason": "重复"}, format="json").status_code == 428
    etag = _etag(bureau, f"/api/v1/tasks/{world.task.pk}/")
    assert (
        bureau.patch(
            f"/api/v1/tasks/{world.task.pk}/", {"title": "新标题"}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )
    stale = bureau.post(url, {"reason": "重复"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["current"]["version"] == 2
    world.task.refresh_from_db()
    assert world.task.status == TaskStatus.NOT_STARTED


def test_every_operation_moves_the_etag(world: World, bureau: APIClient) -> None:
    task_url = f"/api/v1/tasks/{world.task.pk}/"
    top = Section.objects.get(plan=world.plan, path="二")
    target = section_create(plan=world.plan, label="(二)", title="运用", parent=top)
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("patch", task_url, {"title": "修订后的任务"}),
        ("put", task_url + "assignments/", {"lead": [world.other_dept.pk], "reason": "机构改革"}),
        ("post", task_url + "split/", {"title": "拆出的任务"}),
        ("post", task_url + "move/", {"section": target.pk}),
        ("post", task_url + "cancel/", {"reason": "重复"}),
        ("post", task_url + "restore/", {}),
        ("post", task_url + "merge/", {"other": world.other_task.pk}),
    ]
    seen = [_etag(bureau, task_url)]
    for method, url, body in steps:
        response = getattr(bureau, method)(url, body, format="json", HTTP_IF_MATCH=seen[-1])
        assert response.status_code in (200, 201), (url, response.content)
        seen.append(_etag(bureau, task_url))
    assert len(set(seen)) == len(seen), seen
    body = bureau.get(task_url).json()
    assert body["path"] == "二.(二).1" and body["former_paths"] == ["二.(一).1"]
    assert [a["department"]["id"] for a in body["assignments"]] == [world.other_dept.pk]
    # the old path still finds the task; the merged task points at it
    found = bureau.get("/api/v1/tasks/", {"path": "二.(一).1"}).json()["results"]
    assert [row["id"] for row in found] == [world.task.pk]
    merged = bureau.get(f"/api/v1/tasks/{world.other_task.pk}/").json()
    assert (merged["status"], merged["merged_into"]) == ("cancelled", world.task.pk)
    history = bureau.get(task_url + "history/").json()
    assert any(change["field"] == "departments" for entry in history for change in entry["changes"])


def test_split_answers_the_new_task_and_plans_and_sections_are_patched(
    world: World, bureau: APIClient
) -> None:
    task_url = f"/api/v1/tasks/{world.task.pk}/"
    split = bureau.post(
        task_url + "split/", {"title": "拆出的任务"}, format="json", HTTP_IF_MATCH=_etag(bureau, task_url)
    )
    assert split.status_code == 201
    assert (split.json()["split_from"], split.json()["status"]) == (world.task.pk, "not_started")
    plan_url = f"/api/v1/plans/{world.plan.pk}/"
    before = _etag(bureau, plan_url)
    patched = bureau.patch(
        plan_url, {"doc_number": "东府办〔2026〕1号", "period_end": 2030}, format="json", HTTP_IF_MATCH=before
    )
    assert patched.status_code == 200 and patched.json()["doc_number"] == "东府办〔2026〕1号"
    assert patched["ETag"] != before
    bad = bureau.patch(plan_url, {"period_start": 2031}, format="json", HTTP_IF_MATCH=patched["ETag"])
    assert bad.status_code == 422 and "period_end" in bad.json()["errors"]
    section = Section.objects.get(plan=world.plan, path="二.(一)")
    section_url = f"/api/v1/sections/{section.pk}/"
    renamed = bureau.patch(
        section_url, {"title": "创造与培育"}, format="json", HTTP_IF_MATCH=_etag(bureau, section_url)
    )
    assert renamed.status_code == 200 and renamed.json()["version"] == 2


def test_bad_references_are_named(world: World, bureau: APIClient) -> None:
    task_url = f"/api/v1/tasks/{world.task.pk}/"
    etag = _etag(bureau, task_url)
    foreign = bureau.put(
        task_url + "assignments/", {"lead": [world.foreign_dept.pk]}, format="json", HTTP_IF_MATCH=etag
    )
    assert foreign.status_code == 422 and "lead" in foreign.json()["errors"]  # not visible to 东莞's bureau
    no_lead = bureau.put(task_url + "assignments/", {"lead": []}, format="json", HTTP_IF_MATCH=etag)
    assert no_lead.status_code == 422 and "lead" in no_lead.json()["errors"]
    other_plan = bureau.post(
        task_url + "merge/", {"other": world.foreign_task.pk}, format="json", HTTP_IF_MATCH=etag
    )
    assert other_plan.status_code == 422 and "other" in other_plan.json()["errors"]
    restore = bureau.post(task_url + "restore/", {}, format="json", HTTP_IF_MATCH=etag)
    assert restore.status_code == 409  # not cancelled
    huge = bureau.post(task_url + "move/", {"section": 2**40}, format="json", HTTP_IF_MATCH=etag)
    assert huge.status_code == 400
    assert Task.objects.get(pk=world.task.pk).version == 1


@pytest.mark.parametrize("blank", ["\x1c", " \t", "\u3000", "\x00Z4"])
def test_a_title_of_white_space_is_refused_and_the_schema_says_so(
    world: World, bureau: APIClient, blank: str
) -> None:
    """DRF strips Python's white space (the control separators U+001C-U+001F too) before it checks
    for a blank, and refuses a NUL anywhere: the schema's pattern tells clients (and the fuzzer) the
    same rules, and the refusal is a 400 naming the field, with nothing changed."""
    section = Section.objects.get(plan=world.plan, path="二")
    url = f"/api/v1/sections/{section.pk}/"
    refused = bureau.patch(url, {"title": blank}, format="json", HTTP_IF_MATCH=_etag(bureau, url))
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["title"]
    before = section.title
    section.refresh_from_db()
    assert section.title == before and section.version == 1
    schema = bureau.get("/api/schema/?format=json").json()
    for name in ("PatchedSectionUpdateRequest", "PatchedPlanUpdateRequest", "PatchedTaskUpdateRequest"):
        pattern = schema["components"]["schemas"][name]["properties"]["title"]["pattern"]
        assert not re.search(pattern, blank) and re.search(pattern, "新标题"), name
