"""The restore drill with the files in an object store: back up, drop the database and empty the
bucket, restore; row counts and file checksums equal (the commands run in child processes with
``IPPLAN_STORAGE=s3``, as the README documents)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..ops.test_backup_restore import child_env, run, snapshot
from ..support.processes import migrated_sqlite
from .conftest import S3


@pytest.mark.embedded
@pytest.mark.slow
def test_restore_drill_with_an_object_store(tmp_path: Path, s3: S3) -> None:
    env = child_env(tmp_path, None) | s3.env()
    migrated_sqlite(tmp_path / "var" / "ipplan.sqlite3")
    run(env, "load_demo")
    run(env, "-m", "tests.ops.drill", "reports")
    before = snapshot(env)
    assert before["counts"]["tasks_attachment"] == 8 and len(before["files"]) == 8
    assert s3.objects() == sorted(before["files"])  # in the bucket, not on this host's disk
    assert not (tmp_path / "var" / "media").exists()

    backup_dir = tmp_path / "backup"
    assert "backup written" in run(env, "backup", str(backup_dir)).stdout
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(f["name"] for f in manifest["files"]) == sorted(before["files"])

    # drop everything: the database file and every object of the bucket
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / "var" / f"ipplan.sqlite3{suffix}").unlink(missing_ok=True)
    for key in s3.objects():
        s3.client.delete_object(Bucket=s3.bucket, Key=key)
    # an object that is not in the backup goes too
    s3.client.put_object(Bucket=s3.bucket, Key="attachments/stray", Body=b"not in the backup")

    out = run(env, "restore", str(backup_dir), "--noinput").stdout
    assert "row counts equal the manifest" in out
    after = snapshot(env)
    assert after["counts"] == before["counts"]
    assert after["files"] == before["files"]
    assert s3.objects() == sorted(before["files"])
