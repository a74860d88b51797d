"""Collectives are groups (listed, never ranked): decided by a general rule, changed by the bureau."""

from __future__ import annotations

import importlib

import pytest
from django.test import Client
from django.urls import reverse

from departments.choices import DepartmentKind
from departments.kinds import guess_kind, is_collective
from departments.models import Department
from departments.services import department_create

from ..conftest import World


@pytest.mark.parametrize(
    "name",
    [
        "市知识产权办公会议各成员单位",
        "各镇街",
        "各区县人民政府",
        "各有关部门和单位",
        "各区、县级市",
        "市科技局等单位",
        "有关部门",
    ],
)
def test_collectives_are_groups(name: str) -> None:
    assert is_collective(name) and guess_kind(name) == DepartmentKind.GROUP


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("市科技局", "government"),
        ("市场监管总局", "government"),
        ("东莞海关", "vertical"),
        ("松山湖管委会", "zone"),
    ],
)
def test_single_units_are_not(name: str, kind: str) -> None:
    assert guess_kind(name) == kind


def test_the_migration_uses_the_same_rule() -> None:
    migration = importlib.import_module("departments.migrations.0007_measures_department_kind_groups")
    for name in ["市知识产权办公会议各成员单位", "各镇街", "市科技局", "东莞海关", "有关单位", "市科技局等"]:
        assert bool(migration.COLLECTIVE.search(name)) == is_collective(name)


@pytest.mark.django_db
def test_registry_creation_and_the_bureau_changes_the_kind(client: Client, world: World) -> None:
    towns = department_create(actor=None, region=world.city, name="各镇街")
    assert towns.kind == DepartmentKind.GROUP
    client.force_login(world.users["bureau"])
    response = client.post(reverse("departments:kind", args=[towns.pk]), {"kind": "district"})
    assert response.status_code == 302
    towns.refresh_from_db()
    assert towns.kind == DepartmentKind.DISTRICT
    assert towns.history.latest().history_user == world.users["bureau"]  # type: ignore[attr-defined]
    bad = client.post(reverse("departments:kind", args=[towns.pk]), {"kind": "nonsense"})
    assert bad.status_code == 400 and Department.objects.get(pk=towns.pk).kind == DepartmentKind.DISTRICT
    client.force_login(world.users["staff"])
    refused = client.post(reverse("departments:kind", args=[towns.pk]), {"kind": "group"})
    assert refused.status_code in (403, 404)
    assert Department.objects.get(pk=towns.pk).kind == DepartmentKind.DISTRICT
