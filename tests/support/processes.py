"""Processes a test starts (``manage.py``, Celery workers, brokers, servers) and how it stops them.

Each server runs in its own process group (``spawn``), so that one signal reaches it and all its
children; ``stop`` signals the group and kills it outright when it outlives its time. The
environment of a subprocess is ``clean_env``: the embedded defaults in the test's own data
directory, whatever this run itself is configured with.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable

# Tests that start a Redis server of their own (a broker for the workers they start).
needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="needs redis-server (Debian: redis-server) to start a broker"
)
# The module marks of a test file whose workers run on such a broker.
BROKER_MODULE_MARKS = [pytest.mark.slow, pytest.mark.redis, needs_redis_server]


def manage(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def marked(result: subprocess.CompletedProcess[str], mark: str) -> dict[str, Any]:
    """The JSON a ``manage.py shell`` script printed on its line starting with ``mark``."""
    for line in result.stdout.splitlines():
        if line.startswith(mark + " "):
            return dict(json.loads(line[len(mark) + 1 :]))
    raise AssertionError(f"no {mark} line:\n{result.stdout}\n{result.stderr[-3000:]}")


def clean_env(tmp_path: Path, *, keep: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """The embedded defaults in a fresh data directory, whatever the test run itself uses
    (variables starting with one of ``keep`` are dropped too)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "REDIS_", "IPPLAN_", *keep))
    }
    env["IPPLAN_DATA_DIR"] = str(tmp_path / "var")
    env.update(extra)
    return env


_migrated: list[Path] = []  # the migrated template of this test process, once made


def migrated_sqlite(target: Path) -> None:
    """A SQLite database at ``target`` with every migration applied, as ``manage.py migrate`` on an
    empty file leaves it: a copy of a template this test process migrated once (the migrations do
    not depend on the settings they run under, so one template serves every test)."""
    if not _migrated:
        folder = Path(tempfile.mkdtemp(prefix="ipplan-migrated-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "template.sqlite3"
        env = clean_env(folder, DATABASE_URL=f"sqlite:///{template}")
        result = manage("migrate", "--noinput", env=env, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        _migrated.append(template)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the backup API copies a consistent database whatever journal mode it is in
    with (
        contextlib.closing(sqlite3.connect(_migrated[0])) as source,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` in its own process group, output to ``log``, so one signal stops it all."""
    with log.open("w") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Send ``sig`` to the process group of ``proc`` and wait; SIGKILL it if it outlives ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate, timeout: float, interval: float = 0.5) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``predicate()`` came true within ``timeout`` seconds, asked every ``interval``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
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


def ready_worker(
    command: list[str], env: dict[str, str], log: Path, timeout: float = 90
) -> subprocess.Popen[bytes]:
    """A Celery worker spawned from ``command`` that has said it is ready (and is still running)."""
    return ready_workers([(command, log)], env, timeout)[0]


def ready_workers(
    commands: list[tuple[list[str], Path]], env: dict[str, str], timeout: float = 90
) -> list[subprocess.Popen[bytes]]:
    """Celery workers spawned at once, each from its command with its log, that have all said they
    are ready (and are still running)."""
    procs = [spawn(command, env, log) for command, log in commands]
    try:
        for proc, (_command, log) in zip(procs, commands, strict=True):
            said = lambda proc=proc, log=log: "ready." in log.read_text() or proc.poll() is not None  # noqa: E731
            assert wait_for(said, timeout), log.read_text()[-3000:]
            assert "ready." in log.read_text() and proc.poll() is None, log.read_text()[-3000:]
    except BaseException:
        for proc in procs:
            stop(proc)
        raise
    return procs


def reconnected(proc: subprocess.Popen[bytes], log: Path, broker: str, timeout: float) -> bool:
    """Whether a worker whose broker went away and came back is connected to ``broker`` again
    within ``timeout``: Celery 5.x may instead stop with "Unrecoverable error" when the broker
    vanishes while it acks, and the process supervisor (compose "restart:", systemd) starts it."""
    done = lambda: f"Connected to {broker}" in after_broker_lost(log)  # noqa: E731
    wait_for(lambda: proc.poll() is not None or done(), timeout)
    return proc.poll() is None and done()


def after_broker_lost(log: Path) -> str:
    """What a worker logged since it lost its broker ("" while it has not)."""
    text = log.read_text(errors="replace")
    return text.split("Connection to broker lost", 1)[-1] if "Connection to broker lost" in text else ""


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


def http_status(request: str | urllib.request.Request, timeout: float = 10) -> tuple[int, str]:
    """The status and text of an HTTP request: the error's status when refused, 0 when unreachable."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


class BrokerStack:
    """A SQLite database file and a Redis server of one test's own, for the ``manage.py`` and
    Celery processes it starts (so it runs the same in the PostgreSQL and the SQLite run)."""

    def __init__(self, tmp_path: Path, database: str, **env: str) -> None:
        self.tmp = tmp_path
        self.db = tmp_path / database
        self.redis_port = free_port()
        self.env = clean_env(
            tmp_path,
            DATABASE_URL=f"sqlite:///{self.db}",
            CELERY_BROKER_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            **env,
        )
        self.redis: subprocess.Popen[bytes] | None = None

    def start_redis(self) -> None:
        self.redis = redis_server(self.redis_port, self.env, self.tmp / f"redis-{time.monotonic_ns()}.log")

    def stop_redis(self) -> None:
        """SIGKILL: whatever Redis held is lost."""
        assert self.redis is not None
        stop(self.redis, signal.SIGKILL, timeout=10)
        self.redis = None

    def close(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            stop(self.redis)
