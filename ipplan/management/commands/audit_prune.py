"""Remove security audit records older than IPPLAN_AUDIT_KEEP_DAYS (at least 180), keeping the
chain verifiable with an anchor record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipplan.security.services import MIN_KEEP_DAYS, keep_days, security_events_prune


class Command(BaseCommand):
    help = (
        f"Delete security audit events older than --days (default IPPLAN_AUDIT_KEEP_DAYS); fewer "
        f"than {MIN_KEEP_DAYS} days is refused. An anchor record keeps the chain verifiable."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="keep this many days (default: IPPLAN_AUDIT_KEEP_DAYS)")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else keep_days()
        if days < MIN_KEEP_DAYS:
            raise CommandError(
                f"security audit events are kept at least {MIN_KEEP_DAYS} days (等保 2.0); refusing {days}"
            )
        deleted = security_events_prune(days=days)
        self.stdout.write(f"{deleted} security audit events older than {days} days removed")
