"""Issue 11, hole 5: evidence is append-only and verified when served.

The bureau could replace an evidence file and rewrite a report in the admin; the department then
downloaded a "PDF" that was HTML. Now: no one changes or deletes a submitted report or its files,
a correction is a new version, attachments have history, and a file whose bytes no longer match
its recorded digest, size or type is refused with a clear message and logged.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import Attachment, ProgressReport
from tasks.services import progress_report_submit
from tasks.services.evidence import progress_report_correct
from tests.conftest import World
from tests.workflow.helpers import GIF, PDF, upload

from .helpers import post_data

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(1)</script>not a PDF</body></html>\n"


def _report(world: World, *files: tuple[str, bytes]) -> ProgressReport:
    return progress_report_submit(
        actor=world.users["staff"],
        task=world.task,
        text="完成调研",
        percent=40,
        period="2026-11",
        attachments=[upload(name, data) for name, data in files],
    )


def _stored(attachment: Attachment, media: Path) -> Path:
    return media / (attachment.file.name or "")


def test_a_file_replaced_on_disk_is_refused_and_logged(
    client: Client, world: World, media: Path, caplog: pytest.LogCaptureFixture
) -> None:
    report = _report(world, ("报告.pdf", PDF))
    attachment = report.attachments.get()
    client.force_login(world.users["staff"])
    url = reverse("tasks:attachment", args=[attachment.pk])
    assert b"".join(client.get(url).streaming_content) == PDF  # type: ignore[attr-defined]
    _stored(attachment, media).write_bytes(HTML)  # behind the app's back
    with caplog.at_level(logging.ERROR):
        response = client.get(url)
    assert response.status_code == 409
    body = response.content.decode()
    assert "完整性校验" in body and "报告.pdf" in body and "<script>" not in body
    assert any("integrity" in r.getMessage() and str(attachment.pk) in r.getMessage() for r in caplog.records)
    api = client.get(f"/api/v1/attachments/{attachment.pk}/download/")
    assert api.status_code == 409 and api.json()["code"] == "attachment_integrity"


def test_same_size_different_bytes_is_refused(client: Client, world: World, media: Path) -> None:
    report = _report(world, ("报告.pdf", PDF))
    attachment = report.attachments.get()
    tampered = PDF.replace(b"Catalog", b"Catalgo")
    assert len(tampered) == len(PDF)
    _stored(attachment, media).write_bytes(tampered)
    client.force_login(world.users["bureau"])
    assert client.get(reverse("tasks:attachment", args=[attachment.pk])).status_code == 409


def test_the_sniffed_type_must_match_even_with_a_matching_digest(
    client: Client, world: World, media: Path
) -> None:
    """Someone who rewrites the file and its recorded digest still cannot serve HTML as a PDF."""
    report = _report(world, ("报告.pdf", PDF))
    attachment = report.attachments.get()
    _stored(attachment, media).write_bytes(HTML)
    Attachment.objects.filter(pk=attachment.pk).update(
        digest=hashlib.sha256(HTML).hexdigest(), size=len(HTML)
    )
    client.force_login(world.users["staff"])
    assert client.get(reverse("tasks:attachment", args=[attachment.pk])).status_code == 409


def test_a_missing_file_is_refused(client: Client, world: World, media: Path) -> None:
    attachment = _report(world, ("图.gif", GIF)).attachments.get()
    _stored(attachment, media).unlink()
    client.force_login(world.users["staff"])
    assert client.get(reverse("tasks:attachment", args=[attachment.pk])).status_code == 409


def test_sm3_digest_is_stored_with_its_algorithm_and_old_files_stay_verifiable(
    client: Client, world: World, settings: Any
) -> None:
    old = _report(world, ("旧.pdf", PDF)).attachments.get()
    settings.IPPLAN_FILE_DIGEST = "sm3"
    new = _report(world, ("新.gif", GIF)).attachments.get()
    assert (old.digest_algorithm, old.digest) == ("sha256", hashlib.sha256(PDF).hexdigest())
    assert (new.digest_algorithm, new.digest) == ("sm3", hashlib.new("sm3", GIF).hexdigest())
    client.force_login(world.users["staff"])
    for attachment, data in ((old, PDF), (new, GIF)):
        response = client.get(reverse("tasks:attachment", args=[attachment.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == data  # type: ignore[attr-defined]


def test_attachments_have_history(world: World) -> None:
    attachment = _report(world, ("报告.pdf", PDF)).attachments.get()
    record = attachment.history.get()  # type: ignore[attr-defined]
    assert (record.history_type, record.history_user, record.digest) == (
        "+",
        world.users["staff"],
        attachment.digest,
    )


def test_admin_cannot_rewrite_or_delete_a_report_or_replace_a_file(client: Client, world: World) -> None:
    report = _report(world, ("报告.pdf", PDF))
    attachment = report.attachments.get()
    before = (report.text, report.percent, report.author_id, attachment.file.name, attachment.digest)
    for who in ("bureau", "admin"):
        client.force_login(world.users[who])
        url = f"/admin/tasks/progressreport/{report.pk}/change/"
        data = post_data(client, url, report, text="改写的进展", percent=100, author=world.users["bureau"].pk)
        assert client.post(url, data).status_code == 403
        assert (
            client.post(f"/admin/tasks/progressreport/{report.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
        url = f"/admin/tasks/attachment/{attachment.pk}/change/"
        data = post_data(client, url, attachment, original_name="x.pdf")
        data["file"] = upload("报告.pdf", HTML)
        assert client.post(url, data).status_code == 403
        assert (
            client.post(f"/admin/tasks/attachment/{attachment.pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
    report.refresh_from_db()
    attachment.refresh_from_db()
    assert (report.text, report.percent, report.author_id, attachment.file.name, attachment.digest) == before


def test_api_offers_no_change_or_delete_of_reports(client: Client, world: World) -> None:
    report = _report(world)
    client.force_login(world.users["bureau"])
    url = f"/api/v1/reports/{report.pk}/"
    for method in (client.put, client.patch, client.delete):
        assert method(url, data={"text": "改写"}, content_type="application/json").status_code in (403, 405)
    report.refresh_from_db()
    assert report.text == "完成调研"


def test_a_correction_is_a_new_version_and_keeps_the_old_one(client: Client, world: World) -> None:
    report = _report(world, ("报告.pdf", PDF))
    correction = progress_report_correct(
        actor=world.users["head"],
        report=report,
        text="更正:调研已完成并形成报告",
        percent=60,
        attachments=[upload("更正.gif", GIF)],
    )
    old = ProgressReport.objects.get(pk=report.pk)
    assert (old.text, old.percent, old.attachments.count()) == ("完成调研", 40, 1)
    assert correction.supersedes_id == old.pk and correction.period == old.period
    assert correction.attachments.get().original_name == "更正.gif"
    assert correction.history.latest().history_user == world.users["head"]  # type: ignore[attr-defined]
    # only the latest version can be corrected, and only by the reporting department
    with pytest.raises(Exception, match="已被更正"):
        progress_report_correct(actor=world.users["staff"], report=old, text="再改", percent=70)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied from the policy or the service
        progress_report_correct(actor=world.users["other_staff"], report=correction, text="他人", percent=1)
    client.force_login(world.users["staff"])
    page = client.get(reverse("tasks:task_detail", args=[world.task.pk])).content.decode()
    assert "完成调研" in page and "更正:调研已完成并形成报告" in page
    assert page.count("report-superseded") == 1 and page.count("report-correction") == 1


def test_correction_through_the_task_page(client: Client, world: World) -> None:
    report = _report(world, ("报告.pdf", PDF))
    client.force_login(world.users["staff"])
    page = client.get(reverse("tasks:task_detail", args=[world.task.pk])).content.decode()
    assert reverse("tasks:report_correct", args=[report.pk]) in page
    url = reverse("tasks:report_correct", args=[report.pk])
    refused = client.post(url, {"text": " ", "percent": "50"})
    assert refused.status_code == 400 and ProgressReport.objects.count() == 1
    response = client.post(url, {"text": "更正后的进展", "percent": "55", "files": [upload("补.gif", GIF)]})
    assert response.status_code == 302
    correction = ProgressReport.objects.get(supersedes=report)
    assert (correction.text, correction.percent, correction.attachments.count()) == ("更正后的进展", 55, 1)
    assert ProgressReport.objects.get(pk=report.pk).text == "完成调研"
    # another department may not correct it
    client.force_login(world.users["other_staff"])
    assert client.post(
        reverse("tasks:report_correct", args=[correction.pk]), {"text": "x", "percent": "1"}
    ).status_code in (403, 404)
    assert not ProgressReport.objects.filter(supersedes=correction).exists()


def test_api_lists_both_versions_with_the_link_and_the_digest(client: Client, world: World) -> None:
    report = _report(world, ("报告.pdf", PDF))
    correction = progress_report_correct(actor=world.users["staff"], report=report, text="更正", percent=50)
    client.force_login(world.users["bureau"])
    rows = {r["id"]: r for r in client.get("/api/v1/reports/", {"task": world.task.pk}).json()["results"]}
    assert rows[report.pk]["supersedes"] is None and rows[correction.pk]["supersedes"] == report.pk
    attachment = rows[report.pk]["attachments"][0]
    assert (attachment["digest_algorithm"], attachment["digest"]) == (
        "sha256",
        hashlib.sha256(PDF).hexdigest(),
    )
