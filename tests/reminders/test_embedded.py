"""The embedded default: a worker with beat on the file-system broker sends the same reminders,
each once, with e-mails written to var/mail/ (no Redis, no SMTP server)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from ..support.processes import (
    celery_worker,
    clean_env,
    manage,
    migrated_sqlite,
    ready_worker,
    stop,
    wait_for,
)
from .test_workers import SETUP


@pytest.mark.embedded
@pytest.mark.slow
def test_embedded_default_worker_with_beat_on_the_file_system_broker(tmp_path: Path) -> None:
    """No Redis, no SMTP: the file-system broker, e-mails as files in var/mail/, beat in the worker."""
    env = clean_env(tmp_path, IPPLAN_DELIVERY_TICK_SECONDS="1", IPPLAN_LOG_LEVEL="INFO")
    migrated_sqlite(tmp_path / "var" / "ipplan.sqlite3")
    result = manage("shell", "-c", SETUP.replace("{count}", "50"), env=env, timeout=300)
    assert "tasks 50" in result.stdout, result.stdout + result.stderr
    log = tmp_path / "embedded.log"
    mail_dir = tmp_path / "var" / "mail"

    def mailed() -> Counter[str]:
        found: Counter[str] = Counter()
        for path in mail_dir.glob("*.log") if mail_dir.exists() else []:
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("X-Ipplan-Dedup-Key:"):
                    found[line.split(":", 1)[1].strip()] += 1
        return found

    command = celery_worker("embedded", concurrency=2, beat_schedule=tmp_path / "beat-schedule")
    proc = ready_worker(command, env, log, 60)
    try:
        enqueue = "from tasks.jobs import reminders_tick; reminders_tick.delay(as_of='2026-10-09')"
        for _ in range(2):  # the same day twice
            assert manage("shell", "-c", enqueue, env=env).returncode == 0
        assert wait_for(lambda: sum(mailed().values()) >= 50, 90), log.read_text()[-3000:]
        assert wait_for(lambda: "deliver" in log.read_text() and "beat" in log.read_text().lower(), 10)
        time.sleep(3)
    finally:
        # a warm shutdown with beat inside may wait on the file-system broker; the result is
        # already on disk, so do not wait long for it
        stop(proc, timeout=10)
    keys = mailed()
    assert len(keys) == 50 and max(keys.values()) == 1
