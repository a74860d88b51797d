"""What a file is, told by its bytes: the one sniffer of the plan importer and of evidence files.

It says what the content is (its leading signature, and for a zip archive its main part); each
caller decides what it accepts: the importer what it can read (``extract``, ``convert``), the
evidence upload its short list of safe kinds (``tasks.services.attachments``).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection
from typing import IO, NamedTuple

#: the OLE2 compound file of Office 97-2003 and WPS documents (.doc, .xls, .wps)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Signature(NamedTuple):
    magic: bytes
    kind: str


#: leading bytes and the kind they announce; the first that matches wins
SIGNATURES: tuple[Signature, ...] = (
    Signature(b"%PDF-", "pdf"),
    Signature(b"PK\x03\x04", "zip"),
    Signature(b"PK\x05\x06", "zip"),  # an empty archive
    Signature(b"\x89PNG\r\n\x1a\n", "png"),
    Signature(b"\xff\xd8\xff", "jpeg"),
    Signature(b"GIF87a", "gif"),
    Signature(b"GIF89a", "gif"),
    Signature(OLE_SIGNATURE, "ole"),
    Signature(b"II*\x00", "tiff"),
    Signature(b"MM\x00*", "tiff"),
    Signature(b"Rar!", "rar"),
    Signature(b"7z\xbc\xaf", "7z"),
    Signature(b"\x1f\x8b", "gzip"),
    Signature(b"{\\rtf", "rtf"),
    Signature(b"\x7fELF", "executable"),
    Signature(b"%!PS", "postscript"),
    Signature(b"BM", "bmp"),
    Signature(b"MZ", "executable"),
)
#: signatures so short that a plain text file may begin with them (BMW…, MZ…)
SHORT_SIGNATURES = frozenset({b"BM", b"MZ"})

#: what reading a damaged or hostile archive's directory can raise
ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
    NotImplementedError,
)
#: an archive's main part and the kind it makes the archive (OFD first: it is checked first)
MAIN_PARTS: tuple[tuple[str, str], ...] = (
    ("OFD.xml", "ofd"),
    ("word/document.xml", "docx"),
    ("xl/workbook.xml", "xlsx"),
    ("ppt/presentation.xml", "pptx"),
)


def signature(head: bytes) -> Signature | None:
    """The signature ``head`` (the first 8 bytes are enough) starts with, or None."""
    return next((s for s in SIGNATURES if head.startswith(s.magic)), None)


def zip_names(source: bytes | IO[bytes]) -> list[str]:
    """The member names of a zip archive, from its directory only (nothing is decompressed).

    Raises one of ``ZIP_ERRORS`` when ``source`` is no readable archive."""
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    stream.seek(0)
    with zipfile.ZipFile(stream) as archive:
        return archive.namelist()


def archive_kind(names: Collection[str]) -> str:
    """ofd, docx, xlsx or pptx by the archive's main part; zip for any other archive."""
    return next((kind for part, kind in MAIN_PARTS if part in names), "zip")


def is_office_package(names: Collection[str]) -> bool:
    """An Office Open XML package declares its parts' content types."""
    return "[Content_Types].xml" in names


def has_macros(names: Collection[str]) -> bool:
    """Macro-enabled documents (.docm, .xlsm, renamed or not) carry a VBA project."""
    return any(n.lower().endswith("vbaproject.bin") for n in names)
