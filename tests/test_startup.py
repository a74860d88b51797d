"""Start-up: migrations, production checks, Celery beat ticks, and the one-command start itself."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from ipplan.jobs import heartbeat
from ipplan.models import JobHeartbeat

from .support.processes import (
    celery_worker,
    clean_env,
    free_port,
    manage,
    migrated_sqlite,
    needs_redis_server,
    redis_server,
    spawn,
    wait_for,
)


@pytest.mark.embedded
def test_no_missing_migrations(tmp_path: Path) -> None:
    result = manage("makemigrations", "--check", "--dry-run", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.embedded
def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x7Hq2v9KpL4mN8rT1wZ6bY3cF5gJ0dS2aE4uI7oP9kM1nB6vC8xQ3zR5tW7yU9hG",
        DJANGO_ALLOWED_HOSTS="ipplan.example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        REDIS_URL="redis://127.0.0.1:6379/1",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp://mail.example.gov.cn:25",
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.embedded
def test_check_deploy_complains_in_debug(tmp_path: Path) -> None:
    result = manage("check", "--deploy", env=clean_env(tmp_path, DJANGO_DEBUG="1"))
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on in deployment


@pytest.mark.django_db
def test_heartbeat_job_records_each_tick() -> None:
    heartbeat.apply()
    heartbeat.apply()
    beat = JobHeartbeat.objects.get(name="tick")
    assert beat.runs == 2


@pytest.mark.django_db
def test_load_demo_is_idempotent() -> None:
    from django.db.models import Count

    from departments.models import Department, User
    from tasks.models import Plan, Task

    call_command("load_demo", verbosity=0)
    counts = (Department.objects.count(), User.objects.count(), Plan.objects.count(), Task.objects.count())
    call_command("load_demo", verbosity=0)
    assert (
        Department.objects.count(),
        User.objects.count(),
        Plan.objects.count(),
        Task.objects.count(),
    ) == counts
    assert set(User.objects.values_list("role", flat=True)) == {
        "admin",
        "security_admin",
        "audit_admin",
        "bureau",
        "leader",
        "dept_head",
        "dept_staff",
    }
    assert User.objects.get(username="province").region.name == "广东省"
    assert Department.objects.filter(region__name="珠海市", name="市科技创新局").exists()
    assert Department.objects.filter(region__name="东莞市", aliases__name="经信局").exists()
    # the five seed plans, imported with every department resolved (load_demo refuses otherwise)
    counts = dict(Plan.objects.values_list("region__name").annotate(n=Count("tasks")))
    assert counts == {"东莞市": 80, "哈尔滨市": 15, "舞钢市": 8, "广州市": 12, "珠海市": 20}
    assert Task.objects.filter(plan__region__name="东莞市", due_date__isnull=False).count() == 80


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0


@pytest.mark.embedded
@pytest.mark.slow
def test_run_command_serves_login_and_admin_and_beat_ticks(tmp_path: Path) -> None:
    """``bin/serve`` from an empty data directory: pages within 90 s, a beat tick in its log,
    and one signal stops the web server and the worker together."""
    port = free_port()
    log = tmp_path / "serve.log"
    env = clean_env(tmp_path, IPPLAN_SKIP_INSTALL="1", PORT=str(port), IPPLAN_TICK_SECONDS="2")
    started = time.monotonic()
    proc = spawn(["bash", "bin/serve"], env, log)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: fetch(f"{base}/accounts/login/") == 200, 90), log.read_text()[-3000:]
        assert fetch(f"{base}/admin/login/") == 200
        assert fetch(f"{base}/static/vendor/bootstrap-5.3.8/css/bootstrap.min.css") == 200
        elapsed = time.monotonic() - started
        assert elapsed < 90
        assert wait_for(lambda: "beat tick" in log.read_text(), 60), log.read_text()[-3000:]
        print(f"\nrun command: login page after {elapsed:.1f}s")
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert wait_for(lambda: fetch(f"http://127.0.0.1:{port}/healthz") == 0, 15)

    def group_empty() -> bool:
        return subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True).returncode == 1

    assert wait_for(group_empty, 30), "processes left 30 s after Ctrl-C"
    assert re.search(r"demo data ready", log.read_text())


@pytest.mark.django_db
def test_createsuperuser_makes_an_administrator() -> None:
    from departments.models import User

    user = User.objects.create_superuser("root", "root@example.org", "a-long-admin-passphrase")
    assert (user.role, user.is_superuser, user.is_staff) == ("admin", True, True)


@pytest.mark.embedded
@pytest.mark.slow
@pytest.mark.redis
@needs_redis_server
def test_worker_with_beat_ticks_on_redis_broker(tmp_path: Path) -> None:
    """The production broker: a real worker with embedded beat on Redis records beat ticks.
    The Redis is the test's own (a free port), so that parallel runs never share its queues."""
    redis_port = free_port()
    env = clean_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
        IPPLAN_TICK_SECONDS="1",
    )
    redis = redis_server(redis_port, env, tmp_path / "redis.log")
    migrated_sqlite(tmp_path / "worker.sqlite3")
    log = tmp_path / "worker.log"
    proc = spawn(
        celery_worker("test", concurrency=1, beat_schedule=tmp_path / "beat-schedule"),
        env,
        log,
    )
    try:
        assert wait_for(lambda: log.read_text().count("beat tick: tick run") >= 2, 60), log.read_text()[
            -3000:
        ]
        assert "Connected to redis://" in log.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=30)
    runs = manage(
        "shell",
        "-c",
        "from ipplan.models import JobHeartbeat; print(JobHeartbeat.objects.get(name='tick').runs)",
        env=env,
    )
    assert int(runs.stdout.strip().splitlines()[-1]) >= 2
