"""Bad input always comes back as ParseError with a stable code and messages in both languages."""

from __future__ import annotations

import pickle
import zipfile
from io import BytesIO

import pytest

from planparser import ParseError, parse_document, parse_text

from .pdfgen import make_image_pdf

SHORT = "一、主要任务\n1.加强创造。(市科技局)\n".encode()


def _code(data: bytes, name: str, **kw: int) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_document(data, name, **kw)
    err = info.value
    assert err.message_zh and err.message_en
    assert "{" not in err.message_zh and "{" not in err.message_en
    return err


@pytest.mark.parametrize("data", [b"", b"   \n\t ", "\u3000\n".encode()])
def test_empty(data: bytes) -> None:
    assert _code(data, "a.txt").code == "empty"


def test_empty_text() -> None:
    with pytest.raises(ParseError) as info:
        parse_text("  \n ")
    assert info.value.code == "empty"


def test_binary_garbage() -> None:
    data = bytes(range(256)) * 40
    assert _code(data, "a.txt").code == "binary"


def test_image_only_pdf() -> None:
    assert _code(make_image_pdf(), "scan.pdf").code == "no_text_layer"


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "scan.png", "png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "photo.txt", "jpeg"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "old.doc", "doc/xls (Office 97-2003)"),
        (SHORT, "plan.pptx", "pptx"),
    ],
)
def test_unsupported_type(data: bytes, name: str, kind: str) -> None:
    err = _code(data, name)
    assert err.code == "unsupported_type"
    assert err.params["kind"] == kind
    assert kind in err.message_en


def test_plain_zip_is_unsupported() -> None:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "hello")
    assert _code(buf.getvalue(), "x.zip").code == "unsupported_type"


def test_too_large() -> None:
    err = _code(SHORT * 100, "a.txt", max_bytes=100)
    assert err.code == "too_large"
    assert err.params == {"size": len(SHORT) * 100, "max_bytes": 100}
    assert "100" in err.message_zh


def test_no_tasks() -> None:
    assert _code("这是一份没有任务的说明。\n再来一段。".encode(), "a.txt").code == "no_tasks"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"PK\x03\x04" + b"garbage" * 20, "broken.docx"),
        (b"not a zip at all", "broken.xlsx"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage", "broken.pdf"),
    ],
)
def test_malformed_files(data: bytes, name: str) -> None:
    assert _code(data, name).code in ("malformed", "no_text_layer")


def test_malformed_html() -> None:
    assert _code(b"<html><body><div></div></body></html>", "page.html").code == "empty"
    assert _code(b"<html><<<>>><body><p>no plan here</p>", "page.html").code in ("no_tasks", "malformed")


def test_error_is_picklable_for_job_queues() -> None:
    err = ParseError("too_large", size=5, max_bytes=1)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.params, copy.message_en) == (err.code, err.params, err.message_en)
