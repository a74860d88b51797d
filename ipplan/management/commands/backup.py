"""Back up the database and every stored file into a new folder, with a manifest of checksums."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipplan.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a backup into DEST (a new or empty folder): the database (pg_dump custom format on "
        "PostgreSQL, a copy through the backup API on SQLite), every file of the default storage, "
        "and manifest.json with their SHA-256 checksums and the row counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path, help="a new or empty folder")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup(options["dest"], log=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"backup written to {options['dest']}"))
