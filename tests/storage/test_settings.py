"""The storage settings: one variable switches to S3; a wrong value stops the start with a reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PRINT = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); "
    "from django.conf import settings as s; o = s.STORAGES['default'].get('OPTIONS', {}); "
    "print(s.STORAGES['default']['BACKEND'], o.get('bucket_name'), o.get('endpoint_url'), "
    "o.get('default_acl'), o.get('querystring_expire'), o.get('file_overwrite'), s.IPPLAN_DOWNLOADS)"
)


def settings_of(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IPPLAN_", "DJANGO_", "AWS_"))}
    env |= {"IPPLAN_DATA_DIR": str(tmp_path), **variables}
    return subprocess.run(
        [sys.executable, "-c", PRINT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_local_disk_is_the_default_and_s3_is_one_setting(tmp_path: Path) -> None:
    local = settings_of(tmp_path)
    assert local.returncode == 0, local.stderr
    assert local.stdout.split() == [
        "django.core.files.storage.FileSystemStorage", "None", "None", "None", "None", "None", "stream"
    ]  # fmt: skip
    s3 = settings_of(
        tmp_path,
        IPPLAN_STORAGE="s3",
        IPPLAN_S3_BUCKET="ipplan-files",
        IPPLAN_S3_ENDPOINT_URL="http://minio:9000",
        IPPLAN_DOWNLOADS="presigned",
        IPPLAN_PRESIGNED_SECONDS="30",
    )
    assert s3.returncode == 0, s3.stderr
    # private objects (no ACL), signed URLs of 30 s, never an overwritten file
    assert s3.stdout.split() == [
        "storages.backends.s3.S3Storage", "ipplan-files", "http://minio:9000", "None", "30", "False", "presigned"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({"IPPLAN_STORAGE": "s3"}, "IPPLAN_STORAGE=s3 needs IPPLAN_S3_BUCKET"),
        ({"IPPLAN_STORAGE": "nfs"}, "use local or s3"),
        ({"IPPLAN_DOWNLOADS": "public"}, "use stream or presigned"),
        ({"IPPLAN_PRESIGNED_SECONDS": "86400"}, "between 1 and 3600"),
    ],
)
def test_a_wrong_value_stops_the_start(tmp_path: Path, variables: dict[str, str], reason: str) -> None:
    result = settings_of(tmp_path, **variables)
    assert result.returncode != 0 and reason in result.stderr
