"""The restore drill: demo data and reports with files, back up, drop everything, restore, compare.

Each drill runs the real commands in child processes against its own database (a new PostgreSQL
database beside the test database, or a new SQLite file) and its own data directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from ..support.processes import migrated_sqlite
from .drill import pg_admin

ROOT = Path(__file__).resolve().parent.parent.parent


def child_env(tmp_path: Path, database_url: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_", "REDIS_", "IPPLAN_"))
    }
    env["IPPLAN_DATA_DIR"] = str(tmp_path / "var")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, *args] if args[0] == "-m" else [sys.executable, "manage.py", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if ok:
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def snapshot(env: dict[str, str]) -> dict:
    return json.loads(run(env, "-m", "tests.ops.drill", "snapshot").stdout)


def drill(tmp_path: Path, env: dict[str, str], drop_database: Callable[[], None]) -> None:
    """The drill on a migrated, empty database."""
    run(env, "load_demo")
    run(env, "-m", "tests.ops.drill", "reports")
    before = snapshot(env)
    assert before["counts"]["tasks_progressreport"] == 4 and before["counts"]["tasks_attachment"] == 8
    assert len(before["files"]) == 8 and before["counts"]["tasks_task"] > 50

    backup_dir = tmp_path / "backup"
    out = run(env, "backup", str(backup_dir)).stdout
    assert "backup written" in out
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["files"]) == 8
    assert manifest["row_counts"]["tasks_attachment"] == 8
    # a second backup into the same folder is refused
    again = run(env, "backup", str(backup_dir), ok=False)
    assert again.returncode != 0 and "not an empty folder" in again.stderr

    # drop everything: the database and every stored file
    drop_database()
    shutil.rmtree(tmp_path / "var" / "media")

    out = run(env, "restore", str(backup_dir), "--noinput").stdout
    assert "row counts equal the manifest" in out
    after = snapshot(env)
    assert after["counts"] == before["counts"]
    assert after["files"] == before["files"]

    # an altered file in the backup: refused, naming it, and nothing changes
    altered = backup_dir / "media" / manifest["files"][3]["name"]
    altered.write_bytes(altered.read_bytes()[:-1] + b"!")
    refused = run(env, "restore", str(backup_dir), "--noinput", ok=False)
    assert refused.returncode != 0
    assert "checksum mismatch" in refused.stderr and manifest["files"][3]["name"] in refused.stderr
    assert snapshot(env) == after
    verify_only = run(env, "restore", str(backup_dir), "--verify-only", ok=False)
    assert verify_only.returncode != 0 and "does not match its manifest" in verify_only.stderr


@pytest.mark.embedded
@pytest.mark.slow
def test_restore_drill_sqlite(tmp_path: Path) -> None:
    env = child_env(tmp_path, None)
    migrated_sqlite(tmp_path / "var" / "ipplan.sqlite3")

    def drop_database() -> None:
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / "var" / f"ipplan.sqlite3{suffix}").unlink(missing_ok=True)

    drill(tmp_path, env, drop_database)


@pytest.mark.slow
@pytest.mark.postgres
def test_restore_drill_postgresql(tmp_path: Path) -> None:
    params = connection.settings_dict
    name = f"{params['NAME']}_drill_{uuid.uuid4().hex[:8]}"

    def admin(sql: str) -> None:
        pg_admin(params, sql)

    admin(f'CREATE DATABASE "{name}"')
    user = params["USER"] or "postgres"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    url = f"postgres://{user}{password}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/{name}"
    try:
        env = child_env(tmp_path, url)
        run(env, "migrate", "--noinput")

        def drop_database() -> None:
            admin(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin(f'CREATE DATABASE "{name}"')

        drill(tmp_path, env, drop_database)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
