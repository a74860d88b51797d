"""Bytes to text for every supported format, chosen by content first and file name second."""

from __future__ import annotations

import codecs
import importlib
import io
import re
from collections import Counter
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from . import filetype
from .convert import preconvert
from .errors import ParseError
from .limits import check_archive
from .tables import header_map, rows_to_lines
from .text import CJK_RE, clean_text, is_noise_line, work_copy

TEXT_EXT = {".txt", ".text", ".md", ".log", ""}
HTML_EXT = {".html", ".htm", ".xhtml", ".shtml", ".mht"}
#: how a refused signature is named in the message (the rest by their kind)
SIGNATURE_LABELS = {"ole": "doc/xls (Office 97-2003)"}
UNSUPPORTED_EXT = {
    ".doc": "doc",
    ".xls": "xls",
    ".ppt": "ppt",
    ".pptx": "pptx",
    ".wps": "wps",
    ".et": "et",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".gif": "gif",
    ".bmp": "bmp",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".zip": "zip",
    ".rar": "rar",
    ".7z": "7z",
    ".exe": "exe",
    ".rtf": "rtf",
    ".ofd": "ofd",
    ".odt": "odt",
    ".ods": "ods",
    ".mp3": "mp3",
    ".mp4": "mp4",
}


def sniff(data: bytes, filename: str) -> str:
    """One of txt, html, docx, xlsx, pdf, csv; ParseError for anything else."""
    ext = PurePath(filename or "").suffix.lower()
    head = data[:8]
    if data.lstrip()[:5] == b"%PDF-" or head.startswith(b"%PDF"):  # leading blanks are common
        return "pdf"
    found = filetype.signature(head)
    if found is not None and found.kind == "zip":
        try:
            kind = filetype.archive_kind(filetype.zip_names(data))
        except filetype.ZIP_ERRORS as exc:
            if ext in (".docx", ".xlsx"):
                raise ParseError("malformed", detail=type(exc).__name__) from None
            raise ParseError("unsupported_type", kind=ext or "zip") from None
        if kind in ("docx", "xlsx"):
            return kind
        if ext in (".docx", ".xlsx"):
            raise ParseError("malformed", detail="missing document part")
        raise ParseError("unsupported_type", kind=ext or "zip")
    if found is not None and not (
        found.magic in filetype.SHORT_SIGNATURES and ext in TEXT_EXT | HTML_EXT | {".csv"}
    ):
        raise ParseError("unsupported_type", kind=SIGNATURE_LABELS.get(found.kind, found.kind))
    if ext in (".docx", ".xlsx", ".pdf"):
        raise ParseError("malformed", detail=f"not a {ext[1:]} file")
    if ext in UNSUPPORTED_EXT:
        raise ParseError("unsupported_type", kind=UNSUPPORTED_EXT[ext])
    if ext in HTML_EXT:
        return "html"
    if ext == ".csv":
        return "csv"
    if ext not in TEXT_EXT and ext not in (".json", ".xml"):
        pass
    probe = data[:2048].lower()
    if b"<html" in probe or b"<!doctype html" in probe or b"<body" in probe:
        return "html"
    return "txt"


# -- plain text ---------------------------------------------------------------------------------


def _binary_bytes(data: bytes) -> bool:
    sample = data[:65536]
    if not sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(sample) > 0.02


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2]
    odd = sample[1::2]
    zeros_even = even.count(0) / max(1, len(even))
    zeros_odd = odd.count(0) / max(1, len(odd))
    if zeros_odd > 0.3 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.3 and zeros_odd < 0.05:
        return "utf-16-be"
    return None


def _gb_plausible(text: str) -> bool:
    cjk = CJK_RE.findall(text)
    if not cjk:
        return False
    common = 0
    for ch in cjk:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(cjk) > 0.85


def decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16/32 with BOM or by shape, GB18030/GBK, Big5, then charset-normalizer."""
    boms: list[tuple[bytes, str]] = [
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ]
    for bom, enc in boms:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(enc)
            except UnicodeDecodeError:
                return data[len(bom) :].decode(enc, errors="replace")
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass
    if len(data) % 2 == 0 and len(data) >= 8:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            for enc in ("utf-16-le", "utf-16-be"):
                try:
                    candidate = data.decode(enc)
                except UnicodeDecodeError:
                    continue
                if _plausible_text(candidate):
                    return candidate
    if _binary_bytes(data):
        raise ParseError("binary")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _gb_plausible(text):
            return text
    except UnicodeDecodeError:
        text = ""
    try:
        big5 = data.decode("big5")
        if CJK_RE.search(big5):
            return big5
    except UnicodeDecodeError:
        pass
    if text:
        return text
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding:
            decoded = data.decode(best.encoding, errors="replace")
            if CJK_RE.search(decoded) or _mostly_printable(decoded):
                return decoded
    except Exception:  # a detector failure is just "unknown encoding"
        pass
    raise ParseError("binary")


def _plausible_text(text: str) -> bool:
    """Most characters are Chinese, ASCII or common punctuation (random bytes give ~35%)."""
    if not text:
        return False
    good = sum(
        1
        for ch in text
        if "\u4e00" <= ch <= "\u9fff"
        or " " <= ch <= "~"
        or ch in "\n\r\t"
        or "\u3000" <= ch <= "\u303f"
        or "\uff00" <= ch <= "\uffef"
        or "\u2000" <= ch <= "\u206f"
    )
    return good / len(text) > 0.9


def _mostly_printable(text: str) -> bool:
    if not text:
        return False
    ok = sum(1 for ch in text if ch.isprintable() or ch in "\n\t")
    letters = sum(1 for ch in text if ch.isalnum())
    return ok / len(text) > 0.97 and letters / len(text) > 0.3


# -- docx -----------------------------------------------------------------------------------------


def _docx_text(data: bytes) -> str:
    try:
        import docx
        from docx.oxml.ns import qn
    except ImportError:  # pragma: no cover - a declared dependency
        raise ParseError("unsupported_type", kind="docx") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ParseError("malformed", detail=type(exc).__name__) from None

    def para_text(p: object) -> str:
        parts: list[str] = []
        for node in p.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")):  # type: ignore[attr-defined]
            if node.tag == qn("w:t"):
                parts.append(node.text or "")
            elif node.tag == qn("w:tab"):
                parts.append("\t")
            else:
                parts.append("\n")
        return "".join(parts)

    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append(para_text(child))
        elif child.tag == qn("w:tbl"):
            rows: list[list[str]] = []
            for tr in child.iter(qn("w:tr")):
                cells: list[str] = []
                above = rows[-1] if rows else []
                for tc in tr.iter(qn("w:tc")):
                    text = "\n".join(para_text(p) for p in tc.iter(qn("w:p")))
                    span = 1
                    tcpr = tc.find(qn("w:tcPr"))
                    if tcpr is not None:
                        gs = tcpr.find(qn("w:gridSpan"))
                        if gs is not None:
                            try:
                                span = max(1, min(50, int(gs.get(qn("w:val")) or "1")))
                            except ValueError:
                                span = 1
                        vm = tcpr.find(qn("w:vMerge"))
                        if vm is not None and (vm.get(qn("w:val")) or "continue") == "continue":
                            # a vertically merged cell: it carries the text of the cell above
                            col = len(cells)
                            text = above[col] if col < len(above) else text
                    cells.extend([text] * span)
                rows.append(cells)
            lines.append("")
            lines.extend(rows_to_lines(rows))
            lines.append("")
    return "\n".join(lines)


# -- xlsx / csv -------------------------------------------------------------------------------------


def _xlsx_text(data: bytes) -> str:
    try:
        openpyxl = importlib.import_module("openpyxl")
    except ImportError:  # pragma: no cover
        raise ParseError("unsupported_type", kind="xlsx") from None
    # merged cells (a task spanning sub-rows) are only visible outside read-only mode, which
    # holds the whole sheet in memory: used for files of ordinary size
    read_only = len(data) > _XLSX_FULL_LOAD_BYTES
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    except Exception as exc:
        raise ParseError("malformed", detail=type(exc).__name__) from None
    lines: list[str] = []
    try:
        for ws in wb.worksheets:
            rows: list[list[str]] = []
            for row in ws.iter_rows(values_only=True):
                rows.append(["" if v is None else _cell_text(v) for v in row])
                if len(rows) > 20000:
                    break
            if not read_only:
                _fill_merged(rows, ws)
            lines.extend(rows_to_lines(rows))
            lines.append("")
    finally:
        wb.close()
    return "\n".join(lines)


_XLSX_FULL_LOAD_BYTES = 4 * 1024 * 1024


def _fill_merged(rows: list[list[str]], ws: Any) -> None:
    """Every slot of a merged range gets the text of its top-left cell (as HTML rowspan does)."""
    ranges = getattr(getattr(ws, "merged_cells", None), "ranges", None) or []
    offset_row = (getattr(ws, "min_row", 1) or 1) - 1
    offset_col = (getattr(ws, "min_column", 1) or 1) - 1
    for rng in ranges:
        top, left = rng.min_row - 1 - offset_row, rng.min_col - 1 - offset_col
        if not (0 <= top < len(rows)) or left < 0 or left >= len(rows[top]):
            continue
        text = rows[top][left]
        for r in range(top, min(rng.max_row - offset_row, len(rows))):
            for c in range(left, min(rng.max_col - offset_col, len(rows[r]))):
                rows[r][c] = text


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat") and not isinstance(value, str):
        try:
            return str(value.isoformat())[:10]
        except Exception:
            return str(value)
    return str(value)


def _csv_text(data: bytes) -> str:
    import csv

    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return "\n".join(rows_to_lines(rows))


# -- pdf --------------------------------------------------------------------------------------------

PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－_·•\s]*\d{1,4}[-—–－_·•\s]*|第\s*\d{1,4}\s*页(?:\s*[,/共]\s*(?:共\s*)?\d{1,4}\s*页)?|"
    r"\d{1,4}\s*/\s*\d{1,4}|page\s*\d+(?:\s*of\s*\d+)?)\s*$",
    re.IGNORECASE,
)
_END_PUNCT = "。;:!?;:！？；：”」』)）】》"
_MARKER_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[(（]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|\d{1,3}\s*[.、．]|"
    r"[一二三四五六七八九十]是|附件|[①-⑳])"
)


def _open_depth(text: str) -> int:
    return sum(1 for c in text if c in "(（") - sum(1 for c in text if c in ")）")


def pdf_pages_to_text(pages: list[str]) -> str:
    """Remove running heads/feet and page numbers, then re-join lines the layout broke."""
    page_lines = [[ln.rstrip() for ln in p.replace("\r", "\n").split("\n")] for p in pages]
    edge = Counter[str]()
    for lines in page_lines:
        nonblank = [ln.strip() for ln in lines if ln.strip()]
        for ln in set(nonblank[:2] + nonblank[-2:]):
            edge[re.sub(r"\d+", "#", ln)] += 1
    repeated = {k for k, v in edge.items() if len(pages) >= 3 and v >= max(3, len(pages) // 2)}
    flat: list[str] = []
    for page_no, lines in enumerate(page_lines):
        nonblank_idx = [i for i, ln in enumerate(lines) if ln.strip()]
        edges = set(nonblank_idx[:2] + nonblank_idx[-2:])
        for i, ln in enumerate(lines):
            s = ln.strip()
            if not s:
                flat.append("")
                continue
            if PAGE_NUMBER.match(s):
                continue
            if page_no > 0 and i in edges and re.sub(r"\d+", "#", s) in repeated:
                continue
            flat.append(ln)
    widths = sorted(len(s.strip()) for s in flat if s.strip())
    full = widths[int(len(widths) * 0.9)] if widths else 0
    out: list[str] = []
    for ln in flat:
        s = ln.strip()
        if not s:
            continue
        if out:
            prev = out[-1]
            wrapped = full >= 12 and len(prev) >= full - 3 and not prev.endswith(tuple(_END_PUNCT))
            inside_bracket = _open_depth(prev) > 0
            if (wrapped or inside_bracket) and not (_MARKER_START.match(s) and not inside_bracket):
                out[-1] = prev + s
                continue
        out.append(s)
    return "\n".join(out)


def _pdf_text(data: bytes) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover
        raise ParseError("unsupported_type", kind="pdf") from None
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise ParseError("malformed", detail="encrypted") from None
        pages: list[str] = []
        for page in reader.pages:
            try:
                pages.append(page.extract_text() or "")
            except Exception:
                pages.append("")
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError("malformed", detail=type(exc).__name__) from None
    if not any(CJK_RE.search(p) or re.search(r"\w{3}", p) for p in pages):
        raise ParseError("no_text_layer")
    return pdf_pages_to_text(pages)


# -- html -------------------------------------------------------------------------------------------

_NOISE_ATTR = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|menu|breadcrumb|crumb|bread|footer|foot|header|topbar|top-bar|sidebar|side|"
    r"share|bdshare|social|toolbar|print|font|fontsize|copyright|search|login|banner|ad|ads|advert|"
    r"related|relative|xgwz|links|friendlink|qrcode|ewm|position|location|dqwz|wzdh|wz|counter|visit|"
    r"comment|pager|pagination)(?:$|[\s_-])",
    re.IGNORECASE,
)
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "section",
    "article",
    "ul",
    "ol",
    "dd",
    "dt",
    "blockquote",
    "pre",
    "center",
    "td",
    "th",
    "hr",
    "form",
    "header",
    "footer",
}


def _decode_html(data: bytes) -> str:
    m = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", data[:4096], re.IGNORECASE)
    if m:
        enc = m.group(1).decode("ascii", "ignore").lower()
        if enc in ("gb2312", "gbk"):
            enc = "gb18030"
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            pass
    return decode_text(data)


def _html_text(data: bytes) -> str:
    text = _decode_html(data)
    try:
        etree = importlib.import_module("lxml.etree")
        lxml_html = importlib.import_module("lxml.html")
    except ImportError:  # pragma: no cover
        raise ParseError("unsupported_type", kind="html") from None
    stripped = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    if not stripped.strip():
        raise ParseError("empty")
    try:
        root = lxml_html.document_fromstring(stripped)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError("malformed", detail=type(exc).__name__) from None
    for bad in root.xpath(
        "//script|//style|//noscript|//template|//iframe|//svg|//nav|//header|//footer|//aside|//form|"
        "//button|//select|//input|//object|//embed|//canvas"
    ):
        if bad.getparent() is not None:
            bad.drop_tree()
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        attrs = " ".join(str(el.get(a) or "") for a in ("class", "id"))
        if attrs and _NOISE_ATTR.search(attrs) and el.getparent() is not None:
            # never drop a block that holds most of the document's text
            inner = el.text_content() if hasattr(el, "text_content") else ""
            if len(inner) < 400:
                el.drop_tree()
    task_tables = _replace_task_tables(root)
    body_text = _block_text(root)
    main = _trafilatura_text(stripped)
    if main and len(main) > 200 and len(body_text) > 2 * len(main):
        body_text = _combine(body_text, main, keep=task_tables)
    body_text = "\n".join(
        ln.lstrip(_TABLE_MARK) for ln in body_text.split("\n") if not is_noise_line(work_copy(ln))
    )
    if not body_text.strip():
        raise ParseError("empty")
    return body_text


_TABLE_MARK = "\u2063"  # invisible separator: marks the lines of a task table in the page text


def _table_grid(table: Any) -> list[list[str]]:
    """Rows of an HTML table with rowspan/colspan cells repeated into every slot they cover."""
    grid: list[list[str]] = []
    pending: dict[int, tuple[int, str]] = {}  # column -> (rows still covered, text)
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        row: list[str] = []
        col = 0
        cells = list(tr.xpath("./td|./th"))
        k = 0
        while k < len(cells) or col in pending:
            if col in pending:
                left, text = pending[col]
                row.append(text)
                if left <= 1:
                    del pending[col]
                else:
                    pending[col] = (left - 1, text)
                col += 1
                continue
            cell = cells[k]
            k += 1
            text = "\n".join(t.strip() for t in cell.itertext() if t.strip())
            span = _span(cell.get("colspan"))
            down = _span(cell.get("rowspan"))
            for _ in range(span):
                row.append(text)
                if down > 1:
                    pending[col] = (down - 1, text)
                col += 1
        grid.append(row)
        if len(grid) > 5000:
            break
    return grid


def _span(value: str | None) -> int:
    try:
        return max(1, min(50, int(str(value or "1").strip())))
    except ValueError:
        return 1


def _replace_task_tables(root: Any) -> int:
    """Task tables (序号/任务/牵头单位 …) replaced by their task lines; how many were replaced."""
    count = 0
    for table in root.xpath("//table[not(.//table)]"):
        grid = _table_grid(table)
        if not any(header_map(row) is not None for row in grid[:4]):
            continue
        lines = rows_to_lines(grid)
        if not any(re.match(r"\d{1,3}\.", ln) or "单位:" in ln for ln in lines):
            continue  # a header that looked like a task table but no row became a task
        block = lxml_element("div")
        for ln in lines:
            p = lxml_element("p")
            p.text = _TABLE_MARK + ln
            block.append(p)
        block.tail = table.tail
        parent = table.getparent()
        if parent is None:
            continue
        parent.replace(table, block)
        count += 1
    return count


def lxml_element(tag: str) -> Any:
    return importlib.import_module("lxml.html").Element(tag)


def _block_text(root: object) -> str:
    parts: list[str] = []

    def walk(el: object) -> None:
        tag = getattr(el, "tag", None)
        if not isinstance(tag, str):
            tail = getattr(el, "tail", None)
            if tail:
                parts.append(tail)
            return
        tag = tag.lower()
        block = tag in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if getattr(el, "text", None):
            parts.append(el.text)  # type: ignore[attr-defined]
        for child in el:  # type: ignore[attr-defined]
            walk(child)
        if tag in ("td", "th"):
            parts.append("\t")
        if block:
            parts.append("\n")
        tail = getattr(el, "tail", None)
        if tail:
            parts.append(tail)

    walk(root)
    text = "".join(parts)
    text = re.sub(r"[ \t\u3000\xa0]*\n[ \t\u3000\xa0]*", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _trafilatura_text(html_text: str) -> str:
    try:
        trafilatura = importlib.import_module("trafilatura")
        out = trafilatura.extract(
            html_text, include_comments=False, include_tables=True, favor_recall=True, deduplicate=False
        )
        return str(out or "")
    except Exception:  # trafilatura is only a helper; the lxml text stands on its own
        return ""


def _combine(full: str, main: str, *, keep: int = 0) -> str:
    """Keep the part of the page trafilatura found, widened to the nearby 文号/date/signature lines
    and to the task tables of its attachments (``keep`` of them were marked)."""
    lines = [ln for ln in full.split("\n")]
    main_lines = [ln.strip() for ln in main.split("\n") if len(ln.strip()) >= 8]
    if not main_lines:
        return full
    index = {ln.strip(): i for i, ln in reversed(list(enumerate(lines)))}
    first = next((index[m] for m in main_lines if m in index), None)
    last_candidates = [index[m] for m in main_lines if m in index]
    if first is None or not last_candidates:
        return full
    last = max(last_candidates)
    if keep:
        marked = [i for i, ln in enumerate(lines) if ln.startswith(_TABLE_MARK)]
        last = max([last, *marked])
    start = max(0, first - 25)  # the 通知 heading, 文号, signature and date sit just above the body
    end = min(len(lines), last + 8)
    return "\n".join(lines[start:end])


# -- entry point ------------------------------------------------------------------------------------


def extract_text(data: bytes, filename: str) -> str:
    """Text of a document in any supported format; raises ParseError."""
    if not data or not data.strip():
        raise ParseError("empty")
    converted = preconvert(data, filename)  # .doc/.wps -> .docx bytes, .ofd -> text (imports helper)
    if isinstance(converted, bytes):
        data, filename = converted, "converted.docx"
    kind = "converted" if isinstance(converted, str) else sniff(data, filename)
    if kind in ("docx", "xlsx"):
        check_archive(data)  # zip bomb, DTD and depth limits before any reader opens it
    readers: dict[str, Callable[[bytes], str]] = {
        "pdf": _pdf_text,
        "docx": _docx_text,
        "xlsx": _xlsx_text,
        "csv": _csv_text,
        "html": _html_text,
    }
    if kind == "converted":
        text = str(converted)
    elif kind in readers:
        text = readers[kind](data)
    else:
        text = decode_text(data)
        if re.search(r"<(?:html|body|div|p)\b", text[:4096], re.IGNORECASE) and "</" in text:
            text = _html_text(text.encode("utf-8"))
    text = clean_text(text)
    if not text.strip():
        raise ParseError("empty")
    return text
