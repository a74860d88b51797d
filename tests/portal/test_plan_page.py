"""The plan page for large plans: outline loaded on demand, table and timeline views, constant queries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.models import Section
from tasks.services import task_create
from tasks.services.plans import section_create

from ..conftest import World

pytestmark = pytest.mark.django_db


def add_section_with_tasks(world: World, label: str, count: int) -> Section:
    today = timezone.localdate()
    top = Section.objects.get(plan=world.plan, parent=None)
    section = section_create(plan=world.plan, label=label, title=f"章节{label}", parent=top, order=10)
    for i in range(count):
        task_create(
            actor=None, plan=world.plan, section=section, path=f"二.{label}.{i}", number=i,
            title=f"任务{label}-{i}", due_date=today + dt.timedelta(days=i - 5),
            lead=[world.lead_dept], responsible=[world.other_dept],
        )  # fmt: skip
    return section


def queries(client: Client, url: str) -> int:
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("view", ["sections", "table", "timeline", "fragment"])
def test_plan_page_queries_do_not_grow_with_the_plan(client: Client, world: World, view: str) -> None:
    client.force_login(world.users["bureau"])
    section = add_section_with_tasks(world, "(二)", 3)

    def url() -> str:
        if view == "fragment":
            return reverse("tasks:plan_section_tasks", args=[world.plan.pk, section.pk])
        return reverse("tasks:plan_detail", args=[world.plan.pk]) + f"?view={view}"

    few = queries(client, url())
    for label in ("(三)", "(四)", "(五)"):
        add_section_with_tasks(world, label, 20)
    task_create(actor=None, plan=world.plan, section=section, path="二.(二).99", number=99,
                title="任务(二)-99", lead=[world.lead_dept])  # fmt: skip
    assert queries(client, url()) == few


def test_default_outline_is_collapsed_with_figures_and_loads_a_section_on_demand(
    client: Client, world: World
) -> None:
    client.force_login(world.users["staff"])
    section = add_section_with_tasks(world, "(二)", 6)  # due 5 days ago … today: 5 red
    response = client.get(reverse("tasks:plan_detail", args=[world.plan.pk]))
    body = response.content.decode()
    assert "任务(二)-0" not in body  # no task rows until a section opens
    row = next(r for r in response.context["outline"] if r.section == section)
    assert (row.own, row.total, row.lights["red"]) == (6, 6, 5)
    top = next(r for r in response.context["outline"] if r.depth == 0)
    assert top.total == 8  # its subsections' tasks: the world's two and these six
    fragment_url = reverse("tasks:plan_section_tasks", args=[world.plan.pk, section.pk])
    assert f'hx-get="{fragment_url}"' in body
    fragment = client.get(fragment_url).content.decode()
    assert "任务(二)-0" in fragment and "任务(二)-5" in fragment and world.task.title not in fragment
    # the fragment keeps the page's filters
    filtered = client.get(fragment_url, {"light": "red"}).content.decode()
    assert "任务(二)-0" in filtered and "任务(二)-5" not in filtered


def test_a_filtered_outline_opens_its_sections(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    add_section_with_tasks(world, "(二)", 6)
    body = client.get(reverse("tasks:plan_detail", args=[world.plan.pk]), {"light": "red"}).content.decode()
    assert "任务(二)-0" in body and "任务(二)-5" not in body and world.task.title not in body
    assert "<details" in body and " open" in body


def test_table_and_timeline_views(client: Client, world: World) -> None:
    client.force_login(world.users["leader"])
    add_section_with_tasks(world, "(二)", 3)
    url = reverse("tasks:plan_detail", args=[world.plan.pk])
    table = client.get(url, {"view": "table"}).content.decode()
    assert "任务(二)-2" in table and world.task.title in table and 'id="plan-table"' in table
    response = client.get(url, {"view": "timeline"})
    data = response.context["timeline"]
    assert json.loads(json.dumps(data)) == data  # what json_script hands to the chart
    assert any(row.endswith("章节(二)") for row in data["rows"])
    assert len([d for d in data["dots"] if d["name"].startswith("二.(二)")]) == 3
    assert {d["light"] for d in data["dots"]} >= {"red", "green"}
    assert client.get(url, {"view": "nonsense"}).context["view"] == "sections"


def test_section_fragment_is_scoped_like_the_plan(client: Client, world: World) -> None:
    section = add_section_with_tasks(world, "(二)", 1)
    client.force_login(world.users["other_bureau"])  # 珠海: not this plan's region
    assert (
        client.get(reverse("tasks:plan_section_tasks", args=[world.plan.pk, section.pk])).status_code == 404
    )
    client.force_login(world.users["bureau"])
    foreign = reverse("tasks:plan_section_tasks", args=[world.foreign_plan.pk, section.pk])
    assert client.get(foreign).status_code == 404


@pytest.mark.slow
def test_plan_page_at_500_tasks_prints_its_figures(client: Client, world: World) -> None:
    """Benchmark (prints, asserts only that it works): each view of a 500-task plan."""
    import time

    for index in range(10):
        add_section_with_tasks(world, f"({index + 10})", 50)
    client.force_login(world.users["bureau"])
    url = reverse("tasks:plan_detail", args=[world.plan.pk])
    section = Section.objects.filter(plan=world.plan, tasks__isnull=False).order_by("order", "id").last()
    assert section is not None
    targets = {view: f"{url}?view={view}" for view in ("sections", "table", "timeline")}
    targets["fragment (50 tasks)"] = reverse("tasks:plan_section_tasks", args=[world.plan.pk, section.pk])
    for name, target in targets.items():
        client.get(target)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(target)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200
        print(
            f"plan page, 502 tasks, {name}: {elapsed * 1000:.0f} ms, {len(captured)} queries, "
            f"{len(response.content) / 1024:.0f} KiB"
        )
