"""Verify the security audit log's HMAC chain; name the first broken record and exit 1."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ipplan.security.export import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the security audit log in sequence order, check each record's HMAC and its link to "
        "the previous record, and report the first broken record (exit status 1)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"security audit log BROKEN at record #{result.broken_seq}: {result.reason} "
                f"({result.checked} records read)"
            )
        if result.checked == 0:
            self.stdout.write("security audit log: empty, nothing to verify")
            return
        self.stdout.write(
            f"security audit log OK: {result.checked} records #{result.first_seq}..#{result.last_seq} verified"
        )
