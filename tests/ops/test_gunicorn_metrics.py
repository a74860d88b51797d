"""gunicorn with deploy/gunicorn.conf.py (one scrape sums all workers), and deploy/nginx.conf in front."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..support.processes import PYTHON, ROOT, clean_env, free_port, http_status, migrated_sqlite, spawn, stop


@dataclass
class Server:
    base: str
    port: int
    metrics_dir: Path


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = clean_env(
        tmp_path,
        keep=("PROMETHEUS_",),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="3",
        DJANGO_DEBUG="1",
    )
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "stale_123.db").write_bytes(b"left from a previous run")
    migrated_sqlite(tmp_path / "var" / "ipplan.sqlite3")
    gunicorn = spawn(
        [PYTHON, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"],
        env,
        tmp_path / "gunicorn.log",
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while http_status(f"{base}/healthz")[0] != 200:
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.5)
        yield Server(base=base, port=port, metrics_dir=tmp_path / "metrics")
    finally:
        stop(gunicorn)


@pytest.mark.embedded
@pytest.mark.slow
def test_metrics_sum_every_gunicorn_worker(gunicorn_server: Server) -> None:
    base = gunicorn_server.base
    assert not (gunicorn_server.metrics_dir / "stale_123.db").exists()  # emptied at start
    # Requests in parallel, in rounds, until two workers have answered (one worker may take a
    # whole sequential run): the scrape must then count every request, whichever worker took it.
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        while sent < 600:
            statuses = list(pool.map(lambda _: http_status(f"{base}/accounts/login/")[0], range(40)))
            assert statuses == [200] * 40
            sent += 40
            if len(list(gunicorn_server.metrics_dir.glob("histogram_*.db"))) >= 2:
                break
    status, text = http_status(f"{base}/metrics")
    assert status == 200
    line = next(
        row
        for row in text.splitlines()
        if row.startswith("ipplan_http_request_duration_seconds_count")
        and 'route="/accounts/login/"' in row
        and 'status="200"' in row
    )
    assert float(line.rsplit(" ", 1)[1]) == sent  # whichever worker answered each request
    files = list(gunicorn_server.metrics_dir.glob("histogram_*.db"))
    assert len(files) >= 2, files  # several workers wrote their share


def post(url: str, size: int) -> int:
    request = urllib.request.Request(url, data=b"x" * size, method="POST")
    request.add_header("Content-Type", "application/octet-stream")
    return http_status(request, timeout=30)[0]


@pytest.mark.embedded
@pytest.mark.slow
def test_nginx_conf_in_front_of_gunicorn(gunicorn_server: Server, tmp_path: Path) -> None:
    """deploy/nginx.conf with Debian's nginx: the upstream points at the gunicorn above (Docker's
    DNS and the ``resolve`` of nginx ≥ 1.27.3 replaced), the static alias at the repository's files."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    port = free_port()
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    conf = conf.replace("resolver 127.0.0.11 valid=10s ipv6=off;", "")
    conf = conf.replace("server web:8000 resolve", f"server 127.0.0.1:{gunicorn_server.port}")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
    conf = conf.replace("alias /srv/static/;", f"alias {ROOT / 'static'}/;")
    (tmp_path / "site.conf").write_text(conf)
    temp = " ".join(
        f"{kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'}; daemon off;\n"
        f"events {{}}\nhttp {{ include /etc/nginx/mime.types; access_log off; {temp}\n"
        f"include {tmp_path / 'site.conf'}; }}\n"
    )
    process = subprocess.Popen([nginx, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)])
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while http_status(f"{base}/healthz")[0] != 200:
            assert process.poll() is None, (tmp_path / "error.log").read_text()
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.3)
        assert http_status(f"{base}/accounts/login/")[0] == 200  # proxied
        static = next((ROOT / "static").rglob("*.css"))
        status, body = http_status(f"{base}/static/{static.relative_to(ROOT / 'static')}")
        assert status == 200 and body == static.read_text(encoding="utf-8")  # served by nginx
        assert http_status(f"{base}/metrics")[0] == 404  # never through the proxy
        # body limits: nginx refuses past ipplan's limits, per location
        assert post(f"{base}/accounts/login/", 3 * 1024 * 1024) == 413
        assert post(f"{base}/tasks/1/reports/", 3 * 1024 * 1024) != 413  # 205 MB allowed there
        assert post(f"{base}/api/v1/imports/", 22 * 1024 * 1024) == 413
    finally:
        process.terminate()
        process.wait(timeout=20)
