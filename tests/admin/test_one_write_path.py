"""Issue 12.3: one write path. A walk over every model registered in the admin, as the bureau and
as the administrator: every add, change, delete, bulk delete and history "revert" POST either goes
through a service (spied on) or is refused with nothing written."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

import departments.admin as departments_admin
from departments.models import Department, DepartmentAlias, User
from ipplan.services import heartbeat_record
from tasks.choices import TaskStatus
from tasks.models import Indicator, Task
from tasks.services import (
    completion_request,
    indicator_create,
    indicator_reading_record,
    phase_create,
    progress_report_submit,
    task_urge,
)
from tests.conftest import World
from tests.support.matrix import world_once  # noqa: F401 (``world``, built once for the module)
from webhooks import services as webhook_services

from .helpers import post_data

pytestmark = pytest.mark.django_db

#: Models whose admin belongs to another part (users: the AUTHN helper; groups: Django, unused).
NOT_WALKED = {"departments.user", "auth.group"}  # auth groups: Django's, no domain data
#: The security log records every refused POST of the walk (that is its job): not domain data.
LOGS = {"ipplan.securityevent", "ipplan.securitychainhead"}
#: Admins that write, and the services they call (imported names in departments/admin.py).
SERVICES = [
    "department_alias_add",
    "department_alias_remove",
    "department_create",
    "department_retire",
    "department_update",
    "region_create",
    "region_update",
]


def _fingerprint() -> str:
    """A digest of every row of every admin-registered model (and their history tables)."""
    digest = hashlib.sha256()
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        if model._meta.label_lower in LOGS:
            continue
        models_ = [model]
        history = getattr(model, "history", None)
        if history is not None:
            models_.append(history.model)
        for each in models_:
            rows = list(each._default_manager.order_by("pk").values())
            digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


@pytest.fixture
def full_world(world: World) -> Iterator[World]:
    """The world plus one object of every registered model."""
    staff, bureau = world.users["staff"], world.users["bureau"]
    webhook_services.subscription_create(
        actor=bureau, url="https://8.8.8.8/hook", events=["report.submitted"], description="walk"
    )
    progress_report_submit(
        actor=staff,
        task=world.task,
        text="进展",
        percent=40,
        period="2026-11",
        attachments=[SimpleUploadedFile("证明.txt", "已完成调研".encode(), content_type="text/plain")],
    )
    completion_request(
        actor=staff, task=world.task, expected_version=Task.objects.get(pk=world.task.pk).version
    )
    task_urge(actor=bureau, task=world.other_task, message="请加快")
    indicator = indicator_create(actor=None, plan=world.plan, name="发明专利", target_value=100, unit="件")
    indicator_reading_record(actor=bureau, indicator=indicator, value=50, observed_on=dt.date(2026, 6, 30))
    phase_create(actor=None, plan=world.plan, name="组织实施阶段", start=dt.date(2026, 1, 1))
    heartbeat_record(name="tick")
    from directory.services import directory_user_sync, group_mapping_save

    walk = group_mapping_save(
        actor=world.users["security"], source="oidc", group="walk", role="leader", region=world.city
    )
    directory_user_sync(source="oidc", subject="walk|1", username="walker", groups=[walk.group])
    yield world


@pytest.fixture
def spies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    for name in SERVICES:
        real = getattr(departments_admin, name, None)
        if real is None:  # not called by the admin: a write without it shows as one without a service
            continue

        def spy(*args: Any, _real: Callable[..., Any] = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(departments_admin, name, spy)
    return calls


def _sample(model: type[models.Model], world: World) -> models.Model:
    """An object of ``model`` inside the 东莞 bureau's region (so the bureau may see it)."""
    queryset = model._default_manager.order_by("pk")
    label = model._meta.label_lower
    if label == "departments.region":
        return world.city
    if label == "departments.department":
        return world.other_dept
    if label == "departments.departmentalias":
        return DepartmentAlias.objects.get(name="科技局")
    obj = queryset.first()
    assert obj is not None, f"the walk has no {label} to try"
    return obj


def _url(model: type[models.Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


WALKED = sorted(
    (
        m
        for m in admin.site._registry
        # django-axes' login records are the security log's (its own admin), not domain data
        if m._meta.label_lower not in NOT_WALKED and m._meta.app_label != "axes"
    ),
    key=lambda m: m._meta.label,
)


@pytest.mark.parametrize("who", ["bureau", "admin"])
@pytest.mark.parametrize("model", WALKED, ids=[m._meta.label_lower for m in WALKED])
def test_every_admin_post_goes_through_a_service_or_is_refused(
    client: Client, full_world: World, spies: list[str], who: str, model: type[models.Model]
) -> None:
    client.force_login(full_world.users[who])
    obj = _sample(model, full_world)
    forged = {
        "status": TaskStatus.COMPLETED,
        "progress": 100,
        "name": "伪造",
        "title": "伪造",
        "text": "伪造",
    }
    attempts: list[tuple[str, dict[str, Any]]] = [
        (_url(model, "add"), post_data(client, _url(model, "add"), obj, **_fields(model, forged))),
        (
            _url(model, "change", obj.pk),
            post_data(client, _url(model, "change", obj.pk), obj, **_fields(model, forged)),
        ),
        (_url(model, "delete", obj.pk), {"post": "yes"}),
        (
            _url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        ),
    ]
    history = getattr(model, "history", None)
    if history is not None and isinstance(admin.site._registry[model], SimpleHistoryAdmin):
        version = history.filter(**{model._meta.pk.attname: obj.pk}).order_by("history_id").first()
        if version is not None:
            url = _url(model, "simple_history", obj.pk, version.history_id)
            attempts.append(
                (url, post_data(client, _url(model, "change", obj.pk), obj, **_fields(model, forged)))
            )
    for url, data in attempts:
        before, calls = _fingerprint(), len(spies)
        response = client.post(url, data)
        changed = _fingerprint() != before
        assert not changed or len(spies) > calls, f"{url} wrote without a service ({response.status_code})"
        if len(spies) == calls:
            assert response.status_code in (200, 302, 403, 404), url


def _fields(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in model._meta.concrete_fields if f.editable}
    return {k: v for k, v in values.items() if k in names}


def test_forged_completion_in_the_admin_is_refused(client: Client, world: World) -> None:
    """Issue 12: a bureau user set a task to 已办结 at 100 % in the admin with no approval."""
    client.force_login(world.users["bureau"])
    url = f"/admin/tasks/task/{world.task.pk}/change/"
    data = post_data(client, url, world.task, status=TaskStatus.COMPLETED, progress=100)
    response = client.post(url, data)
    assert response.status_code == 403
    task = Task.objects.get(pk=world.task.pk)
    assert (task.status, task.progress, task.version, task.completed_at) == (
        TaskStatus.NOT_STARTED,
        0,
        1,
        None,
    )


def test_task_admin_is_view_only_with_a_portal_link(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    page = client.get(f"/admin/tasks/task/{world.task.pk}/change/").content.decode()
    assert reverse("tasks:task_detail", args=[world.task.pk]) in page and "在门户中编辑" in page
    assert 'name="_save"' not in page
    assert client.get("/admin/tasks/task/add/").status_code == 403
    history = client.get(f"/admin/tasks/task/{world.task.pk}/history/")
    assert history.status_code == 200


def test_department_admin_writes_through_the_services(client: Client, world: World, spies: list[str]) -> None:
    client.force_login(world.users["bureau"])
    url = "/admin/departments/department/add/"
    data = post_data(client, url, region=world.city.pk, name="市审计局", kind="government", active=True)
    data.update({"aliases-TOTAL_FORMS": "1", "aliases-0-name": "审计局"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Department.objects.get(name="市审计局")
    assert spies[:2] == ["department_create", "department_alias_add"]
    assert list(created.aliases.values_list("name", "region")) == [("审计局", world.city.pk)]
    latest = created.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (world.users["bureau"], "create")
    # a new name in the change form is a rename: the old name stays an alias
    change = f"/admin/departments/department/{created.pk}/change/"
    data = post_data(client, change, created, name="市审计署")
    assert client.post(change, data).status_code == 302
    created.refresh_from_db()
    assert created.name == "市审计署" and created.aliases.filter(name="市审计局").exists()
    # unticking 启用 of a department with open tasks is refused with the reason, nothing written
    change = f"/admin/departments/department/{world.other_dept.pk}/change/"
    data = post_data(client, change, world.other_dept)
    data.pop("active")
    response = client.post(change, data)
    assert response.status_code == 200 and "请先改派" in response.content.decode()
    assert Department.objects.get(pk=world.other_dept.pk).active


def test_indicator_sample_exists(full_world: World) -> None:
    assert Indicator.objects.exists() and User.objects.filter(username="bureau").exists()


def test_retire_action_refuses_departments_with_open_tasks(client: Client, world: World) -> None:
    client.force_login(world.users["bureau"])
    idle = departments_admin.department_create(actor=None, region=world.city, name="市档案局")
    response = client.post(
        "/admin/departments/department/",
        {"action": "retire", "_selected_action": [world.other_dept.pk, idle.pk]},
        follow=True,
    )
    body = response.content.decode()
    assert "请先改派" in body and "已停用 市档案局" in body
    assert Department.objects.get(pk=world.other_dept.pk).active
    assert not Department.objects.get(pk=idle.pk).active
