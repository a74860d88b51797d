"""Copy every stored file from one storage to another (local disk to S3, or back), with checksums."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipplan.storage_copy import StorageCopyError, copy_storage, storage_from_spec


class Command(BaseCommand):
    help = (
        "Copy every file of SOURCE to TARGET under the same name, comparing SHA-256 checksums: "
        "files already there with the same content are skipped (run it again after an interruption), "
        "files there with other content are reported as conflicts and left alone unless --replace. "
        "SOURCE and TARGET: 'default' (the configured storage), another alias of STORAGES, or an "
        "absolute local folder, e.g. storage_copy /srv/ipplan/var/media default."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="'default', a STORAGES alias, or an absolute folder")
        parser.add_argument("target", help="'default', a STORAGES alias, or an absolute folder")
        parser.add_argument(
            "--replace", action="store_true", help="overwrite files that differ at the target"
        )
        parser.add_argument("--dry-run", action="store_true", help="say what would be copied, copy nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            source = storage_from_spec(options["source"])
            target = storage_from_spec(options["target"])
        except StorageCopyError as error:
            raise CommandError(str(error)) from error
        result = copy_storage(
            source, target, replace=options["replace"], dry_run=options["dry_run"], log=self.stdout.write
        )
        summary = (
            f"{'would copy' if options['dry_run'] else 'copied'} {len(result.copied)}, "
            f"unchanged {len(result.unchanged)}, conflicts {len(result.conflicts)}, "
            f"failed {len(result.failed)}"
        )
        if not result.ok:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
