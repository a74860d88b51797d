"""Evidence files: recognised by content, stored under a generated name, never left behind."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile

from ipplan.exceptions import TransitionError
from tasks.models import Attachment, ProgressReport
from tasks.services import (
    ALLOWED_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    attachment_open,
    attachment_store,
    progress_report_submit,
    report_review,
    validate_upload,
)
from tasks.services import attachments as attachments_module

from ..conftest import World
from .helpers import EXE, GIF, JPEG, PDF, docx_bytes, png_bytes, unchanged, upload, xlsx_bytes, zip_bytes

pytestmark = pytest.mark.django_db


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def submit(world: World, files: list[Any], who: str = "staff") -> ProgressReport:
    return progress_report_submit(
        actor=world.users[who],
        task=world.task,
        text="已完成申报",
        percent=50,
        period="2026-05",
        attachments=files,
    )


# --- recognising files by content -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "ext"),
    [
        ("报告.pdf", PDF, "pdf"),
        ("照片.png", png_bytes(), "png"),
        ("照片.jpeg", JPEG, "jpg"),
        ("动图.gif", GIF, "gif"),
        ("说明.docx", docx_bytes(), "docx"),
        ("台账.xlsx", xlsx_bytes(), "xlsx"),
        ("汇报.pptx", zip_bytes(["[Content_Types].xml", "ppt/presentation.xml"]), "pptx"),
        ("没有扩展名", PDF, "pdf"),
        ("名字说谎.txt", png_bytes(), "png"),
    ],
)
def test_accepted_kinds(name: str, data: bytes, ext: str) -> None:
    assert validate_upload(upload(name, data)) == (ALLOWED_TYPES[ext], ext)


@pytest.mark.parametrize(
    ("data", "charset"),
    [
        ("进展说明:已完成。\r\n第二行\t制表".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "带 BOM 的说明".encode(), "utf-8"),
        ("国标编码的说明:已完成专利申报。".encode("gb18030"), "gb18030"),
    ],
)
def test_plain_text_in_utf8_or_gb18030(data: bytes, charset: str) -> None:
    assert validate_upload(upload("说明.txt", data)) == (f"text/plain; charset={charset}", "txt")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("报告.pdf", EXE),  # an executable renamed .pdf
        ("说明.docx", zip_bytes(["readme.txt"])),  # a plain zip renamed .docx
        ("说明.docx", zip_bytes(["word/document.xml"])),  # no [Content_Types].xml
        ("宏.docx", zip_bytes(["[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"])),
        ("坏的.docx", b"PK\x03\x04" + b"\x00" * 40),  # zip signature, broken archive
        ("数据.txt", b"\x00\x01\x02binary\xff\xfe"),
        ("utf16.txt", "文本".encode("utf-16")),
        ("旧版.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
    ],
)
def test_refused_by_content_naming_the_file(name: str, data: bytes) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload(name, data))
    assert caught.value.message_dict["attachments"] == [
        f"文件“{name}”不是允许的类型:只接受 PDF、Word(.docx)、Excel(.xlsx)、PowerPoint(.pptx)、JPEG、PNG、GIF 图片和纯文本文件。"
    ]


def test_oversized_and_empty_files_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload("大文件.pdf", PDF + b"0" * (MAX_ATTACHMENT_BYTES - len(PDF) + 1)))
    assert "大文件.pdf" in caught.value.messages[0] and "20 MB" in caught.value.messages[0]
    validate_upload(upload("刚好.pdf", PDF + b"0" * (MAX_ATTACHMENT_BYTES - len(PDF))))
    with pytest.raises(ValidationError) as caught:
        validate_upload(upload("空.pdf", b""))
    assert "空.pdf" in caught.value.messages[0]


# --- submitting a report with files -----------------------------------------------------------


def test_files_are_stored_under_generated_names(world: World, media: Path) -> None:
    files = {"报告.pdf": PDF, "现场照片.png": png_bytes(), "工作总结.docx": docx_bytes()}
    report = submit(world, [upload(name, data) for name, data in files.items()])
    stored = list(report.attachments.order_by("pk"))
    assert [a.original_name for a in stored] == list(files)
    for attachment, data in zip(stored, files.values(), strict=True):
        assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}", attachment.file.name)
        assert attachment.file.name.endswith(attachment.token)
        assert (attachment.size, attachment.digest) == (len(data), hashlib.sha256(data).hexdigest())
        assert attachment.uploaded_by == world.users["staff"]
        assert (media / attachment.file.name).read_bytes() == data
    assert [a.content_type for a in stored] == [
        ALLOWED_TYPES["pdf"],
        ALLOWED_TYPES["png"],
        ALLOWED_TYPES["docx"],
    ]
    assert len(stored_files(media)) == 3


def test_a_large_upload_spooled_to_disk_is_stored(world: World, media: Path) -> None:
    data = PDF + b"1" * (3 * 1024 * 1024)
    spooled = TemporaryUploadedFile("大报告.pdf", "application/pdf", len(data), None)
    spooled.write(data)
    spooled.seek(0)
    report = submit(world, [spooled])
    spooled.close()  # as the request does; the storage moved the temporary file into place
    attachment = report.attachments.get()
    assert attachment.digest == hashlib.sha256(data).hexdigest()
    assert (media / attachment.file.name).read_bytes() == data


def test_one_bad_file_refuses_the_whole_report(world: World, media: Path) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        submit(world, [upload("报告.pdf", PDF), upload("病毒.pdf", EXE), upload("木马.docx", EXE)])
    messages = caught.value.message_dict["attachments"]
    assert len(messages) == 2 and "病毒.pdf" in messages[0] and "木马.docx" in messages[1]
    assert not ProgressReport.objects.exists()
    assert stored_files(media) == []


def test_eleven_files_are_refused(world: World, media: Path) -> None:
    with unchanged(), pytest.raises(ValidationError) as caught:
        submit(world, [upload(f"{i}.pdf", PDF) for i in range(MAX_ATTACHMENTS + 1)])
    assert "10" in caught.value.message_dict["attachments"][0]
    assert stored_files(media) == []
    assert submit(world, [upload(f"{i}.pdf", PDF) for i in range(MAX_ATTACHMENTS)]).attachments.count() == 10


def test_an_oversized_file_stores_nothing(world: World, media: Path) -> None:
    with unchanged(), pytest.raises(ValidationError):
        submit(world, [upload("报告.pdf", PDF), upload("大.pdf", PDF + b"0" * MAX_ATTACHMENT_BYTES)])
    assert stored_files(media) == []


def test_a_failure_after_storing_removes_the_stored_files(
    world: World, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first file is stored and its row saved; the second row fails: both files go."""
    real_save_as = attachments_module.save_as
    calls = []

    def failing_save_as(instance: Any, **kwargs: Any) -> Any:
        calls.append(instance)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_save_as(instance, **kwargs)

    monkeypatch.setattr(attachments_module, "save_as", failing_save_as)
    with unchanged(), pytest.raises(RuntimeError):
        submit(world, [upload("一.pdf", PDF), upload("二.png", png_bytes())])
    assert not ProgressReport.objects.exists() and not Attachment.objects.exists()
    assert stored_files(media) == []


def test_a_refused_actor_stores_nothing(world: World, media: Path) -> None:
    with unchanged(), pytest.raises(PermissionDenied):
        submit(world, [upload("报告.pdf", PDF)], who="foreign_staff")
    assert stored_files(media) == []


# --- adding a file later, opening a file ------------------------------------------------------


@pytest.fixture
def report(world: World, media: Path) -> ProgressReport:
    return submit(world, [upload("报告.pdf", PDF)])


def test_adding_a_file_to_a_pending_report(world: World, report: ProgressReport, media: Path) -> None:
    attachment = attachment_store(report=report, file=upload("补充.gif", GIF), actor=world.users["head"])
    assert (attachment.report, attachment.content_type) == (report, "image/gif")
    assert len(stored_files(media)) == 2


def test_adding_a_file_is_for_the_reporting_department_only(
    world: World, report: ProgressReport, media: Path
) -> None:
    for who in ("other_staff", "bureau", "foreign_staff"):
        with unchanged(), pytest.raises(PermissionDenied):
            attachment_store(report=report, file=upload("补充.pdf", PDF), actor=world.users[who])
    assert len(stored_files(media)) == 1


def test_adding_a_file_to_a_reviewed_report_is_refused(
    world: World, report: ProgressReport, media: Path
) -> None:
    report_review(actor=world.users["bureau"], report=report, accept=True)
    with unchanged(), pytest.raises(TransitionError):
        attachment_store(report=report, file=upload("补充.pdf", PDF), actor=world.users["staff"])
    assert len(stored_files(media)) == 1


def test_adding_an_eleventh_or_a_bad_file_is_refused(
    world: World, report: ProgressReport, media: Path
) -> None:
    with unchanged(), pytest.raises(ValidationError):
        attachment_store(report=report, file=upload("补充.pdf", EXE), actor=world.users["staff"])
    for i in range(MAX_ATTACHMENTS - 1):
        attachment_store(report=report, file=upload(f"{i}.pdf", PDF), actor=world.users["staff"])
    with unchanged(), pytest.raises(ValidationError):
        attachment_store(report=report, file=upload("第十一个.pdf", PDF), actor=world.users["staff"])
    assert len(stored_files(media)) == MAX_ATTACHMENTS


@pytest.mark.parametrize("who", ["staff", "other_staff", "bureau", "province", "leader", "admin"])
def test_opening_a_file(world: World, report: ProgressReport, who: str) -> None:
    handle, content_type, name = attachment_open(actor=world.users[who], attachment=report.attachments.get())
    with handle:
        assert handle.read() == PDF
    assert (content_type, name) == ("application/pdf", "报告.pdf")


@pytest.mark.parametrize("who", ["foreign_staff", "other_bureau"])
def test_a_file_of_another_region_is_not_opened(world: World, report: ProgressReport, who: str) -> None:
    with pytest.raises(PermissionDenied):
        attachment_open(actor=world.users[who], attachment=report.attachments.get())


@pytest.mark.parametrize(
    ("name", "data", "download"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", "page.html.txt"),
        ("报告.exe", PDF, "报告.exe.pdf"),
        ("photo.JPEG", JPEG, "photo.JPEG"),
        ("说明.TXT", "说明".encode(), "说明.TXT"),
        ("C:\\fakepath\\扫描件", png_bytes(), "扫描件.png"),
    ],
)
def test_downloads_carry_the_extension_of_their_content(
    world: World, media: Path, name: str, data: bytes, download: str
) -> None:
    attachment = submit(world, [upload(name, data)]).attachments.get()
    handle, _content_type, served = attachment_open(actor=world.users["bureau"], attachment=attachment)
    handle.close()
    assert served == download
