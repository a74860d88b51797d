"""Committing a big plan (issue 18): a bounded number of queries per task, history kept, a job
with progress for big plans (browser and API: 202 + status URL), and a benchmark that prints."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from planparser import parse_text
from tasks.jobs import import_commit
from tasks.models import Assignment, Plan, PlanImport, Task
from tasks.services.imports.commit import plan_import_apply
from tasks.services.imports.mapping import Choices

from ..conftest import World
from .files import big_plan

pytestmark = pytest.mark.django_db


def _commit(world: World, tasks: int) -> tuple[Plan, int, float, int]:
    parsed = parse_text(big_plan(tasks))
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        plan, _diff = plan_import_apply(
            actor=world.users["bureau"],
            parsed=parsed,
            region=world.city,
            choices=Choices(create_missing=True),
        )
        elapsed = time.perf_counter() - started
    return plan, len(queries), elapsed, len(parsed.tasks)


def test_queries_per_task_are_bounded_at_two_sizes(world: World) -> None:
    _commit(world, 20)  # creates the departments the generator names, so both runs below resolve
    _small, small_queries, _s, small_tasks = _commit(world, 100)
    large, large_queries, _l, large_tasks = _commit(world, 800)
    per_task = (large_queries - small_queries) / (large_tasks - small_tasks)
    print(
        f"\ncommit: {small_tasks} tasks {small_queries} queries, {large_tasks} tasks {large_queries} queries, "
        f"{per_task:.3f} more per task"
    )
    assert large_queries <= 2 * large_tasks
    # batches (SQLite caps the parameters of one INSERT, so its batches hold ~80 rows): the count
    # grows by a small fraction of a query per task, twenty times under the bound of 2
    assert per_task <= 0.1
    # the rows, and a history row for each with the importer as its author
    assert large.tasks.count() == large_tasks
    assignments = Assignment.objects.filter(task__plan=large)
    assert assignments.filter(role="lead").count() == large_tasks
    history = Task.history.filter(plan_id=large.pk)  # type: ignore[attr-defined]
    assert history.count() == large_tasks
    assert set(history.values_list("history_user", flat=True)) == {world.users["bureau"].pk}
    assert Assignment.history.filter(task__plan_id=large.pk).count() == assignments.count()  # type: ignore[attr-defined]
    task = large.tasks.get(path=large.tasks.order_by("order").first().path)  # type: ignore[union-attr]
    assert task.section is not None and task.section.parent is not None and task.full_text


def test_benchmark_commit_2611_tasks(world: World) -> None:
    """Prints the time of committing a real-looking 1 MB plan (no timed assertion)."""
    _commit(world, 20)
    plan, queries, seconds, tasks = _commit(world, 2611)
    print(
        f"\nBENCH commit {tasks} tasks ({connection.vendor}): {seconds:.2f} s, {queries} queries "
        f"({queries / tasks:.3f} per task); issue 18 measured 55.7 s and 118,094 queries before"
    )
    assert queries <= 2 * tasks
    assert plan.tasks.count() == tasks


def test_big_commit_is_a_job_in_the_browser(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    client.post(reverse("tasks:import_start"), {"text": big_plan(60)})
    record = PlanImport.objects.get()
    with override_settings(IPPLAN_IMPORT_INLINE_COMMIT_TASKS=50):
        response = client.post(
            reverse("tasks:import_preview", args=[record.pk]),
            {"region": world.city.pk},
            HTTP_HX_REQUEST="true",
        )
    record.refresh_from_db()
    # unknown departments are refused in the request, before any job is queued
    assert response.status_code == 400 and record.state == "previewed"
    form: dict[str, object] = {"region": world.city.pk}
    page = client.get(reverse("tasks:import_preview", args=[record.pk])).content.decode()
    for i in range(page.count('name="map_')):
        form[f"map_{i}"] = "__create__"
    with override_settings(IPPLAN_IMPORT_INLINE_COMMIT_TASKS=50):
        response = client.post(
            reverse("tasks:import_preview", args=[record.pk]), form, HTTP_HX_REQUEST="true"
        )
    assert response["HX-Redirect"] == reverse("tasks:import_status", args=[record.pk])
    record.refresh_from_db()
    assert record.state == "committing" and not Plan.objects.filter(imports=record).exists()
    status = client.get(response["HX-Redirect"]).content.decode()
    assert "<progress" in status and 'hx-trigger="every 1s"' in status
    assert import_commit(record.pk).startswith("committed")
    assert import_commit(record.pk) == "skipped"  # idempotent
    record.refresh_from_db()
    assert record.state == "committed" and record.plan is not None and record.plan.tasks.count() == 60
    done = client.get(reverse("tasks:import_status", args=[record.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Redirect"] == reverse("tasks:plan_detail", args=[record.plan.pk])


def test_big_commit_over_the_api_answers_202(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    body = client.post("/api/v1/imports/", {"text": big_plan(60), "region": "441900"}).json()
    with override_settings(IPPLAN_IMPORT_INLINE_COMMIT_TASKS=50):
        refused = client.post(f"/api/v1/imports/{body['id']}/commit/", {}, content_type="application/json")
        assert refused.status_code == 422 and refused.json()["code"] == "unresolved_departments"
        accepted = client.post(
            f"/api/v1/imports/{body['id']}/commit/", {"create_missing": True}, content_type="application/json"
        )
    assert accepted.status_code == 202, accepted.content[:400]
    status_url = accepted.json()["status_url"]
    assert accepted["Location"] == status_url
    assert client.get(status_url).json()["state"] == "committing"
    import_commit(body["id"])
    done = client.get(status_url).json()
    assert done["state"] == "committed" and done["plan_id"] == Plan.objects.get(imports__pk=body["id"]).pk


def test_a_commit_job_that_fails_writes_nothing_and_says_why(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    body = client.post("/api/v1/imports/", {"text": big_plan(60), "region": "441900"}).json()
    with override_settings(IPPLAN_IMPORT_INLINE_COMMIT_TASKS=50):
        client.post(
            f"/api/v1/imports/{body['id']}/commit/", {"create_missing": True}, content_type="application/json"
        )
    record = PlanImport.objects.get(pk=body["id"])
    # what was true when it was queued is not any more (as if the departments it would have
    # created now need a mapping): the job refuses, and the import goes back to the preview
    record.commit_options["create_missing"] = False
    record.save(update_fields=["commit_options"])
    plans = Plan.objects.count()
    assert import_commit(record.pk) == "failed"
    record.refresh_from_db()
    assert record.state == "previewed" and "尚未对应到单位库" in record.error["message"]
    assert Plan.objects.count() == plans
    page = client.get(reverse("tasks:import_preview", args=[record.pk])).content.decode()
    assert "尚未对应到单位库" in page


def test_a_commit_job_reports_progress_per_batch_and_pollers_see_it(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks.services.imports import session
    from tasks.services.imports.progress import BATCH_PROGRESS_FLOOR, commit_progress_store

    figures: list[int] = []

    def recording_store(import_id: int) -> Callable[[int], None]:
        store = commit_progress_store(import_id)

        def record(percent: int) -> None:
            figures.append(percent)
            store(percent)

        return record

    monkeypatch.setattr(session, "commit_progress_store", recording_store)
    client.force_login(world.users["bureau"])
    body = client.post("/api/v1/imports/", {"text": big_plan(1200), "region": "441900"}).json()
    with override_settings(IPPLAN_IMPORT_INLINE_COMMIT_TASKS=50):
        accepted = client.post(
            f"/api/v1/imports/{body['id']}/commit/", {"create_missing": True}, content_type="application/json"
        )
    assert accepted.status_code == 202
    status_url = accepted.json()["status_url"]
    # while the job writes (its transaction is not visible), pollers read the job's figure
    commit_progress_store(body["id"])(40)
    assert client.get(status_url).json()["progress"] == 40
    page = client.get(reverse("tasks:import_status", args=[body["id"]])).content.decode()
    assert 'value="40"' in page
    assert import_commit(body["id"]).startswith("committed")
    tasks = Plan.objects.get(imports__pk=body["id"]).tasks.count()
    # one figure per batch of tasks between the sections (10 %) and the end of the tasks (95 %)
    batches = [p for p in figures if BATCH_PROGRESS_FLOOR < p <= 95]
    assert len(batches) == -(-tasks // 500) >= 3, figures
    assert figures == sorted(figures) and figures[0] == 5 and figures[-1] >= 95
    done = client.get(status_url).json()
    assert done["state"] == "committed" and done["progress"] == 100
