"""The bureau corrects the preview (issue 13 item 4): edits kept with the import, shared with a
second coordinator of the region, guarded by a version, replayed on every parse (those that no
longer fit are listed), applied at the commit in one transaction, and in the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from departments.services import user_create
from ipplan.exceptions import ConflictError
from ipplan.roles import Role
from planparser import parse_text
from planparser.dates import deadline_to_date
from tasks.models import Plan, PlanImport
from tasks.services.imports.edits import apply_edits, plan_import_edit
from tasks.services.imports.session import import_session_start

from ..conftest import World
from .docs import PLAN_V1

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(world: World) -> PlanImport:
    return import_session_start(actor=world.users["bureau"], text=PLAN_V1, region=world.city).record


def _edit(world: World, record: PlanImport, *ops: dict[str, Any], user: str = "bureau") -> PlanImport:
    record.refresh_from_db()
    return plan_import_edit(actor=world.users[user], record=record, ops=list(ops), version=record.version)


def test_every_kind_of_edit_applies_in_order(world: World, record: PlanImport) -> None:
    _edit(
        world,
        record,
        {
            "op": "task",
            "path": "二.(一).1",
            "lead": ["市财政局"],
            "responsible": ["市科技局"],
            "deadline": "2026-06-30",
        },
        {"op": "task", "path": "二.(二).3", "title": "开展执法专项行动", "section": "二.(一)"},
        {"op": "merge", "path": "二.(一).2", "into": "二.(一).1"},
        {"op": "split", "path": "二.(一).1", "at": "完善知识产权资助政策"},
        {"op": "add", "section": "二.(二)", "title": "建设保护中心", "lead": ["市知识产权局"]},
        {
            "op": "plan",
            "title": "东莞市知识产权强市建设方案(修订)",
            "doc_number": "东府办〔2026〕8号",
            "period": [2026, 2027],
        },
    )
    edited = apply_edits(parse_text(record.source_text), PlanImport.objects.get(pk=record.pk).edits)
    assert not edited.unapplied
    tasks = {t.path: t for t in edited.parsed.tasks}
    assert list(tasks) == ["二.(一).1", "二.(一).1-2", "二.(一).3", "二.(二).1"]
    first = tasks["二.(一).1"]
    assert first.lead == ["市财政局"] and first.responsible == ["市科技局"]
    assert deadline_to_date(first.deadline) == dt.date(2026, 6, 30)
    assert (
        "完善知识产权资助政策" not in first.full_text
        and "完善知识产权资助政策" in tasks["二.(一).1-2"].full_text
    )
    assert tasks["二.(一).3"].title == "开展执法专项行动" and tasks["二.(一).3"].section_path == "二.(一)"
    assert tasks["二.(二).1"].lead == ["市知识产权局"]
    assert edited.parsed.title == "东莞市知识产权强市建设方案(修订)" and edited.parsed.period == (2026, 2027)


def test_a_stale_version_conflicts_and_changes_nothing(world: World, record: PlanImport) -> None:
    _edit(world, record, {"op": "task", "path": "二.(一).1", "title": "新名称"})
    with pytest.raises(ConflictError):
        plan_import_edit(
            actor=world.users["bureau"], record=record, ops=[{"op": "delete", "path": "二.(一).2"}], version=1
        )
    record.refresh_from_db()
    assert record.version == 2 and len(record.edits) == 1


@pytest.mark.parametrize(
    "op",
    [
        {"op": "task", "path": "九.(九).9", "title": "x"},
        {"op": "task", "path": "二.(一).1", "deadline": "六月底"},
        {"op": "task", "path": "二.(一).1", "title": ""},
        {"op": "task", "path": "二.(一).1", "lead": "市财政局"},
        {"op": "merge", "path": "二.(一).1", "into": "二.(一).1"},
        {"op": "split", "path": "二.(一).1", "at": "不存在的文字"},
        {"op": "plan", "period": [2027, 2026]},
        {"op": "launch"},
    ],
)
def test_bad_edits_are_refused_clearly_and_store_nothing(world: World, record: PlanImport, op: dict) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        _edit(world, record, op)
    assert caught.value.messages and all(m for m in caught.value.messages)
    record.refresh_from_db()
    assert record.edits == [] and record.version == 1


def test_a_reparse_lists_the_edits_it_cannot_apply(world: World, record: PlanImport) -> None:
    _edit(world, record, {"op": "task", "path": "二.(二).3", "lead": ["市知识产权局"]})
    # the document read differently (a corrected text, a better parser): task 3 is gone
    shorter = record.source_text.replace(
        "3. 开展知识产权执法专项行动,严厉打击侵权假冒行为。(市公安局、市文旅局)", ""
    )
    edited = apply_edits(parse_text(shorter), PlanImport.objects.get(pk=record.pk).edits)
    assert [op["path"] for op in edited.unapplied] == ["二.(二).3"]
    assert "不存在" in edited.unapplied[0]["reason"]


def test_commit_applies_the_edits_and_the_audit_trail_shows_them(
    client: Client, world: World, record: PlanImport
) -> None:
    _edit(world, record, {"op": "task", "path": "二.(一).1", "lead": ["市财政局"], "deadline": "2026-06-30"})
    _edit(world, record, {"op": "merge", "path": "二.(二).3", "into": "二.(一).2"})
    client.force_login(world.users["bureau"])
    form = {"region": world.city.pk, "map_0": "__create__", "map_1": "__create__"}  # 市公安局, 市文旅局
    response = client.post(reverse("tasks:import_preview", args=[record.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = Plan.objects.get(imports=record)
    assert sorted(plan.tasks.values_list("path", flat=True)) == ["二.(一).1", "二.(一).2"]
    first = plan.tasks.get(path="二.(一).1")
    assert first.due_date == dt.date(2026, 6, 30)
    assert list(first.assignments.filter(role="lead").values_list("department__name", flat=True)) == [
        "市财政局"
    ]
    second = plan.tasks.get(path="二.(一).2")
    assert "执法专项行动" in second.full_text
    assert set(second.assignments.values_list("department__name", flat=True)) >= {
        "市财政局",
        "市科技局",
        "市公安局",
    }
    reasons = list(plan.history.values_list("history_change_reason", flat=True))  # type: ignore[attr-defined]
    assert any("merge 二.(二).3 into 二.(一).2" in (r or "") for r in reasons)
    assert any("二.(一).1: lead=市财政局" in (r or "") for r in reasons)
    task_history = first.history.first()  # type: ignore[attr-defined]
    assert "导入预览中修改" in task_history.history_change_reason
    assert task_history.history_user == world.users["bureau"]
    # the task page's audit trail shows it
    page = client.get(reverse("tasks:task_detail", args=[first.pk])).content.decode()
    assert "导入预览中修改" in page and "lead=市财政局" in page


def test_a_second_coordinator_of_the_region_sees_and_edits(
    client: Client, world: World, record: PlanImport
) -> None:
    colleague = user_create(
        actor=None, username="bureau2", password="x-Passw0rd!", role=Role.BUREAU, region=world.city
    )
    _edit(world, record, {"op": "task", "path": "二.(一).1", "title": "培育高价值专利组合(已改)"})
    client.force_login(colleague)
    page = client.get(reverse("tasks:import_preview", args=[record.pk])).content.decode()
    assert "培育高价值专利组合(已改)" in page
    response = client.post(
        reverse("tasks:import_edit", args=[record.pk]),
        {"op": "task", "path": "二.(一).2", "deadline": "2026-09-30", "version": str(record.version + 1)},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.version == 3 and record.edits[-1]["by"] == colleague.pk
    # a stale form is refused with a message, nothing stored
    stale = client.post(
        reverse("tasks:import_edit", args=[record.pk]),
        {"op": "delete", "path": "二.(一).2", "version": "2"},
        follow=True,
    )
    assert "已被他人修改" in stale.content.decode()
    record.refresh_from_db()
    assert record.version == 3
    # another city's bureau does not see it at all
    client.force_login(world.users["other_bureau"])
    assert client.get(reverse("tasks:import_preview", args=[record.pk])).status_code == 404
    assert (
        client.post(
            reverse("tasks:import_edit", args=[record.pk]), {"op": "delete", "path": "二.(一).2"}
        ).status_code
        == 404
    )


def test_preview_lists_tasks_needing_a_look_and_the_picker_searches_the_registry(
    client: Client, world: World, record: PlanImport
) -> None:
    client.force_login(world.users["bureau"])
    page = client.get(reverse("tasks:import_preview", args=[record.pk])).content.decode()
    # tasks 1 and 3 name no lead (the parser's flag); 市公安局 and 市文旅局 of task 3 are not in
    # the registry either: two tasks need a look, each with its reasons; task 2 is clean
    assert "2 项任务需要核对" in page and "单位名称不在单位库中" in page and "未标明牵头单位" in page
    only = client.get(reverse("tasks:import_preview", args=[record.pk]) + "?look=1").content.decode()
    assert "二.(二).3" in only and "二.(一).1" in only and "二.(一).2" not in only
    form = client.get(
        reverse("tasks:import_task_form", args=[record.pk]), {"path": "二.(一).1"}
    ).content.decode()
    assert 'name="lead"' in form and "市科技局" in form and 'type="date"' in form
    found = client.get(reverse("tasks:import_departments", args=[record.pk]), {"q": "财政"}).content.decode()
    assert "市财政局" in found and 'data-role="lead"' in found
    none = client.get(
        reverse("tasks:import_departments", args=[record.pk]), {"q": "不存在的局"}
    ).content.decode()
    assert "直接填写名称" in none


def test_api_patch_with_etag(client: Client, world: World, record: PlanImport) -> None:
    client.force_login(world.users["bureau"])
    url = f"/api/v1/imports/{record.pk}/"
    got = client.get(url)
    etag = got["ETag"]
    assert got.json()["version"] == 1 and got.json()["needs_look"] == 2  # tasks 1 and 3
    assert client.patch(url, {"edits": []}, content_type="application/json").status_code == 428
    ops = {"edits": [{"op": "task", "path": "二.(二).3", "lead": ["市科技局"], "responsible": []}]}
    done = client.patch(url, ops, content_type="application/json", HTTP_IF_MATCH=etag)
    assert done.status_code == 200, done.content[:500]
    body = done.json()
    task = next(t for t in body["plan"]["tasks"] if t["path"] == "二.(二).3")
    # the departments set by hand clear task 3's flags; task 1 still needs its look
    assert task["lead"] == ["市科技局"] and task["flags"] == [] and body["needs_look"] == 1
    assert done["ETag"] != etag
    stale = client.patch(url, ops, content_type="application/json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    bad = client.patch(
        url,
        {"edits": [{"op": "delete", "path": "九.9"}]},
        content_type="application/json",
        HTTP_IF_MATCH=done["ETag"],
    )
    assert bad.status_code == 400 and "不存在" in bad.content.decode()


def test_an_edit_that_no_longer_applies_blocks_the_commit_until_the_bureau_drops_it(
    client: Client, world: World, record: PlanImport
) -> None:
    _edit(world, record, {"op": "task", "path": "二.(二).3", "lead": ["市知识产权局"]})
    _edit(world, record, {"op": "task", "path": "二.(一).1", "title": "培育高价值专利组合(改)"})
    # the stored text is read differently now (as after a parser upgrade): task 3 is gone
    PlanImport.objects.filter(pk=record.pk).update(
        source_text=record.source_text.replace(
            "3. 开展知识产权执法专项行动,严厉打击侵权假冒行为。(市公安局、市文旅局)", ""
        )
    )
    client.force_login(world.users["bureau"])
    page = client.get(reverse("tasks:import_preview", args=[record.pk])).content.decode()
    assert "以下修改无法应用到当前解析结果" in page and "培育高价值专利组合(改)" in page
    refused = client.post(reverse("tasks:import_preview", args=[record.pk]), {"region": world.city.pk})
    assert refused.status_code == 400 and "无法应用到当前解析结果" in refused.content.decode()
    assert not Plan.objects.filter(imports=record).exists()
    record.refresh_from_db()
    with pytest.raises(Exception, match="只能放弃"):
        _edit(world, record, {"op": "forget", "index": 1})  # an edit that still applies stays
    client.post(
        reverse("tasks:import_edit", args=[record.pk]),
        {"op": "forget", "index": "0", "version": str(record.version)},
    )
    record.refresh_from_db()
    assert [op["path"] for op in record.edits] == ["二.(一).1"]
    assert "forget 二.(二).3" in record.history.first().history_change_reason  # type: ignore[attr-defined]
    done = client.post(reverse("tasks:import_preview", args=[record.pk]), {"region": world.city.pk})
    assert done.status_code == 302
    assert Plan.objects.get(imports=record).tasks.get(path="二.(一).1").title == "培育高价值专利组合(改)"
