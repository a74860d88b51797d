"""``manage.py storage_copy``: local files into the object store (and back), checked, resumable."""

from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from .conftest import S3

FILES = {
    "attachments/2026/11/a1": b"%PDF-1.4 evidence one",
    "attachments/2026/11/b2": "进展说明\n".encode() * 100,
    "imports/2026/11/c3": b"PK\x03\x04 a waiting import",
}


def local_media(root: Path) -> Path:
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def copy(*args: str) -> str:
    out = StringIO()
    call_command("storage_copy", *args, stdout=out)
    return out.getvalue()


def test_local_files_are_copied_to_the_bucket_once(tmp_path: Path, s3: S3) -> None:
    media = local_media(tmp_path / "media")
    assert "would copy 3" in copy(str(media), "default", "--dry-run")
    assert s3.objects() == []

    out = copy(str(media), "default")
    assert "copied 3, unchanged 0, conflicts 0, failed 0" in out
    assert s3.objects() == sorted(FILES)
    for name, data in FILES.items():
        assert hashlib.sha256(s3.read(name)).hexdigest() == hashlib.sha256(data).hexdigest()

    # run again (after an interruption, say): nothing is copied twice
    (media / "attachments/2026/11/d4").write_bytes(b"a file added meanwhile")
    assert "copied 1, unchanged 3, conflicts 0" in copy(f"file://{media}", "default")


def test_a_different_file_at_the_target_is_a_conflict_unless_replaced(tmp_path: Path, s3: S3) -> None:
    media = local_media(tmp_path / "media")
    s3.client.put_object(Bucket=s3.bucket, Key="attachments/2026/11/a1", Body=b"something else")
    with pytest.raises(CommandError, match="copied 2, unchanged 0, conflicts 1"):
        copy(str(media), "default")
    assert s3.read("attachments/2026/11/a1") == b"something else"  # left alone
    assert "copied 1, unchanged 2, conflicts 0" in copy(str(media), "default", "--replace")
    assert s3.read("attachments/2026/11/a1") == FILES["attachments/2026/11/a1"]


def test_the_bucket_is_copied_back_to_a_local_folder(tmp_path: Path, s3: S3) -> None:
    for name, data in FILES.items():
        s3.client.put_object(Bucket=s3.bucket, Key=name, Body=data)
    target = tmp_path / "back"
    assert "copied 3" in copy("default", str(target))
    assert {str(p.relative_to(target)): p.read_bytes() for p in target.rglob("*") if p.is_file()} == FILES


def test_an_unknown_storage_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="neither an alias of STORAGES nor an absolute folder"):
        copy("media", "default")
    with pytest.raises(CommandError, match="collectstatic"):
        copy(str(tmp_path), "staticfiles")
