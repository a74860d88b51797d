"""``send_reminders [--as-of YYYY-MM-DD] [--dry-run] [--skip-digests] [--send]``: one reminder sweep, synchronously.

Prints a JSON summary of what it created by kind. A second run for the same day creates nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from notifications.services.delivery import notifications_deliver_pending
from tasks.services.reminders import reminders_sweep


class Command(BaseCommand):
    help = "Create the reminders due on a day (default today) once each, and print a JSON summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="the day to sweep, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be created, change nothing"
        )
        parser.add_argument("--skip-digests", action="store_true", help="only task reminders, no digests")
        parser.add_argument("--send", action="store_true", help="also send every pending notification now")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["as_of"]:
            try:
                today = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(f"--as-of must be YYYY-MM-DD, not {options['as_of']!r}") from exc
        else:
            today = timezone.localdate()
        # a given day is swept as a whole day: its digests are due too
        result = reminders_sweep(today=today, digests=not options["skip_digests"], dry_run=options["dry_run"])
        summary: dict[str, Any] = {
            "as_of": today.isoformat(),
            "dry_run": options["dry_run"],
            "created": result.as_dict(),
            "total": sum(result.created.values()),
        }
        if options["send"] and not options["dry_run"]:
            summary["delivery"] = notifications_deliver_pending()
        self.stdout.write(json.dumps(summary, ensure_ascii=False, sort_keys=True))
