"""The pure rules that moved out of the import services: region inference, dates, file types."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import NamedTuple

import pytest

from planparser import filetype
from planparser.dates import phase_date
from planparser.regions import infer_region


class Place(NamedTuple):
    pk: int
    name: str
    path: str


PROVINCE = Place(1, "广东省", "/44/")
CITY = Place(2, "东莞市", "/44/4419/")
OTHER = Place(3, "珠海市", "/44/4404/")


def test_region_from_the_issuer_before_the_title() -> None:
    region, candidates = infer_region(("东莞市人民政府办公室", "珠海市工作方案"), [PROVINCE, CITY, OTHER])
    assert region == CITY and candidates == [CITY]


def test_region_without_its_level_suffix_and_the_most_specific_first() -> None:
    region, _ = infer_region((None, "广东省东莞知识产权工作方案"), [PROVINCE, CITY])
    assert region == PROVINCE
    region, _ = infer_region(("东莞市知识产权局",), [PROVINCE, CITY])
    assert region == CITY


def test_no_region_named_gives_none_and_no_candidates() -> None:
    assert infer_region(("某市人民政府", "某市方案"), [PROVINCE, CITY]) == (None, [])


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        ("2025-12", True, dt.date(2025, 12, 31)),
        ("2024-02", True, dt.date(2024, 2, 29)),
        ("2025-03", False, dt.date(2025, 3, 1)),
        ("2026", True, dt.date(2026, 12, 31)),
        ("2026", False, dt.date(2026, 1, 1)),
        ("2026-05-20", True, dt.date(2026, 5, 20)),
        (None, True, None),
    ],
)
def test_phase_dates(value: str | None, end: bool, expected: dt.date | None) -> None:
    assert phase_date(value, end=end) == expected


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n....", "png"),
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (filetype.OLE_SIGNATURE + b"\x00" * 8, "ole"),
        (b"MZ\x90\x00", "executable"),
        (b"plain text", None),
    ],
)
def test_signatures(data: bytes, kind: str | None) -> None:
    found = filetype.signature(data[:8])
    assert (found.kind if found else None) == kind


def test_archives_by_their_main_part() -> None:
    assert (
        filetype.archive_kind(filetype.zip_names(_zip("[Content_Types].xml", "word/document.xml"))) == "docx"
    )
    assert filetype.archive_kind(filetype.zip_names(io.BytesIO(_zip("xl/workbook.xml")))) == "xlsx"
    assert filetype.archive_kind(filetype.zip_names(_zip("OFD.xml", "Doc_0/Document.xml"))) == "ofd"
    assert filetype.archive_kind(filetype.zip_names(_zip("readme.txt"))) == "zip"
    names = filetype.zip_names(_zip("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"))
    assert filetype.is_office_package(names) and filetype.has_macros(names)
    with pytest.raises(filetype.ZIP_ERRORS):
        filetype.zip_names(b"PK\x03\x04" + b"\x00" * 40)
