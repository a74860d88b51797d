"""Resolving department names read from plans against the registry of a region."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.resolution import Method, resolve_names
from departments.services import department_alias_add, department_create, department_update

from .conftest import World

pytestmark = pytest.mark.django_db


def test_exact_alias_and_variants(world: World) -> None:
    department_create(actor=None, region=world.city, name="市市场监管局(知识产权局)")
    result = resolve_names(
        world.city, ["市科技局", "科技局", "财政局", "市市场监管局", "市场监管局(知识产权局)", "市科技局 "]
    )
    assert result["市科技局"].method == Method.EXACT and result["市科技局"].department == world.lead_dept
    assert result["科技局"].method == Method.ALIAS  # recorded alias
    assert result["财政局"].method == Method.VARIANT  # 市 prefix restored
    assert result["财政局"].department == world.other_dept
    assert result["市市场监管局"].department.name == "市市场监管局(知识产权局)"  # type: ignore[union-attr]
    assert len(result) == 5  # the padded duplicate is the same name


def test_same_name_in_another_city_is_another_department(world: World) -> None:
    department_create(actor=None, region=world.other_city, name="市科技局")
    dongguan = resolve_names(world.city, ["市科技局"])["市科技局"].department
    zhuhai = resolve_names(world.other_city, ["市科技局"])["市科技局"].department
    assert dongguan is not None and zhuhai is not None
    assert dongguan.region == world.city and zhuhai.region == world.other_city


def test_bodies_of_the_province_resolve_from_a_city(world: World) -> None:
    provincial = department_create(actor=None, region=world.province, name="广东省知识产权局")
    assert resolve_names(world.city, ["广东省知识产权局"])["广东省知识产权局"].department == provincial
    # but a city's departments are not visible from the province or a sibling city
    assert not resolve_names(world.other_city, ["市财政局"])["市财政局"].resolved


def test_unknown_name_is_unresolved_with_ranked_suggestions(world: World) -> None:
    result = resolve_names(world.city, ["市科学技术局"])["市科学技术局"]
    assert result.method == Method.UNRESOLVED and result.department is None
    assert result.suggestions and result.suggestions[0].department == world.lead_dept
    scores = [s.score for s in result.suggestions]
    assert scores == sorted(scores, reverse=True)
    # nothing alike in the registry: no suggestion rather than a wild guess
    assert resolve_names(world.city, ["东莞海关"])["东莞海关"].suggestions == []


def test_market_regulation_is_not_a_city_prefix(world: World) -> None:
    department_create(actor=None, region=world.city, name="场监管总局")
    assert not resolve_names(world.city, ["市场监管总局"])["市场监管总局"].resolved


def test_inactive_departments_are_not_resolved(world: World) -> None:
    # a department is retired once its open tasks are reassigned (here: it has none)
    retired = department_create(actor=None, region=world.city, name="市审计局")
    department_update(actor=None, department=retired, active=False)
    assert not resolve_names(world.city, ["市审计局"])["市审计局"].resolved


def test_alias_saved_by_the_coordinator_resolves_next_time(world: World) -> None:
    assert not resolve_names(world.city, ["科委"])["科委"].resolved
    department_alias_add(actor=world.users["bureau"], department=world.lead_dept, name="科委")
    assert resolve_names(world.city, ["科委"])["科委"].department == world.lead_dept


def test_query_count_does_not_grow_with_names(world: World) -> None:
    with CaptureQueriesContext(connection) as few:
        resolve_names(world.city, ["市科技局"])
    with CaptureQueriesContext(connection) as many:
        resolve_names(world.city, [f"市未知局{i}" for i in range(50)] + ["科技局", "财政局"])
    assert len(many) == len(few)
