"""Plan-document parser: text, .txt, .docx, .xlsx, .pdf or .html in, ParsedPlan out.

Pure Python, no Django: a service persists what ``parse_document`` returns.
"""

from __future__ import annotations

from .core import parse_text
from .errors import ParseError
from .extract import extract_text
from .model import ParsedIndicator, ParsedPhase, ParsedPlan, ParsedSection, ParsedTask, ParseWarning

__all__ = [
    "ParseError",
    "ParseWarning",
    "ParsedIndicator",
    "ParsedPhase",
    "ParsedPlan",
    "ParsedSection",
    "ParsedTask",
    "extract_text",
    "parse_document",
    "parse_text",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def parse_document(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedPlan:
    """Parse an uploaded file; raises ParseError (and nothing else) for any bad input."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParseError("empty")
    data = bytes(data)
    if len(data) > max_bytes:
        raise ParseError("too_large", size=len(data), max_bytes=max_bytes)
    try:
        text = extract_text(data, filename or "")
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("malformed", detail="nesting too deep") from None
    except Exception as exc:  # a broken file must come back as a clear message, not a crash
        raise ParseError("malformed", detail=type(exc).__name__) from exc
    return parse_text(text)
