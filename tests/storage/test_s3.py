"""Evidence files and import files in an S3-compatible object store (moto's server on loopback).

The default storage points at a fresh bucket of a real S3-protocol server; every request goes
through the pages and the REST API as the users would send it.
"""

from __future__ import annotations

import hashlib
import urllib.parse
import urllib.request
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tasks.jobs import import_parse
from tasks.models import Attachment, PlanImport

from ..conftest import World
from ..factories import client_for
from ..imports.files import docx_bytes
from ..workflow.helpers import PDF, png_bytes
from .conftest import S3

pytestmark = pytest.mark.django_db

TEXT = "第一季度专利申报进展说明:已完成。\n".encode() * 20


def signed_in(world: World, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def upload_through_the_page(world: World) -> list[Attachment]:
    response = signed_in(world, "staff").post(
        reverse("tasks:report_submit", args=[world.task.pk]),
        {
            "text": "已完成申报",
            "percent": "40",
            "period": "2026-11",
            "files": [
                SimpleUploadedFile("进展说明.txt", TEXT, "text/plain"),
                SimpleUploadedFile("照片.png", png_bytes(), "image/png"),
            ],
        },
    )
    assert response.status_code == 302, response.content[:500]
    return list(Attachment.objects.order_by("pk"))


def test_evidence_uploaded_through_the_page_lands_in_the_bucket_and_streams_back(
    world: World, s3: S3
) -> None:
    attachments = upload_through_the_page(world)
    assert [a.original_name for a in attachments] == ["进展说明.txt", "照片.png"]
    # the objects are in the bucket under generated names, byte for byte
    assert s3.objects("attachments/") == sorted(a.file.name for a in attachments)
    assert s3.read(attachments[0].file.name) == TEXT
    assert hashlib.sha256(s3.read(attachments[1].file.name)).hexdigest() == attachments[1].digest

    for who in ("staff", "bureau", "province"):
        response = signed_in(world, who).get(reverse("tasks:attachment", args=[attachments[0].pk]))
        assert response.status_code == 200, who
        assert body_of(response) == TEXT
        assert response["Content-Disposition"].startswith("attachment;")
        assert "no-store" in response["Cache-Control"]
        assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("who", ["foreign_staff", "other_bureau"])
def test_a_user_outside_the_scope_gets_nothing(world: World, s3: S3, who: str) -> None:
    attachment = upload_through_the_page(world)[0]
    page = signed_in(world, who).get(reverse("tasks:attachment", args=[attachment.pk]))
    assert page.status_code in (403, 404)
    assert TEXT not in body_of(page)
    api = client_for(world.users[who]).get(f"/api/v1/attachments/{attachment.pk}/download/")
    assert api.status_code in (403, 404)
    assert "Location" not in api


def test_evidence_uploaded_through_the_api_and_downloaded(world: World, s3: S3) -> None:
    staff = client_for(world.users["staff"])
    response = staff.post(
        f"/api/v1/tasks/{world.task.pk}/reports/",
        {
            "text": "已提交证明材料",
            "percent": "60",
            "period": "2026-11",
            "files": [SimpleUploadedFile("证明.pdf", PDF, "application/pdf")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content[:500]
    attachment = Attachment.objects.get()
    assert s3.objects() == [attachment.file.name] and s3.read(attachment.file.name) == PDF

    download = client_for(world.users["bureau"]).get(f"/api/v1/attachments/{attachment.pk}/download/")
    assert download.status_code == 200
    assert body_of(download) == PDF
    assert "no-store" in download["Cache-Control"]
    assert "attachment;" in download["Content-Disposition"]


def test_an_object_changed_in_the_bucket_is_refused(world: World, s3: S3) -> None:
    attachment = upload_through_the_page(world)[0]
    s3.client.put_object(
        Bucket=s3.bucket, Key=attachment.file.name, Body=TEXT.replace("已".encode(), "未".encode())
    )
    response = signed_in(world, "bureau").get(reverse("tasks:attachment", args=[attachment.pk]))
    assert response.status_code == 409
    s3.client.delete_object(Bucket=s3.bucket, Key=attachment.file.name)
    api = client_for(world.users["bureau"]).get(f"/api/v1/attachments/{attachment.pk}/download/")
    assert api.status_code == 409 and api.json()["code"] == "attachment_integrity"


def test_presigned_downloads_are_issued_only_after_the_permission_check(
    world: World, s3: S3, settings: Any
) -> None:
    settings.IPPLAN_DOWNLOADS = "presigned"
    attachment = upload_through_the_page(world)[1]
    response = signed_in(world, "bureau").get(reverse("tasks:attachment", args=[attachment.pk]))
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    url = response["Location"]
    assert url.startswith(f"{s3.endpoint}/{s3.bucket}/{attachment.file.name}?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["60"] and "X-Amz-Signature" in query
    assert query["response-content-disposition"][0].startswith("attachment;")
    assert query["response-cache-control"] == ["private, no-store"]
    with urllib.request.urlopen(url, timeout=10) as fetched:
        assert fetched.read() == png_bytes()

    api = client_for(world.users["staff"]).get(f"/api/v1/attachments/{attachment.pk}/download/")
    assert api.status_code == 302 and api["Location"].startswith(f"{s3.endpoint}/{s3.bucket}/")
    # outside the scope: refused before any URL is signed
    outsider = signed_in(world, "foreign_staff").get(reverse("tasks:attachment", args=[attachment.pk]))
    assert outsider.status_code in (403, 404) and "Location" not in outsider
    # a missing object is refused (409) instead of a URL that answers 404
    s3.client.delete_object(Bucket=s3.bucket, Key=attachment.file.name)
    gone = signed_in(world, "bureau").get(reverse("tasks:attachment", args=[attachment.pk]))
    assert gone.status_code == 409 and "Location" not in gone


def test_the_bucket_is_not_public(world: World, s3: S3) -> None:
    attachment = upload_through_the_page(world)[0]
    unsigned = f"{s3.endpoint}/{s3.bucket}/{attachment.file.name}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)
    assert refused.value.code == 403


def test_an_import_file_waits_in_the_bucket_for_the_job(
    world: World, s3: S3, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.IPPLAN_IMPORT_INLINE_BYTES = 1000  # every file goes to the job
    data = docx_bytes()
    bureau = signed_in(world, "bureau")
    response = bureau.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("方案.docx", data), "region": "441900"}
    )
    assert response.status_code == 202, response.content[:500]
    record = PlanImport.objects.get(pk=response.json()["id"])
    assert record.upload_file.name.startswith("imports/")
    assert s3.objects("imports/") == [record.upload_file.name]
    assert s3.read(record.upload_file.name) == data

    with django_capture_on_commit_callbacks(execute=True):
        assert import_parse(record.pk) == "read"
    record.refresh_from_db()
    assert record.state == "previewed" and not record.upload_file
    assert s3.objects("imports/") == []  # deleted once read
    preview = bureau.get(response.json()["status_url"]).json()
    assert preview["state"] == "previewed" and len(preview["plan"]["tasks"]) == 3


def test_readyz_heads_the_bucket(client: Client, s3: S3) -> None:
    ready = client.get("/readyz").json()
    assert ready["checks"]["storage"].startswith("ok")
    s3.client.delete_bucket(Bucket=s3.bucket)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert "storage" in body["failed"] and body["checks"]["storage"] == "failed (ClientError)"
    assert s3.bucket not in response.content.decode()
