"""Migration 0012 moves import files waiting in the database into the default storage (and back)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from departments.services import user_create
from ipplan.roles import Role

from ..conftest import PASSWORD

BEFORE = [("tasks", "0013_sweep_notification_indexes")]
AFTER = [("tasks", "0014_storage_import_upload_file")]


def migrate(targets: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_waiting_import_files_move_to_the_storage_and_back() -> None:
    old = migrate(BEFORE)
    PlanImport = old.get_model("tasks", "PlanImport")
    user = user_create(actor=None, username="importer", password=PASSWORD, role=Role.ADMIN)
    waiting = PlanImport.objects.create(
        created_by_id=user.pk, state="parsing", upload=b"PK\x03\x04 a document", progress=0
    )
    done = PlanImport.objects.create(created_by_id=user.pk, state="previewed", upload=None)
    try:
        new = migrate(AFTER)
        PlanImport = new.get_model("tasks", "PlanImport")
        moved = PlanImport.objects.get(pk=waiting.pk)
        assert moved.upload_file.name.startswith("imports/")
        with default_storage.open(moved.upload_file.name, "rb") as handle:
            assert handle.read() == b"PK\x03\x04 a document"
        assert not PlanImport.objects.get(pk=done.pk).upload_file

        back = migrate(BEFORE)
        PlanImport = back.get_model("tasks", "PlanImport")
        assert bytes(PlanImport.objects.get(pk=waiting.pk).upload) == b"PK\x03\x04 a document"
        assert PlanImport.objects.get(pk=done.pk).upload is None
        default_storage.delete(moved.upload_file.name)
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
