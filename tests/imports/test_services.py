"""The import services: deadlines, region inference, department mapping, commit and re-import."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from departments.models import Department, DepartmentAlias
from planparser import parse_text
from planparser.dates import deadline_to_date
from tasks.choices import TaskStatus
from tasks.models import Plan, ProgressReport, Task
from tasks.services import progress_report_submit, task_update_progress
from tasks.services.imports.commit import plan_import_commit
from tasks.services.imports.mapping import resolve_departments
from tasks.services.imports.preview import import_preview, infer_region
from tasks.services.imports.reimport import plan_reimport_apply

from ..conftest import World
from ..factories import imported_plan
from .docs import PLAN_V1, PLAN_V2

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026年6月底前", dt.date(2026, 6, 30)),
        ("2027年2月", dt.date(2027, 2, 28)),
        ("2026年12月31日前完成", dt.date(2026, 12, 31)),
        ("2025年", dt.date(2025, 12, 31)),
        ("2025年启动,2026年9月完成", dt.date(2026, 9, 30)),
        ("长期坚持", None),
        ("2026年13月", None),
        (None, None),
    ],
)
def test_deadline_to_date(text: str | None, expected: dt.date | None) -> None:
    assert deadline_to_date(text) == expected


def test_region_inferred_from_issuer(world: World) -> None:
    region, _ = infer_region(parse_text(PLAN_V1))
    assert region == world.city


def test_region_not_inferred_lists_nothing_or_candidates(world: World) -> None:
    parsed = parse_text(PLAN_V1.replace("东莞市", "某市").replace("东府办", "某府办"))
    region, candidates = infer_region(parsed)
    assert region is None and candidates == []


def commit(world: World) -> Plan:
    """PLAN_V1 imported by the bureau, its unknown departments created (as the import page does)."""
    return imported_plan(world.city, PLAN_V1, actor=world.users["bureau"])


def test_preview_lists_unknown_departments_and_writes_nothing(world: World) -> None:
    before = (Plan.objects.count(), Department.objects.count())
    preview = import_preview(parsed=parse_text(PLAN_V1), region=world.city)
    assert sorted(r.name for r in preview.unresolved) == ["市公安局", "市文旅局"]
    assert preview.resolutions["市知识产权局"].department is not None
    assert (Plan.objects.count(), Department.objects.count()) == before


def test_unresolved_departments_refuse_the_commit(world: World) -> None:
    preview = import_preview(parsed=parse_text(PLAN_V1), region=world.city)
    with pytest.raises(ValidationError) as caught:
        resolve_departments(actor=world.users["bureau"], region=world.city, resolutions=preview.resolutions)
    assert caught.value.code == "unresolved_departments"
    assert caught.value.params == {"names": ["市公安局", "市文旅局"]}


def test_mapping_saves_alias_and_creates_the_rest(world: World) -> None:
    preview = import_preview(parsed=parse_text(PLAN_V1), region=world.city)
    departments = resolve_departments(
        actor=world.users["bureau"],
        region=world.city,
        resolutions=preview.resolutions,
        mapping={"市文旅局": world.other_dept.pk},
        save_aliases=True,
        create_names=["市公安局"],
    )
    assert departments["市文旅局"] == world.other_dept
    assert DepartmentAlias.objects.filter(name="市文旅局", department=world.other_dept).exists()
    assert Department.objects.filter(region=world.city, name="市公安局").exists()


def test_mapping_to_another_citys_department_is_refused(world: World) -> None:
    preview = import_preview(parsed=parse_text(PLAN_V1), region=world.city)
    with pytest.raises(ValidationError):
        resolve_departments(
            actor=world.users["bureau"],
            region=world.city,
            resolutions=preview.resolutions,
            mapping={"市文旅局": world.foreign_dept.pk, "市公安局": world.other_dept.pk},
        )


def test_commit_writes_the_whole_plan(world: World) -> None:
    plan = commit(world)
    assert plan.doc_number == "东府办〔2026〕7号" and plan.issued_on == dt.date(2026, 1, 5)
    paths = list(plan.tasks.order_by("order").values_list("path", flat=True))
    assert paths == ["二.(一).1", "二.(一).2", "二.(二).3"]
    task2 = plan.tasks.get(path="二.(一).2")
    assert set(task2.assignments.values_list("department__name", "role")) == {
        ("市财政局", "lead"),
        ("市科技局", "responsible"),
    }
    assert task2.section is not None and task2.section.path == "二.(一)"
    assert plan.sections.filter(path="二").exists()
    assert plan.indicators.filter(target_value=8000, unit="件").exists()
    history = task2.history.latest()
    assert history.history_user == world.users["bureau"]


def test_commit_is_all_or_nothing(world: World) -> None:
    parsed = parse_text(PLAN_V1)
    preview = import_preview(parsed=parsed, region=world.city)
    departments = resolve_departments(
        actor=None, region=world.city, resolutions=preview.resolutions, create_missing=True
    )
    departments["市文旅局"] = world.foreign_dept  # another city's department fails the third task
    before = (Plan.objects.count(), Task.objects.count())
    with pytest.raises(ValidationError):
        plan_import_commit(
            actor=world.users["bureau"], parsed=parsed, region=world.city, departments=departments
        )
    assert (Plan.objects.count(), Task.objects.count()) == before


def test_reimport_applies_the_diff_and_keeps_unchanged_tasks(world: World) -> None:
    plan = commit(world)
    task1 = plan.tasks.get(path="二.(一).1")
    head = world.users["head"]
    task_update_progress(actor=head, task=task1, expected_version=1, progress=60)
    progress_report_submit(actor=head, task=task1, text="已完成专利布局", percent=60, period="2026-01")
    history_before = task1.history.count()

    parsed = parse_text(PLAN_V2)
    preview = import_preview(parsed=parsed, region=world.city, replaces=plan)
    assert preview.diff is not None
    assert preview.diff.added == ["二.(二).4"]
    assert preview.diff.removed == ["二.(二).3"]
    assert [c.path for c in preview.diff.changed] == ["二.(一).2"]
    assert "title" in preview.diff.changed[0].fields
    departments = resolve_departments(actor=None, region=world.city, resolutions=preview.resolutions)
    diff = plan_reimport_apply(actor=world.users["bureau"], plan=plan, parsed=parsed, departments=departments)
    assert diff.unchanged == 1

    task1.refresh_from_db()
    assert (task1.progress, task1.status, task1.version) == (60, TaskStatus.IN_PROGRESS, 2)
    assert task1.history.count() == history_before
    assert ProgressReport.objects.filter(task=task1).count() == 1
    assert plan.tasks.get(path="二.(一).2").title.startswith("修订知识产权资助办法")
    assert plan.tasks.get(path="二.(二).3").status == TaskStatus.CANCELLED
    added = plan.tasks.get(path="二.(二).4")
    assert set(added.assignments.values_list("department__name", flat=True)) == {"市知识产权局", "市公安局"}
