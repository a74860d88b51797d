"""Targets against the straight-line trajectory: figures by hand, the pages, entering readings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tasks.indicators import indicator_status
from tasks.models import Indicator, IndicatorReading
from tasks.services import indicator_create, indicator_reading_record

from ..conftest import World

pytestmark = pytest.mark.django_db


def make(world: World, **fields: object) -> Indicator:
    defaults: dict[str, object] = {
        "name": "发明专利授权量",
        "target_value": 100,
        "unit": "件",
        "target_year": 2027,
    }
    defaults.update(fields)
    return indicator_create(actor=None, plan=world.plan, **defaults)  # type: ignore[arg-type]


def read(world: World, indicator: Indicator, value: float, day: dt.date) -> None:
    indicator_reading_record(actor=world.users["bureau"], indicator=indicator, value=value, observed_on=day)


@pytest.mark.parametrize(("value", "light"), [(60, "green"), (45, "yellow"), (30, "red")])
def test_trajectory_and_light_for_an_at_least_target(world: World, value: float, light: str) -> None:
    indicator = make(world, baseline=0, baseline_year=2026)
    read(world, indicator, value, dt.date(2026, 12, 31))
    status = indicator_status(Indicator.objects.get(pk=indicator.pk))
    assert status.trajectory is not None
    assert (status.trajectory.start, status.trajectory.end) == (dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    assert status.expected == Decimal(100) * 364 / 729  # 364 of the line's 729 days
    assert status.light == light


@pytest.mark.parametrize(("value", "light"), [(25, "green"), (33, "yellow"), (35, "red")])
def test_lower_is_better_target(world: World, value: float, light: str) -> None:
    indicator = make(
        world, name="案件平均处理天数", target_value=10, comparator="<=", baseline=50, baseline_year=2026
    )
    read(world, indicator, value, dt.date(2026, 12, 31))  # the line stands at about 30 then
    assert indicator_status(Indicator.objects.get(pk=indicator.pk)).light == light


def test_without_baseline_the_first_reading_starts_the_line(world: World) -> None:
    indicator = make(world)
    assert indicator_status(indicator).light is None  # nothing to compare yet
    read(world, indicator, 20, dt.date(2026, 1, 1))
    read(world, indicator, 70, dt.date(2027, 1, 1))
    status = indicator_status(Indicator.objects.get(pk=indicator.pk))
    assert status.trajectory is not None and status.trajectory.start_value == 20
    assert status.light == "green" and status.latest is not None and status.latest.value == 70


def test_pages_and_entering_readings(client: Client, world: World) -> None:
    indicator = make(world, baseline=0, baseline_year=2026)
    client.force_login(world.users["bureau"])
    assert client.get(reverse("tasks:indicator_list")).status_code == 200
    url = reverse("tasks:indicator_detail", args=[indicator.pk])
    assert "reading-form" in client.get(url).content.decode()
    saved = client.post(url, {"value": "42.5", "observed_on": "2026-06-30"})
    assert saved.status_code == 302
    assert IndicatorReading.objects.get(indicator=indicator).value == Decimal("42.5")
    bad = client.post(url, {"value": "很多", "observed_on": "2026-07-31"})
    assert bad.status_code == 400 and "请输入数值" in bad.content.decode()
    assert IndicatorReading.objects.filter(indicator=indicator).count() == 1


def test_readings_refused_to_those_not_responsible(client: Client, world: World) -> None:
    indicator = make(world)
    url = reverse("tasks:indicator_detail", args=[indicator.pk])
    client.force_login(world.users["leader"])
    assert "reading-form" not in client.get(url).content.decode()
    assert client.post(url, {"value": "1", "observed_on": "2026-06-30"}).status_code == 403
    client.force_login(world.users["other_bureau"])
    assert client.get(url).status_code == 404
    assert not IndicatorReading.objects.exists()


def test_the_responsible_department_enters_readings_of_its_task(client: Client, world: World) -> None:
    indicator = make(world, task=world.task)  # 市科技局 leads, 市财政局 is responsible
    client.force_login(world.users["other_staff"])
    url = reverse("tasks:indicator_detail", args=[indicator.pk])
    assert client.post(url, {"value": "5", "observed_on": "2026-06-30"}).status_code == 302
    assert IndicatorReading.objects.get().entered_by == world.users["other_staff"]
