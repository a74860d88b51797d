"""Helper of the restore drill, run in a child process against the drill's own database.

``python -m tests.ops.drill reports`` adds progress reports with evidence files (through the
services) for the demo liaison; ``python -m tests.ops.drill snapshot`` prints every table's row
count and every stored file's SHA-256 (read through the default storage) as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.files.storage import default_storage  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402

from departments.models import User  # noqa: E402
from ipplan.backup import storage_files  # noqa: E402
from tasks.choices import AssignmentRole  # noqa: E402
from tasks.models import Task  # noqa: E402
from tasks.services import progress_report_submit  # noqa: E402

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def reports() -> None:
    staff = User.objects.get(username="staff")
    tasks = Task.objects.filter(
        assignments__department=staff.department,
        assignments__role__in=[AssignmentRole.LEAD, AssignmentRole.RESPONSIBLE],
    ).distinct()[:4]
    assert tasks, "the demo liaison has no task"
    made = 0
    for number, task in enumerate(tasks):
        files = [
            SimpleUploadedFile(
                f"进展说明{number}.txt", f"第{number}项 进展说明\n".encode() * 50, "text/plain"
            ),
            SimpleUploadedFile(f"photo{number}.png", PNG, "image/png"),
        ]
        progress_report_submit(
            actor=staff, task=task, text=f"第{number}项 已推进", percent=30 + number, period="2026-11",
            attachments=files,
        )  # fmt: skip
        made += 1
    print(json.dumps({"reports": made}))


def snapshot() -> None:
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    files = {}
    # through the storage API: the media folder, or the object store with IPPLAN_STORAGE=s3
    for name in storage_files(default_storage):
        with default_storage.open(name, "rb") as handle:
            files[name] = hashlib.sha256(handle.read()).hexdigest()
    print(json.dumps({"counts": counts, "files": files}, ensure_ascii=False))


if __name__ == "__main__":
    {"reports": reports, "snapshot": snapshot}[sys.argv[1]]()


def pg_admin(params: dict, sql: str) -> None:  # type: ignore[type-arg]
    """Run one statement (CREATE/DROP DATABASE) on the server's ``postgres`` database."""
    import psycopg2

    conn = psycopg2.connect(
        dbname="postgres", user=params["USER"], password=params["PASSWORD"],
        host=params["HOST"], port=params["PORT"],
    )  # fmt: skip
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()
