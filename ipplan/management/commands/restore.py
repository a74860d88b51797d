"""Restore a backup written by ``manage.py backup``: verified against its manifest first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipplan.backup import BackupError, restore, verify


class Command(BaseCommand):
    help = (
        "Replace the database and the stored files with the backup in SRC. Every checksum is "
        "verified first; a mismatch, a missing file or a backup of another engine is refused and "
        "nothing changes. Stop the web, worker and beat processes before restoring."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, help="the folder written by manage.py backup")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")
        parser.add_argument("--verify-only", action="store_true", help="check the backup, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        src = options["src"]
        try:
            checked = verify(src)
            if options["verify_only"]:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{src}: the database and {len(checked.manifest['files'])} files match the manifest"
                    )
                )
                return
            if options["interactive"]:
                answer = input(
                    "This replaces the whole database and every stored file with the backup of "
                    f"{checked.manifest['created_at']}. Type 'yes' to continue: "
                )
                if answer.strip() != "yes":
                    raise CommandError("restore cancelled")
            restore(src, log=self.stdout.write, checked=checked)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"restored from {src}"))
