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
    assert set(data) >= {
        "title",
        "doc_number",
        "issuer",
        "issued_on",
        "period",
        "sections",
        "tasks",
        "indicators",
        "phases",
    }
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
