"""ipplan through PgBouncer in transaction mode (Debian's pgbouncer, started here on loopback):
services, row locks and the chunked ledger export, with DATABASE_PGBOUNCER=1."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from ..support.processes import clean_env, free_port, manage, marked, port_open, spawn, stop, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("pgbouncer") is None, reason="needs Debian's pgbouncer"),
]

WORK = """
import io, json
from django.db import connection, transaction
from tasks.exports import write_ledger
from tasks.models import Task
from tests.conftest import make_world

world = make_world()
with transaction.atomic():  # a row lock, as every service's claim takes one
    Task.objects.select_for_update().get(pk=world.task.pk)
rows = write_ledger(Task.objects.all(), io.BytesIO())
chunks = sum(1 for _ in Task.objects.order_by("pk").iterator(chunk_size=1))
print("WORK " + json.dumps({"rows": rows, "chunks": chunks, "tasks": Task.objects.count(),
      "server_side": not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")}))
"""


@pytest.fixture
def pgbouncer() -> Iterator[int]:
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.skip("needs PostgreSQL")
    folder = Path(tempfile.mkdtemp(prefix="ipplan-pgbouncer-"))
    folder.chmod(0o755)
    port = free_port()
    (folder / "users.txt").write_text(f'"{db["USER"]}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 50\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (folder / name).chmod(0o644)
    command = ["pgbouncer", str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer will not run as root: it becomes postgres, who writes here
        command[1:1] = ["-u", "postgres"]
        shutil.chown(folder, "postgres")
    proc = spawn(command, dict(os.environ), folder / "stdout.log")
    try:
        assert wait_for(lambda: port_open(port), 20), (folder / "stdout.log").read_text()
        yield port
    finally:
        stop(proc, timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_services_locks_and_the_chunked_export_through_pgbouncer_transaction_mode(
    pgbouncer: int, tmp_path: Path
) -> None:
    db = settings.DATABASES["default"]
    env = clean_env(
        tmp_path,
        DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{pgbouncer}/{db['NAME']}",
        DATABASE_PGBOUNCER="1",
    )
    result = manage("shell", "-c", WORK, env=env, timeout=180)
    found = marked(result, "WORK")
    assert found["tasks"] > 0 and found["rows"] == found["tasks"] == found["chunks"]
    assert found["server_side"] is False
