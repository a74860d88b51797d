"""Reading an uploaded document once, under the limits of ``limits``: in a child process with a
time and memory budget, reporting progress to the parent."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .core import parse_text
from .errors import ParseError
from .extract import extract_text
from .limits import Usage, report_progress, run_limited


# --- reading a document once, under the limits -------------------------------------------------------
def read_document(data: bytes | None, filename: str = "", text: str | None = None) -> tuple[str, Any]:
    """(text, ParsedPlan) of an uploaded file (``data``) or of pasted ``text``; ParseError only."""
    if data is not None:
        report_progress(20)
        try:
            text = extract_text(bytes(data), filename or "")
        except (ParseError, MemoryError):
            raise
        except RecursionError:
            raise ParseError("malformed", detail="nesting too deep") from None
        except Exception as exc:  # a broken file must come back as a clear message, not a crash
            raise ParseError("malformed", detail=type(exc).__name__) from exc
    if not text or not text.strip():
        raise ParseError("empty")
    report_progress(70)
    return text, parse_text(text)


_PRELOADED = False


def _preload() -> None:
    """Import the readers once in the parent, so that each forked child starts with them loaded
    (importing trafilatura, python-docx and openpyxl afresh costs a child ~0.4 s)."""
    global _PRELOADED
    if _PRELOADED:
        return
    for name in ("lxml.etree", "lxml.html", "docx", "openpyxl", "pypdf", "trafilatura", "charset_normalizer"):
        try:
            importlib.import_module(name)
        except ImportError:  # an optional reader; the child reports it if it is needed
            continue
    _PRELOADED = True


def read_document_limited(
    data: bytes | None,
    filename: str = "",
    text: str | None = None,
    *,
    seconds: float,
    memory_bytes: int | None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[str, Any, Usage]:
    """``read_document`` in a child process under ``seconds`` and ``memory_bytes``."""
    _preload()
    (text_out, parsed), usage = run_limited(
        read_document,
        data,
        filename,
        text,
        seconds=seconds,
        memory_bytes=memory_bytes,
        on_progress=on_progress,
    )
    return text_out, parsed, usage
