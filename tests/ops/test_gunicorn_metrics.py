"""gunicorn with deploy/gunicorn.conf.py and PROMETHEUS_MULTIPROC_DIR: one scrape sums all workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


@pytest.mark.slow
def test_metrics_sum_every_gunicorn_worker(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "REDIS_", "IPPLAN_", "PROMETHEUS_"))
    }
    port = free_port()
    env.update(
        IPPLAN_DATA_DIR=str(tmp_path / "var"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="3",
        DJANGO_DEBUG="1",
    )
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "stale_123.db").write_bytes(b"left from a previous run")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "ipplan.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while get(f"{base}/healthz")[0] != 200:
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.5)
        assert not (tmp_path / "metrics" / "stale_123.db").exists()  # emptied at start
        for _ in range(60):
            assert get(f"{base}/accounts/login/")[0] == 200
        status, text = get(f"{base}/metrics")
        assert status == 200
        line = next(
            row
            for row in text.splitlines()
            if row.startswith("ipplan_http_request_duration_seconds_count")
            and 'route="/accounts/login/"' in row
            and 'status="200"' in row
        )
        assert float(line.rsplit(" ", 1)[1]) == 60  # whichever worker answered each request
        files = list((tmp_path / "metrics").glob("histogram_*.db"))
        assert len(files) >= 2, files  # several workers wrote their share
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
            gunicorn.wait()
