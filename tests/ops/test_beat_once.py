"""Two beat processes: one sends the schedule, the other stands by and takes over when it stops."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from ..support.processes import PYTHON, clean_env, spawn, stop, wait_for

SENT = "Sending due task"


def beat_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # the same data directory for both beats: the file lock is shared
    return clean_env(
        tmp_path,
        IPPLAN_TICK_SECONDS="1",
        IPPLAN_DELIVERY_TICK_SECONDS="1",
        IPPLAN_WEBHOOK_TICK_SECONDS="1",
        **extra,
    )


def start_beat(tmp_path: Path, name: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / f"{name}.log"
    command = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "config",
        "beat",
        "--loglevel=INFO",
        f"--schedule={tmp_path / name}-schedule",
    ]
    return spawn(command, env, log), log


def wait_for_text(log: Path, text: str, timeout: float, count: int = 1) -> bool:
    return wait_for(lambda: log.read_text(errors="replace").count(text) >= count, timeout)


def end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        stop(process, timeout=20)


def _redis_lock_env() -> dict[str, str]:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs REDIS_URL (a reachable Redis server)")
    import redis

    redis.Redis.from_url(url).delete("ipplan:celery-beat-lock")
    return {"REDIS_URL": url, "IPPLAN_BEAT_LOCK": "redis", "IPPLAN_BEAT_LOCK_SECONDS": "3"}


@pytest.mark.slow
@pytest.mark.parametrize("lock", ["file", pytest.param("redis", marks=pytest.mark.redis)])
def test_second_beat_sends_nothing_and_takes_over(tmp_path: Path, lock: str) -> None:
    # a stand-by asks for the lock every third of IPPLAN_BEAT_LOCK_SECONDS (the file lock's only use
    # of it): 3 s, so it asks every second instead of every 20 s
    file_lock = {"IPPLAN_BEAT_LOCK": "file", "IPPLAN_BEAT_LOCK_SECONDS": "3"}
    env = beat_env(tmp_path, **(_redis_lock_env() if lock == "redis" else file_lock))
    first, first_log = start_beat(tmp_path, "first", env)
    second = None
    try:
        assert wait_for_text(first_log, f"holds the {lock} lock", 90), first_log.read_text()
        assert wait_for_text(first_log, SENT, 30), first_log.read_text()
        second, second_log = start_beat(tmp_path, "second", env)
        assert wait_for_text(second_log, "stands by", 90), second_log.read_text()
        # several ticks of the 1-second schedule: only the first beat sends them
        sent_before = first_log.read_text().count(SENT)
        assert wait_for_text(first_log, SENT, 30, count=sent_before + 6), first_log.read_text()
        assert SENT not in second_log.read_text()
        assert second.poll() is None

        if lock == "redis":
            # killed without a chance to release: the stand-by waits out the lock's time-out (3 s)
            stop(first, signal.SIGKILL)
        else:
            end(first)  # SIGTERM: the lock is released (and the kernel would free it anyway)
        assert wait_for_text(second_log, f"holds the {lock} lock", 30), second_log.read_text()
        assert wait_for_text(second_log, SENT, 30), second_log.read_text()
    finally:
        end(first)
        if second is not None:
            end(second)
