"""``manage.py import_plan``: JSON to stdout and nothing else, nothing written without --commit."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from departments.models import Department
from tasks.models import Plan

from ..conftest import World
from ..parser.test_seeds import SEED_KEYS
from .docs import PLAN_V1

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_plan", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "plan.txt"
    path.write_text(PLAN_V1, encoding="gb18030")  # the command detects the encoding
    return path


def test_json_is_the_seed_schema_and_writes_nothing(world: World, doc: Path) -> None:
    out, _ = run(str(doc), "--json")
    data = json.loads(out)
    assert set(data) >= set(SEED_KEYS)
    assert data["doc_number"] == "东府办〔2026〕7号"
    assert [t["path"] for t in data["tasks"]] == ["二.(一).1", "二.(一).2", "二.(二).3"]
    assert data["tasks"][0]["lead"] == ["市科技局"] and data["tasks"][0]["responsible"] == ["市知识产权局"]
    assert Plan.objects.count() == 2  # the world's two plans only


def test_commit_with_unknown_departments_fails_and_lists_them(world: World, doc: Path) -> None:
    with pytest.raises(CommandError) as caught:
        run(str(doc), "--commit")
    assert "市公安局" in str(caught.value) and "市文旅局" in str(caught.value)
    assert Plan.objects.count() == 2


def test_commit_with_create_departments(world: World, doc: Path) -> None:
    _, err = run(str(doc), "--commit", "--create-departments")
    assert "imported plan" in err
    plan = Plan.objects.get(doc_number="东府办〔2026〕7号")
    assert plan.region == world.city  # inferred from the issuer
    assert Department.objects.filter(region=world.city, name="市文旅局").exists()


def test_region_that_cannot_be_inferred_is_asked_for(world: World, tmp_path: Path) -> None:
    path = tmp_path / "nowhere.txt"
    path.write_text(PLAN_V1.replace("东莞市", "某市").replace("东府办", "某府办"), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run(str(path), "--commit")
    assert "--region" in str(caught.value)
    _, err = run(str(path), "--commit", "--region", "441900", "--create-departments")
    assert "imported plan" in err


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.txt", b""),
        ("binary.txt", bytes(range(256)) * 20),
        ("plan.odt", b"PK\x03\x04zz"),
        ("none.txt", "没有任何任务的一段文字。".encode()),
    ],
)
def test_bad_input_exits_non_zero_with_a_message(
    world: World, tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError) as caught:
        run(str(path), "--json")
    assert caught.value.returncode == 2
    assert str(caught.value).startswith(name)
    assert Plan.objects.count() == 2


def test_missing_file(world: World) -> None:
    with pytest.raises(CommandError):
        run("/nonexistent/plan.docx")


def test_image_only_pdf_and_oversized_file(world: World, tmp_path: Path) -> None:
    from tests.parser.pdfgen import make_image_pdf

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(make_image_pdf())
    with pytest.raises(CommandError) as caught:
        run(str(scan), "--commit", "--create-departments")
    assert "OCR" in str(caught.value) or "文字层" in str(caught.value)

    huge = tmp_path / "huge.txt"
    with huge.open("wb") as out:  # 50 MB, written in pieces
        chunk = ("1. 任务。(市科技局)\n" * 1000).encode()
        while out.tell() < 50 * 1024 * 1024:
            out.write(chunk)
    with pytest.raises(CommandError) as caught:
        run(str(huge), "--json")
    assert caught.value.returncode == 2
    assert Plan.objects.count() == 2


def test_docx_with_a_task_table_commits(world: World, tmp_path: Path) -> None:
    from tests.parser.helpers import docx_bytes

    path = tmp_path / "table.docx"
    path.write_bytes(
        docx_bytes(
            [
                "东莞市人民政府办公室关于印发东莞市专利提升行动方案的通知",
                "东莞市专利提升行动方案",
                "一、重点任务",
            ],
            table=[
                ["序号", "任务", "牵头单位", "责任单位", "完成时限"],
                ["1", "建设专利导航服务基地", "市科技局", "市财政局", "2026年12月底前"],
                ["2", "开展专利质量提升行动", "市知识产权局", "市科技局", "2027年6月"],
            ],
        )
    )
    _, err = run(str(path), "--commit")
    assert "imported plan" in err
    plan = Plan.objects.get(title="东莞市专利提升行动方案")
    first = plan.tasks.order_by("order").first()
    assert first is not None and first.due_date is not None and first.due_date.isoformat() == "2026-12-31"
    assert set(first.assignments.values_list("department__name", "role")) == {
        ("市科技局", "lead"),
        ("市财政局", "responsible"),
    }
