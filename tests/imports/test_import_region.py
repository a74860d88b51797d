"""The import page starts from the bureau's own region, keeps a chosen region, and explains a
submit with a department left unmapped."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from departments.choices import RegionLevel
from departments.services import region_create
from tasks.models import Plan, PlanImport

from ..conftest import World

pytestmark = pytest.mark.django_db

# no issuer, no region in the title: nothing to infer the region from
TEXT = "知识产权工作方案\n一、主要任务\n1.培育高价值专利。(市科技局、市新材料局)\n2.完善政策。(市财政局)\n"


@pytest.fixture
def bureau(client: Client, world: World) -> Client:
    client.force_login(world.users["bureau"])
    return client


def selected_region(body: str) -> str | None:
    select = re.search(r'<select[^>]*name="region"[^>]*>(.*?)</select>', body, re.S)
    assert select is not None
    chosen = re.search(r'<option value="(\d+)" selected>', select.group(1))
    return chosen.group(1) if chosen else None


def test_the_import_form_defaults_to_the_bureaus_region(bureau: Client, world: World) -> None:
    body = bureau.get(reverse("tasks:import_start")).content.decode()
    assert selected_region(body) == str(world.city.pk)


def test_known_departments_are_known_without_choosing_a_region(bureau: Client, world: World) -> None:
    bureau.post(reverse("tasks:import_start"), {"text": TEXT})
    record = PlanImport.objects.get()
    response = bureau.get(reverse("tasks:import_preview", args=[record.pk]))
    assert response.status_code == 200
    assert response.context["preview"].region == world.city
    assert [f.label for f in response.context["mapping_fields"]] == ["市新材料局"]  # 市科技局, 市财政局 known
    assert selected_region(response.content.decode()) == str(world.city.pk)


def test_a_chosen_region_survives_a_refused_submit_and_a_reload(bureau: Client, world: World) -> None:
    district = region_create(code="441901", name="松山湖", level=RegionLevel.COUNTY, parent=world.city)
    bureau.post(reverse("tasks:import_start"), {"text": TEXT})
    record = PlanImport.objects.get()
    url = reverse("tasks:import_preview", args=[record.pk])
    refused = bureau.post(url, {"region": district.pk, "map_0": ""})  # 市新材料局 left unmapped
    assert refused.status_code == 400
    body = refused.content.decode()
    assert 'id="commit-form-errors"' in body
    assert "还有 1 个单位名称未选择映射或新建" in body and "请选择映射到的单位,或选择新建。" in body
    assert Plan.objects.count() == 2  # nothing written
    reloaded = bureau.get(url).content.decode()
    assert selected_region(reloaded) == str(district.pk)
    record.refresh_from_db()
    assert record.region == district
