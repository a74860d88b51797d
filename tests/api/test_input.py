"""JSON bodies are read with JSON's types, as the schema publishes them; forms keep strings."""

from __future__ import annotations

from typing import Any

from tasks.models import IndicatorReading, Task
from tasks.services import indicator_create


def _etag(client: Any, task: Task) -> str:
    return str(client.get(f"/api/v1/tasks/{task.pk}/")["ETag"])


def test_a_json_value_of_the_wrong_type_is_refused_naming_the_field(world: Any, api: Any) -> None:
    staff = api("staff")
    url = f"/api/v1/tasks/{world.task.pk}/"
    for body, field in (
        ({"progress": "40"}, "progress"),
        ({"progress": True}, "progress"),
        ({"status": 1}, "status"),
    ):
        answer = staff.patch(url, body, format="json", HTTP_IF_MATCH=_etag(staff, world.task))
        assert answer.status_code == 400 and field in answer.json()["errors"], (body, answer.json())
    assert Task.objects.get(pk=world.task.pk).version == world.task.version  # nothing written
    ok = staff.patch(url, {"progress": 40.0}, format="json", HTTP_IF_MATCH=_etag(staff, world.task))
    assert ok.status_code == 200 and ok.json()["progress"] == 40  # 40.0 is an integer in JSON Schema


def test_booleans_must_be_booleans(world: Any, api: Any) -> None:
    bureau = api("bureau")
    answer = bureau.post(
        "/api/v1/webhooks/",
        {"url": "https://x.example.gov.cn/", "events": ["task.overdue"], "is_active": 0},
        format="json",
    )
    assert answer.status_code == 400 and "is_active" in answer.json()["errors"]


def test_a_decimal_may_be_a_number_or_an_exact_string(world: Any, api: Any) -> None:
    indicator = indicator_create(actor=None, plan=world.plan, name="专利授权量", target_value=100, unit="件")
    bureau = api("bureau")
    url = f"/api/v1/indicators/{indicator.pk}/readings/"
    assert bureau.post(url, {"value": 12.5, "observed_on": "2026-06-30"}, format="json").status_code == 201
    assert bureau.post(url, {"value": "13.25", "observed_on": "2026-07-31"}, format="json").status_code == 201
    assert (
        bureau.post(url, {"value": 0.123456, "observed_on": "2026-08-31"}, format="json").status_code == 201
    )
    refused = bureau.post(url, {"value": True, "observed_on": "2026-09-30"}, format="json")
    assert refused.status_code == 400 and "value" in refused.json()["errors"]
    values = list(
        IndicatorReading.objects.filter(indicator=indicator)
        .order_by("observed_on")
        .values_list("value", flat=True)
    )
    assert [str(v) for v in values] == ["12.5000", "13.2500", "0.1235"]


def test_a_form_post_keeps_its_strings(world: Any, api: Any) -> None:
    staff = api("staff")
    answer = staff.post(
        f"/api/v1/tasks/{world.task.pk}/reports/",
        {"text": "已完成调研", "percent": "30", "period": "2026-11"},
        format="multipart",
    )
    assert answer.status_code == 201 and answer.json()["percent"] == 30
