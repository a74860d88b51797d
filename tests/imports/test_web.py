"""Importing in the browser and through the API: preview, map, commit; bad input writes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from departments.models import DepartmentAlias
from tasks.models import Plan, PlanImport

from ..conftest import World
from .docs import PLAN_V1, PLAN_V2

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau(client: Client, world: World) -> Client:
    client.force_login(world.users["bureau"])
    return client


def test_upload_preview_map_commit(bureau: Client, world: World) -> None:
    upload = SimpleUploadedFile("方案.txt", PLAN_V1.encode("gb18030"), content_type="text/plain")
    response = bureau.post(reverse("tasks:import_start"), {"file": upload})
    assert response.status_code == 302
    record = PlanImport.objects.get()
    page = bureau.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "东莞市知识产权强市建设工作方案" in body and "二.(一).2" in body
    assert "市公安局" in body and "市文旅局" in body  # unknown names listed for mapping
    assert Plan.objects.count() == 2  # nothing written by the preview

    form = {
        "region": world.city.pk,
        "save_aliases": "on",
        "map_0": "__create__",
        "map_1": str(world.other_dept.pk),
    }
    committed = bureau.post(reverse("tasks:import_preview", args=[record.pk]), form)
    assert committed.status_code == 302, committed.content.decode()[:3000]
    plan = Plan.objects.get(doc_number="东府办〔2026〕7号")
    assert committed["Location"] == reverse("tasks:plan_detail", args=[plan.pk])
    assert DepartmentAlias.objects.filter(name="市文旅局", department=world.other_dept).exists()
    detail = bureau.get(committed["Location"] + "?view=table").content.decode()  # the table lists tasks
    assert "培育高价值专利组合" in detail
    record.refresh_from_db()
    assert record.state == "committed" and record.plan == plan


def test_pasted_text_and_reimport_diff(bureau: Client, world: World) -> None:
    bureau.post(reverse("tasks:import_start"), {"text": PLAN_V1})
    record = PlanImport.objects.get()
    form = {"region": world.city.pk, "map_0": "__create__", "map_1": "__create__"}
    bureau.post(reverse("tasks:import_preview", args=[record.pk]), form)
    plan = Plan.objects.get(doc_number="东府办〔2026〕7号")

    response = bureau.post(reverse("tasks:plan_reimport", args=[plan.pk]), {"text": PLAN_V2})
    revised = PlanImport.objects.exclude(pk=record.pk).get()
    page = bureau.get(response["Location"]).content.decode()
    assert "二.(二).4" in page and "二.(二).3" in page and "修订知识产权资助办法" in page
    done = bureau.post(reverse("tasks:import_preview", args=[revised.pk]), {})
    assert done.status_code == 302
    assert plan.tasks.get(path="二.(二).3").status == "cancelled"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "请上传方案文件或粘贴方案全文"),
        ({"text": "这是一段没有编号任务的文字。"}, "未能在文档中识别出任何任务"),
        ({"file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)}, "不支持的文件类型"),
        ({"file": SimpleUploadedFile("x.txt", b"")}, ""),
        ({"file": SimpleUploadedFile("x.html", b"<html><body><div><p>unclosed")}, ""),
    ],
)
def test_bad_input_is_explained_and_writes_nothing(bureau: Client, data: dict, message: str) -> None:
    response = bureau.post(reverse("tasks:import_start"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "is-invalid" in response.content.decode() or "alert-danger" in response.content.decode()
    assert PlanImport.objects.count() == 0


def test_file_over_the_limit_is_refused(bureau: Client, settings) -> None:
    big = SimpleUploadedFile("big.txt", b"a" * (20 * 1024 * 1024 + 1))
    response = bureau.post(reverse("tasks:import_start"), {"file": big})
    assert response.status_code == 400
    assert "文件过大" in response.content.decode()
    assert PlanImport.objects.count() == 0


@pytest.mark.parametrize("username", ["staff", "head", "leader"])
def test_only_the_bureau_imports(client: Client, world: World, username: str) -> None:
    client.force_login(world.users[username])
    assert client.get(reverse("tasks:import_start")).status_code == 403
    assert client.post(reverse("tasks:import_start"), {"text": PLAN_V1}).status_code == 403


def test_anothers_import_is_not_found(bureau: Client, world: World) -> None:
    bureau.post(reverse("tasks:import_start"), {"text": PLAN_V1})
    record = PlanImport.objects.get()
    other = Client()
    other.force_login(world.users["province"])
    assert other.get(reverse("tasks:import_preview", args=[record.pk])).status_code == 404


def test_api_preview_then_commit(bureau: Client, world: World) -> None:
    response = bureau.post("/api/v1/imports/", {"text": PLAN_V1, "region": "441900"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["plan"]["doc_number"] == "东府办〔2026〕7号"
    assert sorted(body["unresolved"]) == ["市公安局", "市文旅局"]
    assert body["region"]["code"] == "441900"
    assert Plan.objects.count() == 2

    refused = bureau.post(f"/api/v1/imports/{body['id']}/commit/", {}, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["code"] == "unresolved_departments"
    assert Plan.objects.count() == 2

    commit = bureau.post(
        f"/api/v1/imports/{body['id']}/commit/",
        {"mapping": {"市文旅局": world.other_dept.pk}, "create": ["市公安局"]},
        content_type="application/json",
    )
    assert commit.status_code == 201, commit.content
    assert commit.json()["plan"]["tasks"] == 3


def test_api_file_upload_and_errors(bureau: Client, world: World) -> None:
    ok = bureau.post("/api/v1/imports/", {"file": SimpleUploadedFile("p.txt", PLAN_V1.encode("utf-16"))})
    assert ok.status_code == 201
    assert ok.json()["region"]["name"] == "东莞市"  # inferred
    empty = bureau.post("/api/v1/imports/", {"file": SimpleUploadedFile("p.txt", b"")})
    assert empty.status_code == 422 and empty.json()["code"] == "empty"
    missing = bureau.post("/api/v1/imports/", {})
    assert missing.status_code == 400
    assert PlanImport.objects.count() == 1


def test_api_requires_the_import_permission(client: Client, world: World) -> None:
    assert client.post("/api/v1/imports/", {"text": PLAN_V1}).status_code == 401  # no credentials
    client.force_login(world.users["staff"])
    assert client.post("/api/v1/imports/", {"text": PLAN_V1}).status_code == 403


def test_document_of_a_region_outside_the_users_scope(bureau: Client, world: World) -> None:
    text = PLAN_V1.replace("东莞市", "珠海市").replace("东府办", "珠府办")
    bureau.post(reverse("tasks:import_start"), {"text": text})
    record = PlanImport.objects.get()
    page = bureau.get(reverse("tasks:import_preview", args=[record.pk])).content.decode()
    assert "不在您的管辖范围" in page
    refused = bureau.post(reverse("tasks:import_preview", args=[record.pk]), {})
    assert refused.status_code == 400
    assert "请选择方案所属的行政区划" in refused.content.decode()
    assert not Plan.objects.filter(doc_number__startswith="珠府办").exists()
