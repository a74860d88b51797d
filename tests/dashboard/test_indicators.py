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
from ..factories import client_for
from ..support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

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


def rise_in_points(world: World) -> Indicator:
    """由45%提高5个百分点: a rise of 5 points over a 2026 baseline of 45 %."""
    return make(
        world,
        name="专利实施率",
        target_value=5,
        unit="个百分点",
        basis="rise",
        baseline=45,
        baseline_year=2026,
    )


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


# --- the light follows the comparator and basis read from the sentence -----------------------


def light_on(world: World, value: float, day: dt.date, **fields: object) -> tuple[str | None, Decimal | None]:
    indicator = make(world, **fields)
    read(world, indicator, value, day)
    status = indicator_status(Indicator.objects.get(pk=indicator.pk))
    return status.light, status.expected


@pytest.mark.parametrize(("value", "light"), [(900, "green"), (700, "yellow"), (500, "red")])
def test_an_increment_target_counts_from_zero_and_more_is_better(
    world: World, value: float, light: str
) -> None:
    # 新增…1500件 over the plan's 2026-2027: the line runs from 0 on 2026-01-01 to 1500 on 2027-12-31
    got, expected = light_on(
        world, value, dt.date(2027, 1, 7), name="新增发明专利授权", target_value=1500, basis="increment"
    )
    assert expected == Decimal(1500) * 371 / 729  # about 763: 900 is ahead of it, so green
    assert got == light


@pytest.mark.parametrize(
    ("value", "light"),
    [(4700, "green"), (4300, "green"), (4800, "yellow"), (4100, "yellow"), (3900, "red"), (5100, "red")],
)
def test_about_is_a_band_around_the_line(world: World, value: float, light: str) -> None:
    # 5000件左右 from 4000 in 2026: the line stands near 4499 on 2026-12-31; the band is 5 % of 5000
    got, _expected = light_on(
        world,
        value,
        dt.date(2026, 12, 31),
        target_value=5000,
        comparator="~",
        baseline=4000,
        baseline_year=2026,
    )
    assert got == light


@pytest.mark.parametrize(("value", "light"), [(48, "green"), (47.2, "yellow"), (46, "red")])
def test_a_rise_in_points_is_relative_to_the_baseline(world: World, value: float, light: str) -> None:
    # 由45%提高5个百分点: the line runs from 45 to 50
    indicator = rise_in_points(world)
    read(world, indicator, value, dt.date(2026, 12, 31))
    status = indicator_status(Indicator.objects.get(pk=indicator.pk))
    assert status.trajectory is not None and status.trajectory.target == 50
    assert status.light == light


def test_a_rise_or_fall_in_percent_is_a_share_of_the_baseline(world: World) -> None:
    rise = make(world, target_value=20, unit="%", basis="rise", baseline=200, baseline_year=2026)
    fall = make(
        world, target_value=10, unit="%", comparator="<=", basis="fall", baseline=50, baseline_year=2026
    )
    read(world, rise, 200, dt.date(2026, 1, 1))
    read(world, fall, 50, dt.date(2026, 1, 1))
    rise_line = indicator_status(Indicator.objects.get(pk=rise.pk)).trajectory
    fall_line = indicator_status(Indicator.objects.get(pk=fall.pk)).trajectory
    assert rise_line is not None and rise_line.target == 240
    assert fall_line is not None and fall_line.target == 45


@pytest.mark.parametrize(("value", "light"), [(47, "green"), (47.9, "yellow"), (49, "red")])
def test_a_fall_means_lower_is_better(world: World, value: float, light: str) -> None:
    # 降低10%: from 50 to 45; the line stands near 47.5 on 2026-12-31
    got, _expected = light_on(
        world,
        value,
        dt.date(2026, 12, 31),
        name="平均审查周期",
        target_value=10,
        unit="%",
        comparator="<=",
        basis="fall",
        baseline=50,
        baseline_year=2026,
    )
    assert got == light


@pytest.mark.parametrize(
    ("fields", "value", "light"),
    [
        ({"comparator": "=", "baseline": 0}, 60, "green"),  # 培养…300人: upward line, more is better
        ({"comparator": "=", "baseline": 0}, 30, "red"),
        ({"comparator": "=", "baseline": 200, "target_value": 100}, 140, "green"),  # a downward line
        ({"comparator": "=", "baseline": 200, "target_value": 100}, 170, "red"),
        ({"comparator": ">", "baseline": 0}, 60, "green"),  # 超过
        ({"comparator": "<", "baseline": 200, "target_value": 100}, 170, "red"),
    ],
)
def test_a_bare_figure_follows_its_line_and_strict_comparators_their_direction(
    world: World, fields: dict[str, object], value: float, light: str
) -> None:
    got, _expected = light_on(world, value, dt.date(2026, 12, 31), baseline_year=2026, **fields)
    assert got == light


def test_light_for_takes_the_line_end_as_a_keyword(world: World) -> None:
    from tasks.indicators import light_for

    indicator = make(world, target_value=5, unit="个百分点", basis="rise")
    # without target= the end is worked out from the start: 45 + 5 = 50
    assert light_for(indicator, Decimal(48), Decimal(47), Decimal(45)) == "green"
    assert light_for(indicator, Decimal("46.6"), Decimal(47), Decimal(45)) == "yellow"
    assert light_for(indicator, Decimal("46.4"), Decimal(47), Decimal(45)) == "red"  # a tenth of 5 behind
    assert light_for(indicator, Decimal("46.4"), Decimal(47), Decimal(45), target=Decimal(55)) == "yellow"


# --- printing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "printed"),
    [
        ({"target_value": 40, "unit": "%", "comparator": ">="}, "≥ 40%"),
        ({"target_value": 5000, "unit": "件", "comparator": "~"}, "约 5,000 件"),
        ({"target_value": Decimal("8.5"), "unit": "万件", "comparator": "="}, "8.5 万件"),
        ({"target_value": 30, "unit": "个工作日", "comparator": "<="}, "≤ 30 个工作日"),
        ({"target_value": 5, "unit": "亿元", "comparator": ">"}, "> 5 亿元"),
        ({"target_value": 1500, "unit": "件", "comparator": ">=", "basis": "increment"}, "新增 1,500 件"),
        ({"target_value": 3600, "unit": "户", "comparator": "~", "basis": "cumulative"}, "累计约 3,600 户"),
        ({"target_value": 5, "unit": "个百分点", "comparator": ">=", "basis": "rise"}, "提高 5 个百分点"),
        ({"target_value": 15, "unit": "%", "comparator": "<=", "basis": "fall"}, "降低 15%"),
        ({"target_value": 1234567, "unit": "", "comparator": ">="}, "≥ 1,234,567"),
    ],
)
def test_targets_print_the_chinese_way(world: World, fields: dict[str, object], printed: str) -> None:
    from tasks.indicators import format_target

    indicator = make(world, **fields)
    assert format_target(Indicator.objects.get(pk=indicator.pk)) == printed


def test_values_print_without_padding() -> None:
    from tasks.indicators import format_quantity

    assert format_quantity(Decimal("8.5000"), "万件") == "8.5 万件"
    assert format_quantity(Decimal("5000.0000"), "件") == "5,000 件"
    assert format_quantity(Decimal("95.0000"), "%") == "95%"
    assert format_quantity(Decimal("763.3745"), "件", places=1) == "763.4 件"
    assert format_quantity(Decimal("0.0000"), "") == "0"
    assert format_quantity(None, "件") == "—"


def test_pages_briefing_and_api_print_the_same_way(client: Client, world: World) -> None:
    import io

    import docx

    from tasks.briefing import write_briefing
    from tasks.models import Plan, Task

    indicator = make(
        world,
        name="有效注册商标拥有量",
        target_value=Decimal("8.5"),
        unit="万件",
        baseline=0,
        baseline_year=2026,
    )
    read(world, indicator, 1, dt.date(2026, 12, 31))  # far behind its line: off track in the briefing
    client.force_login(world.users["bureau"])
    pages = [
        client.get(reverse("tasks:indicator_list")).content.decode(),
        client.get(reverse("tasks:indicator_detail", args=[indicator.pk])).content.decode(),
        client.get(reverse("tasks:plan_detail", args=[world.plan.pk])).content.decode(),
    ]
    for page in pages:
        assert "≥ 8.5 万件" in page and "8.5000" not in page and "&gt;=" not in page
    assert "1 万件" in pages[0] and "1 万件" in pages[1]  # the reading
    output = io.BytesIO()
    write_briefing(
        plans=Plan.objects.all(),
        tasks=Task.objects.all(),
        start=dt.date(2026, 12, 1),
        end=dt.date(2026, 12, 31),
        output=output,
    )
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(output.getvalue())).paragraphs)
    assert "有效注册商标拥有量:目标 ≥ 8.5 万件,最新 1 万件(2026-12-31),按轨迹应达 4.2 万件" in text
    answer = client_for(world.users["bureau"]).get(f"/api/v1/indicators/{indicator.pk}/").json()
    assert answer["target_value"] == "8.5000" and answer["unit"] == "万件" and answer["multiplier"] == 10_000
    assert answer["comparator"] == ">=" and answer["basis"] == "level" and answer["display"] == "≥ 8.5 万件"
    readings = client_for(world.users["bureau"]).get(f"/api/v1/indicators/{indicator.pk}/readings/").json()
    assert [r["display"] for r in readings] == ["1 万件"]


def test_importing_stores_basis_comparator_and_baseline(world: World) -> None:
    from planparser import parse_text
    from tasks.services.imports.commit import plan_import_commit

    parsed = parse_text(
        "某市知识产权工作方案\n一、工作目标\n到2027年,新增发明专利授权1500件,"
        "专利实施率由2025年的45%提高到60%,审查周期控制在30个工作日以内。\n"
        "二、主要任务\n1.加强创造。(市科技局)\n"
    )
    plan = plan_import_commit(
        actor=None, parsed=parsed, region=world.plan.region, departments={"市科技局": world.lead_dept}
    )
    got = [
        (i.basis, i.comparator, i.target_value, i.unit, i.baseline, i.baseline_year, i.target_year)
        for i in plan.indicators.order_by("order")
    ]
    assert got == [
        ("increment", ">=", 1500, "件", None, None, 2027),
        ("level", ">=", 60, "%", 45, 2025, 2027),
        ("level", "<=", 30, "个工作日", None, None, 2027),
    ]


def test_the_data_migration_fills_the_basis_of_existing_rows(world: World) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("tasks.migrations.0009_indicators_basis")
    names = {
        "新增培育知识产权优势示范企业50家": ("=", "increment", ">="),
        "累计建设5G基站4600个": ("=", "cumulative", ">="),
        "专利授权率提高5个百分点": ("=", "rise", ">="),
        "平均处理时间降低15%": ("=", "fall", "<="),
        "年专利申请量5000件左右": ("~", "level", "~"),
        "有效注册商标拥有量达到8.5万件": (">=", "level", ">="),
    }
    for name, (comparator, _basis, _after) in names.items():
        Indicator.objects.create(plan=world.plan, name=name, target_value=1, comparator=comparator)
    migration.fill_basis(apps, None)
    got = {i.name: (i.basis, i.comparator) for i in Indicator.objects.all()}
    assert got == {name: (basis, after) for name, (_c, basis, after) in names.items()}


def test_readings_of_a_change_are_levels_in_their_own_unit(client: Client, world: World) -> None:
    indicator = rise_in_points(world)
    read(world, indicator, 48, dt.date(2026, 12, 31))
    client.force_login(world.users["bureau"])
    page = client.get(reverse("tasks:indicator_detail", args=[indicator.pk])).content.decode()
    assert "提高 5 个百分点 → 50%" in page and "48%" in page and "48 个百分点" not in page
    assert "45%" in page  # the baseline
    readings = client_for(world.users["bureau"]).get(f"/api/v1/indicators/{indicator.pk}/readings/").json()
    assert [r["display"] for r in readings] == ["48%"]
