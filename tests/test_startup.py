"""Start-up: migrations, production checks, Celery beat ticks, and the one-command start itself."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

from ipplan.jobs import heartbeat
from ipplan.models import JobHeartbeat

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def manage(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The embedded defaults in a fresh data directory, whatever the test run itself uses."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "REDIS_", "IPPLAN_"))
    }
    env["IPPLAN_DATA_DIR"] = str(tmp_path / "var")
    env.update(extra)
    return env


def test_no_missing_migrations(tmp_path: Path) -> None:
    result = manage("makemigrations", "--check", "--dry-run", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


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


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` in its own process group, output to ``log``, so one signal stops it all."""
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def celery_worker(
    name: str, *, concurrency: int, beat_schedule: Path | None = None, solo_node: bool = False
) -> list[str]:
    """The command line of a Celery worker of ipplan (with beat when given its schedule file)."""
    command = [str(Path(PYTHON).parent / "celery"), "-A", "config", "worker"]
    if beat_schedule is not None:
        command += ["--beat", "-s", str(beat_schedule)]
    command += ["--loglevel=INFO", f"--concurrency={concurrency}", "--hostname", f"{name}-{os.getpid()}@%h"]
    if solo_node:  # no gossip or mingle with other workers: starts faster, nothing to share
        command += ["--without-gossip", "--without-mingle"]
    return command


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def redis_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A throw-away Redis on ``port`` (no persistence), started and answering."""
    proc = spawn(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        env,
        log,
    )
    assert wait_for(lambda: port_open(port), 20), log.read_text()[-3000:]
    return proc


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0


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


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.skipif(not redis_reachable(), reason="needs a Redis server on 127.0.0.1:6379")
def test_worker_with_beat_ticks_on_redis_broker(tmp_path: Path) -> None:
    """The production broker: a real worker with embedded beat on Redis records beat ticks."""
    env = clean_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
        IPPLAN_TICK_SECONDS="1",
    )
    assert manage("migrate", "--noinput", env=env).returncode == 0
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
    runs = manage(
        "shell",
        "-c",
        "from ipplan.models import JobHeartbeat; print(JobHeartbeat.objects.get(name='tick').runs)",
        env=env,
    )
    assert int(runs.stdout.strip().splitlines()[-1]) >= 2
