"""Formats read through a conversion: .doc and .wps (LibreOffice headless to .docx) and .ofd.

Pure Python, no Django. ``preconvert`` is the one hook ``extract_text`` calls first:

* ``.doc`` / ``.wps`` (Word 97-2003 and WPS Office documents): converted to .docx by
  ``soffice --headless --convert-to docx`` from Debian's ``libreoffice-writer-nogui``, in a fresh
  temporary directory (its own profile, deleted afterwards), under a timeout, with no network
  (a private network namespace via ``unshare -rn`` where the kernel allows it) and no shell. The
  .docx then goes through the ordinary .docx reader and its limits. Where soffice is absent the
  file is refused with a clear message.
* ``.ofd`` (GB/T 33190-2016 fixed-layout documents): the PyPI readers (easyofd, ofdparser) either
  pull PyMuPDF/reportlab/fontTools for rendering or are unmaintained since 2023, so the package's
  text objects are read here with lxml, under the same archive limits as .docx
  (``limits.check_archive``): OFD.xml -> DocRoot -> Pages -> each page's Content.xml, TextObject
  and TextCode in reading order (top to bottom, then left to right).
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import resource
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path, PurePath

from . import filetype
from .errors import MESSAGES, ParseError
from .limits import DEFAULT_ARCHIVE_LIMITS, ArchiveLimits, check_archive, seconds_left

MESSAGES.update(
    {
        "converter_missing": (
            "服务器未安装 LibreOffice,无法读取 {kind} 文件。请另存为 .docx 后上传,或联系管理员安装。",
            "LibreOffice is not installed on the server, so {kind} files cannot be read. "
            "Save the document as .docx and upload that, or ask the administrator to install it.",
        ),
    }
)

CONVERTED_EXT = {".doc": "doc", ".wps": "wps"}
OFD_EXT = ".ofd"
#: seconds LibreOffice may take for one document (its first start in a fresh profile is slow)
CONVERT_SECONDS = float(os.environ.get("IPPLAN_IMPORT_CONVERT_SECONDS", "120"))


def soffice_path() -> str | None:
    """The LibreOffice binary, or None where it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def preconvert(data: bytes, filename: str) -> bytes | str | None:
    """None for formats ``extract_text`` reads itself; else .docx bytes (.doc/.wps) or text (.ofd)."""
    ext = PurePath(filename or "").suffix.lower()
    is_zip = data[:4] == b"PK\x03\x04"
    if ext == OFD_EXT or (is_zip and _archive_kind(data) == "ofd"):
        return ofd_text(data)
    if ext in CONVERTED_EXT and (_is_compound_file(data) or data.lstrip().startswith(b"{\\rtf")):
        return convert_to_docx(data, CONVERTED_EXT[ext])
    if ext in CONVERTED_EXT and not is_zip and not data.startswith(filetype.OLE_SIGNATURE):
        raise ParseError("malformed", detail=f"not a {ext} file")
    # a renamed .docx, or a stub too short to be a compound file, takes the ordinary path
    return None


def _is_compound_file(data: bytes) -> bool:
    """An OLE2 compound file header: signature, byte-order mark, room for the first sectors."""
    return len(data) >= 1536 and data.startswith(filetype.OLE_SIGNATURE) and data[28:30] == b"\xfe\xff"


def _archive_kind(data: bytes) -> str | None:
    try:
        return filetype.archive_kind(filetype.zip_names(data))
    except filetype.ZIP_ERRORS:
        return None


# --- LibreOffice ----------------------------------------------------------------------------------
def _no_limits() -> None:  # pragma: no cover - runs in the converter's child process
    # The import's own child runs under an address-space cap sized for the Python readers;
    # LibreOffice maps far more than it uses, so it gets back the hard limit (its timeout bounds it).
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def convert_to_docx(data: bytes, kind: str, *, seconds: float | None = None) -> bytes:
    """.doc / .wps bytes to .docx bytes with LibreOffice; ParseError when it cannot."""
    binary = soffice_path()
    if binary is None:
        raise ParseError("converter_missing", kind=f".{kind}")
    # Name the import filter: left to guess, LibreOffice reads a damaged file as plain text.
    # A WPS Office .wps is a Word 97 binary document; a .doc is sometimes RTF under that name.
    if data.startswith(filetype.OLE_SIGNATURE):
        import_filter = "MS Word 97"
    elif kind == "doc" and data.lstrip().startswith(b"{\\rtf"):
        import_filter = "Rich Text Format"
    else:
        raise ParseError("malformed", detail=f"not a .{kind} file")
    seconds = seconds_left(CONVERT_SECONDS) if seconds is None else seconds
    with tempfile.TemporaryDirectory(prefix="ipplan-convert-") as tmp:
        work = Path(tmp)
        source = work / f"document.{kind}"
        source.write_bytes(data)
        command = [
            binary,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            f"--infilter={import_filter}",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        unshare = shutil.which("unshare")
        if unshare and _can_unshare(unshare):
            command = [unshare, "-rn", *command]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LANG": "C.UTF-8"}
        process = subprocess.Popen(
            command,
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_no_limits,
        )
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise ParseError("too_slow", seconds=int(seconds)) from None
        finally:
            # soffice.bin may outlive the launcher script
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        result = work / "out" / "document.docx"
        if process.returncode != 0 or not result.exists() or result.stat().st_size == 0:
            raise ParseError("malformed", detail=f"LibreOffice could not read the .{kind} file")
        return result.read_bytes()


_UNSHARE_OK: bool | None = None


def _can_unshare(unshare: str) -> bool:
    """Whether unprivileged network namespaces work here (containers often forbid them)."""
    global _UNSHARE_OK
    if _UNSHARE_OK is None:
        try:
            _UNSHARE_OK = (
                subprocess.run(
                    [unshare, "-rn", "true"], capture_output=True, timeout=10, check=False
                ).returncode
                == 0
            )
        except (OSError, subprocess.TimeoutExpired):
            _UNSHARE_OK = False
    return _UNSHARE_OK


# --- OFD ------------------------------------------------------------------------------------------
def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: object, name: str) -> list[object]:
    return [e for e in element.iter() if _local(e.tag) == name]  # type: ignore[attr-defined]


def _resolve(base: str, location: str) -> str:
    location = location.strip()
    if location.startswith("/"):
        return posixpath.normpath(location.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), location))


def ofd_text(data: bytes, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) -> str:
    """The text of an OFD package, page by page, in reading order."""
    from lxml import etree

    check_archive(data, limits)  # entry count, real unpacked size, no DTD, depth: before any read
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError("malformed", detail=type(exc).__name__) from None
    with archive:
        names = set(archive.namelist())

        def load(name: str) -> object:
            if name not in names:
                raise ParseError("malformed", detail=f"OFD part missing: {name}")
            try:
                return etree.fromstring(archive.read(name), parser)
            except etree.XMLSyntaxError:
                raise ParseError("malformed", detail=f"OFD part unreadable: {name}") from None

        root = load("OFD.xml")
        doc_roots = [e.text or "" for e in _children(root, "DocRoot")]  # type: ignore[attr-defined]
        if not doc_roots or not doc_roots[0].strip():
            raise ParseError("malformed", detail="OFD.xml names no DocRoot")
        lines: list[str] = []
        for doc_root in doc_roots:
            document_name = _resolve("OFD.xml", doc_root)
            document = load(document_name)
            for page in _children(document, "Page"):
                base = page.get("BaseLoc")  # type: ignore[attr-defined]
                if not base:
                    continue
                content_name = _resolve(document_name, base)
                lines.extend(_page_lines(load(content_name)))
                lines.append("")
    return "\n".join(lines)


def _page_lines(content: object) -> list[str]:
    """TextObjects grouped into lines by their vertical position, each line read left to right."""
    items: list[tuple[float, float, str]] = []
    for obj in _children(content, "TextObject"):
        boundary = (obj.get("Boundary") or "0 0 0 0").split()  # type: ignore[attr-defined]
        try:
            x, y = float(boundary[0]), float(boundary[1])
        except (IndexError, ValueError):
            x, y = 0.0, 0.0
        text = "".join((code.text or "") for code in _children(obj, "TextCode"))  # type: ignore[attr-defined]
        if text:
            items.append((y, x, text))
    items.sort()
    lines: list[str] = []
    last_y: float | None = None
    for y, _x, text in items:
        if last_y is not None and abs(y - last_y) < 1.0:
            lines[-1] += text
        else:
            lines.append(text)
        last_y = y
    return lines
