"""Resource limits for reading an uploaded document: zip bombs, XML tricks, time and memory.

Pure Python, no Django. Two layers:

* ``check_archive`` looks inside a zip-based document (.docx, .xlsx, .ofd, and the .docx that
  LibreOffice makes of a .doc/.wps) before any reader opens it: the number of entries, the real
  decompressed size of every entry (streamed, so a lying header does not help), and each XML part
  read by libxml2's event parser into nothing: no DTD (hence no entity expansion), nesting at
  most ``max_xml_depth`` levels, well-formed.
* ``run_limited`` runs the whole read-and-parse in a forked child process under an address-space
  limit (RLIMIT_AS) and a wall-clock deadline, so whatever slips through the checks costs one
  child, not the web or Celery worker; the child's peak memory comes back for the benchmarks.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import resource
import select
import signal
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import filetype
from .errors import MESSAGES, ParseError

# The parser's error catalogue gains the limit codes (kept here so the parser's own module stays
# as its owner wrote it); ParseError looks messages up by code.
MESSAGES.update(
    {
        "too_large_unpacked": (
            "文件解压后过大(超过 {max_bytes} 字节),可能是压缩炸弹,未导入。",
            "The file unpacks to more than {max_bytes} bytes (a possible zip bomb); nothing was imported.",
        ),
        "too_many_parts": (
            "文件包含的部件过多(超过 {max_entries} 个),未导入。",
            "The file holds too many parts (more than {max_entries}); nothing was imported.",
        ),
        "unsafe_xml": (
            "文件中的 XML 含有不允许的内容({detail}),未导入。",
            "The file's XML contains something not allowed ({detail}); nothing was imported.",
        ),
        "too_slow": (
            "文件读取超时(超过 {seconds} 秒),请拆分文件或粘贴正文后重试。",
            "Reading the file took longer than {seconds} seconds; split it or paste the text instead.",
        ),
        "too_much_memory": (
            "读取文件所需内存超过上限({megabytes} MB),请拆分文件或粘贴正文后重试。",
            "Reading the file needs more memory than allowed ({megabytes} MB); split it or paste the text.",
        ),
    }
)


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps for zip-based documents; the defaults leave room for a 20 MB real plan."""

    max_unpacked_bytes: int = 256 * 1024 * 1024
    max_entries: int = 5000
    #: real documents nest a few dozen levels (tables in tables); libxml2 itself allows thousands
    max_xml_depth: int = 200


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()
_CHUNK = 1024 * 1024


class _DepthOnly:
    """A parser target that builds nothing: it counts nesting and refuses a DTD.

    No ``data`` method, so text is never handed to Python; only element starts and ends are.
    """

    def __init__(self, max_depth: int) -> None:
        self.depth = 0
        self.max_depth = max_depth

    def start(self, tag: str, attrib: object) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise ParseError("unsafe_xml", detail=f"nesting deeper than {self.max_depth}")

    def end(self, tag: str) -> None:
        self.depth -= 1

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        # Office Open XML and OFD never carry a DTD; one here is there to expand entities.
        raise ParseError("unsafe_xml", detail="DOCTYPE")

    def close(self) -> None:
        return None


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def check_archive(data: bytes, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS) -> None:
    """Raise ParseError unless the zip in ``data`` is within ``limits`` (see the module docstring)."""
    from lxml import etree

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise ParseError("malformed", detail=type(exc).__name__) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise ParseError("too_many_parts", max_entries=limits.max_entries)
        if sum(i.file_size for i in infos) > limits.max_unpacked_bytes:
            raise ParseError("too_large_unpacked", max_bytes=limits.max_unpacked_bytes)
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            parser = (
                etree.XMLParser(
                    target=_DepthOnly(limits.max_xml_depth),
                    resolve_entities=False,
                    no_network=True,
                    load_dtd=False,
                    huge_tree=False,
                )
                if _is_xml(info.filename)
                else None
            )
            try:
                with archive.open(info) as member:
                    while chunk := member.read(_CHUNK):
                        total += len(chunk)
                        # the header's sizes may lie: count what really comes out
                        if total > limits.max_unpacked_bytes:
                            raise ParseError("too_large_unpacked", max_bytes=limits.max_unpacked_bytes)
                        if parser is not None:
                            parser.feed(chunk)
                if parser is not None:
                    parser.close()
            except ParseError:
                raise
            except etree.XMLSyntaxError as exc:
                detail = "depth" if "depth" in str(exc).lower() else "XML"
                if detail == "depth":
                    raise ParseError("unsafe_xml", detail="nesting too deep") from None
                raise ParseError("malformed", detail=f"{info.filename}: XML") from None
            except filetype.ZIP_ERRORS as exc:
                raise ParseError("malformed", detail=type(exc).__name__) from None


# --- the child process -----------------------------------------------------------------------------
@dataclass
class Usage:
    """What a limited run cost: wall time and the child's peak resident memory."""

    seconds: float
    peak_rss_bytes: int


def _current_rss_and_vsize() -> tuple[int, int]:
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm") as statm:
        vsize_pages, rss_pages = (int(v) for v in statm.read().split()[:2])
    return rss_pages * page, vsize_pages * page


_deadline: float | None = None
_progress_fd: int | None = None


def report_progress(percent: int) -> None:
    """Inside a limited run: tell the parent how far the read has got (a no-op elsewhere)."""
    if _progress_fd is not None:
        os.write(_progress_fd, b"P" + bytes([max(0, min(100, percent))]))


def seconds_left(default: float) -> float:
    """Time left before this limited run is killed (``default`` outside one), so that a step
    with its own timeout (LibreOffice) ends, and cleans up, before the whole child is killed."""
    if _deadline is None:
        return default
    return min(default, max(1.0, _deadline - time.monotonic() - 1.0))


def _child(
    fn: Callable[..., Any], args: tuple[Any, ...], memory_bytes: int | None, out: int, deadline: float
) -> None:
    global _deadline, _progress_fd
    _deadline = deadline
    _progress_fd = out
    if memory_bytes:
        rss, vsize = _current_rss_and_vsize()
        # The child starts as a copy of the parent; it may grow by what keeps its resident set
        # under ``memory_bytes`` (at least 64 MB so that a fat parent can still parse small files).
        allowance = max(memory_bytes - rss, 64 * 1024 * 1024)
        resource.setrlimit(resource.RLIMIT_AS, (vsize + allowance, vsize + allowance))
    try:
        outcome: tuple[str, Any] = ("ok", fn(*args))
    except ParseError as error:
        outcome = ("parse_error", (error.code, error.params))
    except MemoryError:
        outcome = ("memory", None)
    except RecursionError:
        outcome = ("parse_error", ("malformed", {"detail": "nesting too deep"}))
    except BaseException as exc:  # reported to the parent, which raises it as a clear error
        outcome = ("error", f"{type(exc).__name__}: {exc}"[:500])
    try:
        payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        payload = pickle.dumps(("memory", None))
    view = memoryview(b"R" + payload)  # progress frames ("P" + a byte) come before the result
    while view:
        written = os.write(out, view)
        view = view[written:]


def run_limited(
    fn: Callable[..., Any],
    *args: Any,
    seconds: float,
    memory_bytes: int | None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[Any, Usage]:
    """``fn(*args)`` in a forked child under a memory cap and a deadline; ``on_progress`` gets the
    percentages the child reports (``report_progress``) while it runs.

    Returns (result, usage); raises ParseError ``too_slow`` / ``too_much_memory`` when a limit is
    hit, the ParseError the child raised, or RuntimeError for anything else that went wrong there.
    The result must pickle; the child touches no database connection (it only parses).
    """
    started = time.monotonic()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, whose coverage is not collected
        status = 0
        try:
            os.close(read_end)
            _child(fn, args, memory_bytes, write_end, started + seconds)
        except BaseException:
            status = 1
        finally:
            # never run the parent's atexit handlers or close its database connections
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    pending = b""  # bytes before the result frame: progress frames, possibly cut in two
    timed_out = False
    try:
        deadline = started + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _w, _x = select.select([read_end], [], [], remaining)
            if not ready:
                timed_out = True
                break
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            if chunks:
                chunks.append(chunk)
                continue
            pending += chunk
            while pending[:1] == b"P" and len(pending) >= 2:
                if on_progress is not None:
                    on_progress(pending[1])
                pending = pending[2:]
            if pending[:1] == b"R":
                chunks.append(pending[1:])
    finally:
        os.close(read_end)
        if timed_out:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _pid, status, rusage = os.wait4(pid, 0)
    usage = Usage(seconds=time.monotonic() - started, peak_rss_bytes=rusage.ru_maxrss * 1024)
    megabytes = (memory_bytes or 0) // (1024 * 1024)
    if timed_out:
        raise _with_usage(ParseError("too_slow", seconds=int(seconds)), usage)
    if not chunks or chunks == [b""]:
        if os.WIFSIGNALED(status):  # killed before it could answer: the kernel's OOM killer, a C crash
            raise _with_usage(ParseError("too_much_memory", megabytes=megabytes), usage)
        raise RuntimeError("the parser process ended without an answer")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "ok":
        return value, usage
    if kind == "parse_error":
        code, params = value
        raise _with_usage(ParseError(code, **params), usage)
    if kind == "memory":
        raise _with_usage(ParseError("too_much_memory", megabytes=megabytes), usage)
    raise RuntimeError(f"the parser failed: {value}")


def _with_usage(error: ParseError, usage: Usage) -> ParseError:
    """The error, carrying what the child cost (``error.usage``) for the job's record and the tests."""
    error.usage = usage  # type: ignore[attr-defined]
    return error
