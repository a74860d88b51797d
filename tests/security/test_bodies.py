"""Hole 2: request bodies are refused past the limit of their path before anything parses them.

The resource test runs the production configuration under gunicorn (DJANGO_DEBUG=0, behind a
TLS proxy) and sends the attack that was found: one urlencoded POST of 57 MB to the login page
with a CSRF cookie and a Referer. It must get a clear 413, and the worker's peak resident memory
(VmHWM) stays under 512 MB; the figures are printed. The worker runs under a 3 GB address-space
limit so that the unfixed code fails the test instead of taking the machine's memory.
"""

from __future__ import annotations

import io
import re
import resource
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.module_loading import import_string

from ipplan.middleware import RequestBodyLimitMiddleware, body_limit
from tasks.models import Attachment

from ..conftest import World
from ..support.processes import ROOT, clean_env, free_port, port_open, stop, wait_for

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
MB = 1024 * 1024
CSRF = "a" * 32
WORKER_MEMORY_LIMIT = 512 * MB


def _worker_pid(master: int) -> int | None:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def vm_hwm(pid: int) -> int:
    """Peak resident memory of a process, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    assert match, status
    return int(match.group(1)) * 1024


class Server:
    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.port, self.process, self.log = port, process, log

    @property
    def worker(self) -> int:
        pid = _worker_pid(self.process.pid)
        assert pid is not None, self.log.read_text()
        return pid

    def send(self, head: str, chunks: Iterator[bytes], timeout: float = 60) -> tuple[int, bytes]:
        """Send a request (the head, then the body chunk by chunk, stopping as soon as the server
        answers or closes) and return the status and the answer."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        answer = b""
        try:
            sock.sendall(head.encode("latin-1"))
            for chunk in chunks:
                readable, _w, _x = select.select([sock], [], [], 0)
                if readable:
                    break
                try:
                    sock.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer and len(answer) > answer.index(b"\r\n\r\n") + 4 + 10:
                    break
        finally:
            sock.close()
        match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
        assert match, answer[:200]
        return int(match.group(1)), answer


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 * MB, 3 * 1024 * MB))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = clean_env(
        tmp,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x7Hq2v9KpL4mN8rT1wZ6bY3cF5gJ0dS2aE4uI7oP9kM1nB6vC8xQ3zR5tW7yU9hG",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{port}",
        DJANGO_BEHIND_TLS_PROXY="1",
        DATABASE_URL=f"sqlite:///{tmp / 'prod.sqlite3'}",
    )
    log = tmp / "gunicorn.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                GUNICORN,
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_limit_memory,  # only sets an rlimit before exec
        )
    wait_for(lambda: port_open(port), 30)
    srv = Server(port, process, log)
    try:
        # a first request loads the application in the worker
        status, _answer = srv.send(
            f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Forwarded-Proto: https\r\n"
            "Connection: close\r\n\r\n",
            iter(()),
        )
        assert status == 200, log.read_text()
        yield srv
    finally:
        stop(process, timeout=20)


def _login_head(port: int, length: int | None, *, chunked: bool = False) -> str:
    framing = "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {length}\r\n"
    return (
        f"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "X-Forwarded-Proto: https\r\nAccept-Language: zh-hans\r\n"
        f"Referer: https://127.0.0.1:{port}/accounts/login/\r\nCookie: csrftoken={CSRF}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{framing}Connection: close\r\n\r\n"
    )


@pytest.mark.embedded
def test_a_57_mb_login_post_gets_413_and_the_worker_stays_small(server: Server) -> None:
    size = 57 * MB
    prefix = f"csrfmiddlewaretoken={CSRF}&username=attacker&password=".encode()
    body_chunk = b"a=" + b"x" * (MB - 3) + b"&"

    def chunks() -> Iterator[bytes]:
        yield prefix
        sent = len(prefix)
        while sent < size:
            part = body_chunk[: size - sent]
            sent += len(part)
            yield part

    worker = server.worker
    before = vm_hwm(worker)
    started = time.monotonic()
    status, answer = server.send(_login_head(server.port, size), chunks())
    elapsed = time.monotonic() - started
    peak = vm_hwm(worker)
    print(
        f"\n57 MB login POST: HTTP {status} in {elapsed:.2f} s; worker VmHWM {before / MB:.0f} MB before, "
        f"{peak / MB:.0f} MB after (limit {WORKER_MEMORY_LIMIT / MB:.0f} MB)"
    )
    assert status == 413, answer[:500]
    assert "提交的内容过大".encode() in answer
    assert peak < WORKER_MEMORY_LIMIT
    assert server.worker == worker  # the same worker answered: it was not killed


@pytest.mark.embedded
def test_a_chunked_body_over_the_limit_gets_413(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        piece = b"x" * (256 * 1024)
        for _ in range(16):  # 4 MB, over the 2.5 MB default
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        yield b"0\r\n\r\n"

    worker = server.worker
    status, answer = server.send(_login_head(server.port, None, chunked=True), chunks())
    print(f"\n4 MB chunked login POST: HTTP {status}; worker VmHWM {vm_hwm(worker) / MB:.0f} MB")
    assert status == 413, answer[:500]


# --- the limits per path, in process -----------------------------------------------------------


def _through(request: HttpRequest) -> HttpResponse:
    """The middleware around a view that reports what it parsed."""
    seen: dict[str, Any] = {}

    def view(req: HttpRequest) -> HttpResponse:
        seen["handlers"] = [type(handler) for handler in req.upload_handlers]
        seen["post"] = dict(req.POST)
        return HttpResponse("ok")

    response = RequestBodyLimitMiddleware(view)(request)
    response.seen = seen  # type: ignore[attr-defined]
    return response  # type: ignore[return-value]


def test_each_path_has_its_limit(settings: Any) -> None:
    assert body_limit("/accounts/login/")[0] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert body_limit("/tasks/7/reports/")[0] == settings.IPPLAN_REPORT_MAX_BODY_BYTES == 205 * MB
    assert body_limit("/api/v1/tasks/7/reports/")[0] == 205 * MB
    for path in ("/plans/import/", "/plans/3/reimport/", "/api/v1/imports/"):
        assert body_limit(path)[0] == settings.IPPLAN_IMPORT_MAX_BODY_BYTES == 21 * MB
    for path in ("/tasks/7/progress/", "/api/v1/tasks/7/", "/api/v1/imports/3/commit/", "/admin/"):
        assert body_limit(path)[0] == 2_621_440


def test_declared_lengths_over_the_limit_are_refused_before_parsing(world: World) -> None:
    client = Client()
    cases = [
        ("/accounts/login/", 2_621_441),
        (reverse("tasks:task_progress", args=[world.task.pk]), 3 * MB),
        (reverse("tasks:report_submit", args=[world.task.pk]), 205 * MB + 1),
        (reverse("tasks:import_start"), 21 * MB + 1),
    ]
    for path, length in cases:
        response = client.post(path, {"a": "b"}, CONTENT_LENGTH=str(length))
        assert response.status_code == 413, path
        assert "提交的内容过大" in response.content.decode()
    api = client.post("/api/v1/imports/", b"{}", content_type="application/json", CONTENT_LENGTH=str(22 * MB))
    assert api.status_code == 413 and api["Content-Type"] == "application/problem+json"
    assert api.json()["code"] == "too_large" and api.json()["max_bytes"] == 21 * MB
    english = client.post("/accounts/login/", {"a": "b"}, CONTENT_LENGTH="3000000", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 413 and "too large" in english.content.decode()
    assert client.post("/accounts/login/", {"a": "b"}, CONTENT_LENGTH="-5").status_code == 400


def test_a_form_field_over_the_limit_on_an_upload_path_is_a_clear_413(world: World) -> None:
    client = Client()
    client.force_login(world.users["bureau"])
    response = client.post(reverse("tasks:import_start"), {"text": "一、" + "字" * (1024 * 1024)})
    assert response.status_code == 413 and "提交的内容过大" in response.content.decode()


def test_upload_paths_stream_files_to_disk(settings: Any) -> None:
    factory = RequestFactory()
    for path in ("/tasks/7/reports/", "/api/v1/tasks/7/reports/", "/plans/import/", "/plans/3/reimport/"):
        seen = _through(factory.post(path, {"text": "进展"})).seen  # type: ignore[attr-defined]
        assert seen["handlers"] == [TemporaryFileUploadHandler], path
    defaults = [import_string(name) for name in settings.FILE_UPLOAD_HANDLERS]
    other = _through(factory.post("/tasks/7/progress/", {"progress": "40"}))
    assert other.seen["handlers"] == defaults  # type: ignore[attr-defined]


def test_a_report_with_a_large_evidence_file_is_accepted(world: World) -> None:
    """6 MB of evidence: over the 2.5 MB of other paths, within the report's own limit."""
    client = Client()
    client.force_login(world.users["staff"])
    content = ("第一季度工作进展说明。\n" * 300_000).encode()
    assert len(content) > 6 * MB
    response = client.post(
        reverse("tasks:report_submit", args=[world.task.pk]),
        {
            "text": "进展",
            "period": "2026-10",
            "percent": "30",
            "files": [SimpleUploadedFile("说明.txt", content)],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Attachment.objects.get().size == len(content)


def test_a_chunked_body_under_the_limit_reaches_the_view() -> None:
    body = b"progress=40&note=" + b"y" * 100_000
    request = RequestFactory().generic(
        "POST", "/tasks/7/progress/", b"-", content_type="application/x-www-form-urlencoded"
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    request.META["wsgi.input"] = io.BytesIO(body)
    response = _through(request)
    assert response.status_code == 200
    assert response.seen["post"]["progress"] == ["40"] and len(response.seen["post"]["note"][0]) == 100_000  # type: ignore[attr-defined]
