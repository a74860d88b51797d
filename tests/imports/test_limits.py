"""Resource limits on imported files (issue 11 hole 4): zip bombs, XML tricks, time, memory; big
files read by a job that reports progress and ends with a clear error; each file read once."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from planparser import ParseError
from planparser.limits import ArchiveLimits, check_archive, run_limited
from planparser.reading import read_document_limited
from tasks.jobs import import_parse
from tasks.models import Plan, PlanImport
from tasks.services.imports import session

from ..conftest import World
from .docs import PLAN_V1
from .files import BILLION_LAUGHS, big_xlsx, bomb_docx, deep_xml, docx_bytes, docx_with_xml

MB = 1024 * 1024


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return bomb_docx()


@pytest.fixture
def bureau(client: Client, world: World) -> Client:
    client.force_login(world.users["bureau"])
    return client


# --- the archive checks ---------------------------------------------------------------------------
def test_bomb_is_refused_before_any_reader_opens_it(bomb: bytes) -> None:
    assert len(bomb) < 4 * MB  # small on the wire, 1.5 GB unpacked
    started = time.monotonic()
    with pytest.raises(ParseError) as caught:
        check_archive(bomb)
    assert caught.value.code == "too_large_unpacked"
    print(f"\n1.5 GB docx bomb ({len(bomb) / MB:.1f} MB) refused in {time.monotonic() - started:.3f} s")


def test_a_lying_size_header_does_not_help() -> None:
    data = bomb_docx(unpacked_mb=30)
    # the real bytes are counted as they come out, whatever the headers claim
    with pytest.raises(ParseError) as caught:
        check_archive(data, ArchiveLimits(max_unpacked_bytes=10 * MB))
    assert caught.value.code == "too_large_unpacked"


@pytest.mark.parametrize(
    ("xml", "code"),
    [(BILLION_LAUGHS, "unsafe_xml"), (deep_xml(400), "unsafe_xml"), ("<w:document><w:body>", "malformed")],
)
def test_entities_depth_and_broken_xml_are_refused(xml: str, code: str) -> None:
    with pytest.raises(ParseError) as caught:
        check_archive(docx_with_xml(xml))
    assert caught.value.code == code
    assert caught.value.message_zh and "{" not in caught.value.message_zh


def test_too_many_entries() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<a/>")
        for i in range(60):
            archive.writestr(f"word/media/{i}.bin", b"x")
    with pytest.raises(ParseError) as caught:
        check_archive(buffer.getvalue(), ArchiveLimits(max_entries=50))
    assert caught.value.code == "too_many_parts"


def test_a_real_docx_passes_and_is_read() -> None:
    text, parsed, usage = read_document_limited(docx_bytes(), "方案.docx", seconds=30, memory_bytes=512 * MB)
    assert "东府办〔2026〕7号" in text and len(parsed.tasks) == 3
    assert usage.peak_rss_bytes > 0


# --- the child process -----------------------------------------------------------------------------
def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "late"


def _allocate(megabytes: int) -> int:
    block = bytearray(megabytes * MB)
    return len(block)


def test_the_deadline_kills_the_child() -> None:
    started = time.monotonic()
    with pytest.raises(ParseError) as caught:
        run_limited(_sleep, 30, seconds=1, memory_bytes=None)
    assert caught.value.code == "too_slow"
    assert time.monotonic() - started < 10


def test_the_memory_cap_stops_the_child_not_the_worker() -> None:
    with pytest.raises(ParseError) as caught:
        run_limited(_allocate, 2048, seconds=30, memory_bytes=300 * MB)
    assert caught.value.code == "too_much_memory"
    usage = caught.value.usage  # type: ignore[attr-defined]
    print(f"\nallocating 2 GB under a 300 MB cap: child peak {usage.peak_rss_bytes / MB:.0f} MB")
    assert usage.peak_rss_bytes < 512 * MB
    assert run_limited(_allocate, 16, seconds=30, memory_bytes=300 * MB)[0] == 16 * MB


# --- through the browser and the API ---------------------------------------------------------------
def _run_job(record: PlanImport) -> PlanImport:
    import_parse(record.pk)
    record.refresh_from_db()
    return record


def test_api_bomb_goes_to_a_job_that_ends_with_a_clear_error(bureau: Client, bomb: bytes) -> None:
    plans = Plan.objects.count()
    response = bureau.post("/api/v1/imports/", {"file": SimpleUploadedFile("bomb.docx", bomb)})
    assert response.status_code == 202, response.content[:500]
    body = response.json()
    assert body["state"] == "parsing" and body["progress"] == 0
    assert response["Location"] == body["status_url"] and body["status_url"].endswith(
        f"/imports/{body['id']}/"
    )
    record = _run_job(PlanImport.objects.get(pk=body["id"]))
    assert record.state == "failed" and not record.upload_file
    status = bureau.get(body["status_url"], HTTP_ACCEPT_LANGUAGE="en").json()
    assert status["state"] == "failed" and status["error_code"] == "too_large_unpacked"
    assert "zip bomb" in status["error"]
    peak = record.error["peak_rss_mb"]
    print(f"\n1.5 GB docx bomb through the job: refused in {record.error['seconds']} s, child peak {peak} MB")
    assert peak < 512
    assert Plan.objects.count() == plans
    assert import_parse(record.pk) == "skipped"  # idempotent


def test_big_xlsx_ends_properly_under_the_memory_cap(bureau: Client) -> None:
    data = big_xlsx(17.5)
    assert len(data) > 17 * MB
    with override_settings(IPPLAN_IMPORT_JOB_SECONDS=20):
        response = bureau.post("/api/v1/imports/", {"file": SimpleUploadedFile("分解表.xlsx", data)})
        assert response.status_code == 202
        record = PlanImport.objects.get(pk=response.json()["id"])
        started = time.monotonic()
        record = _run_job(record)
    # either it was read (a table of tasks) or it was refused with a reason; never a crash
    assert record.state in ("previewed", "failed"), record.state
    if record.state == "failed":
        assert record.error["code"] in ("too_slow", "too_much_memory", "too_large_unpacked", "no_tasks")
        peak = record.error.get("peak_rss_mb")
    else:
        _text, _parsed, usage = read_document_limited(data, "分解表.xlsx", seconds=60, memory_bytes=512 * MB)
        peak = usage.peak_rss_bytes >> 20
    print(
        f"\n17.5 MB xlsx ({len(data) / MB:.1f} MB): {record.state} {record.error.get('code', '')} "
        f"after {time.monotonic() - started:.1f} s, child peak {peak} MB"
    )
    assert peak is not None and peak < 512


def test_truncated_xlsx_gets_a_clear_4xx_and_writes_nothing(bureau: Client) -> None:
    whole = big_xlsx(0.2)
    response = bureau.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("t.xlsx", whole[: len(whole) // 2])}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "malformed"
    assert not PlanImport.objects.exists()


def test_api_upload_over_5_mb_is_read_by_the_job(bureau: Client, world: World) -> None:
    data = docx_bytes(PLAN_V1, pad_bytes=6 * MB)  # spooled to a temporary file by Django
    response = bureau.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("方案.docx", data), "region": "441900"}
    )
    assert response.status_code == 202, response.content[:500]
    record = _run_job(PlanImport.objects.get(pk=response.json()["id"]))
    assert record.state == "previewed" and not record.upload_file
    preview = bureau.get(response.json()["status_url"]).json()
    assert preview["state"] == "previewed" and len(preview["plan"]["tasks"]) == 3


def test_each_upload_is_read_once(bureau: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = session.read_document_limited

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(session, "read_document_limited", counting)
    response = bureau.post("/api/v1/imports/", {"file": SimpleUploadedFile("方案.docx", docx_bytes())})
    assert response.status_code == 201
    assert calls == ["方案.docx"]


def test_browser_big_file_shows_progress_then_the_error(bureau: Client, bomb: bytes) -> None:
    response = bureau.post(reverse("tasks:import_start"), {"file": SimpleUploadedFile("bomb.docx", bomb)})
    record = PlanImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "tasks:import_status", args=[record.pk]
    )
    page = bureau.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page and "<script>" not in page
    _run_job(record)
    page = bureau.get(reverse("tasks:import_status", args=[record.pk])).content.decode()
    assert "压缩炸弹" in page and "hx-trigger" not in page
    assert bureau.get(reverse("tasks:import_preview", args=[record.pk])).status_code == 302


def test_browser_big_valid_file_polls_into_the_preview(bureau: Client) -> None:
    data = docx_bytes(PLAN_V1, pad_bytes=2 * MB)
    bureau.post(reverse("tasks:import_start"), {"file": SimpleUploadedFile("方案.docx", data)})
    record = _run_job(PlanImport.objects.get())
    polled = bureau.get(reverse("tasks:import_status", args=[record.pk]), HTTP_HX_REQUEST="true")
    assert polled["HX-Redirect"] == reverse("tasks:import_preview", args=[record.pk])
    assert "培育高价值专利组合" in bureau.get(polled["HX-Redirect"]).content.decode()


def test_the_child_reports_progress_to_the_job(bureau: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    _text, parsed, _usage = read_document_limited(
        docx_bytes(), "方案.docx", seconds=30, memory_bytes=512 * MB, on_progress=seen.append
    )
    assert seen == [20, 70] and len(parsed.tasks) == 3
    recorded: list[tuple[int, int]] = []
    real = session._progress

    def spy(import_id: int, percent: int) -> None:
        real(import_id, percent)
        recorded.append((percent, PlanImport.objects.get(pk=import_id).progress))

    monkeypatch.setattr(session, "_progress", spy)
    data = docx_bytes(PLAN_V1, pad_bytes=2 * MB)
    response = bureau.post("/api/v1/imports/", {"file": SimpleUploadedFile("方案.docx", data)})
    record = _run_job(PlanImport.objects.get(pk=response.json()["id"]))
    # each step was stored (and committed) while the child was still reading
    assert recorded == [(20, 20), (70, 70)] and record.progress == 100
