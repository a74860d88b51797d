"""Shared helpers of the workflow tests: the database state, recipients, and sample files."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import docx
from django.core.files.uploadedfile import SimpleUploadedFile

from departments.models import User
from notifications.models import Notification
from tasks.models import Attachment, ProgressReport, Task, TaskRequest, Urge

#: Every user of the world fixture, by name.
ALL_USERS = (
    "admin",
    "bureau",
    "province",
    "other_bureau",
    "leader",
    "head",
    "staff",
    "other_staff",
    "foreign_staff",
)


def db_state() -> dict[str, Any]:
    """Everything a workflow service may write, so that a refusal can be shown to change nothing."""
    return {
        "tasks": list(Task.objects.order_by("pk").values()),
        "requests": list(TaskRequest.objects.order_by("pk").values()),
        "reports": list(ProgressReport.objects.order_by("pk").values()),
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "urges": list(Urge.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values_list("pk", "dedup_key")),
        "task_history": Task.history.count(),
        "request_history": TaskRequest.history.count(),
        "report_history": ProgressReport.history.count(),
    }


@contextmanager
def unchanged() -> Iterator[None]:
    """Assert that the block (usually a refused call inside pytest.raises) wrote nothing."""
    before = db_state()
    yield
    assert db_state() == before


def recipients(kind: str, **filters: Any) -> list[str]:
    """Usernames that received a notification of ``kind``, sorted, repeats kept."""
    rows = Notification.objects.filter(kind=kind, **filters).select_related("recipient")
    return sorted(row.recipient.username for row in rows)


def message_to(user: User, kind: str) -> str:
    return Notification.objects.get(recipient=user, kind=kind).message


# --- sample files ----------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode."
)


def png_bytes() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def docx_bytes(text: str = "进展情况:已完成专利培育工作。") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "台账"  # type: ignore[index]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")
