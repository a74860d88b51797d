"""Export the security audit log for a SIEM, as JSON lines or RFC 5424 syslog lines."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ipplan.security.choices import EventAction
from ipplan.security.export import lines, parse_moment
from ipplan.security.models import SecurityEvent
from ipplan.security.services import security_event


class Command(BaseCommand):
    help = "Write the security audit log (oldest first) as JSON lines or syslog lines, to stdout or --out."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["jsonl", "syslog"], default="jsonl")
        parser.add_argument("--since", help="only events at or after this date or ISO time")
        parser.add_argument("--until", help="only events before this date or ISO time")
        parser.add_argument("--after-seq", type=int, help="only events after this sequence number")
        parser.add_argument("--out", help="file to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        events = SecurityEvent.objects.all()
        for option, lookup in (("since", "time__gte"), ("until", "time__lt")):
            if options[option]:
                moment = parse_moment(options[option])
                if moment is None:
                    raise CommandError(f"--{option}: not a date or ISO time: {options[option]!r}")
                events = events.filter(**{lookup: moment})
        if options["after_seq"] is not None:
            events = events.filter(seq__gt=options["after_seq"])
        count = 0
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8") as out:
                for line in lines(events, options["format"]):
                    out.write(line + "\n")
                    count += 1
        else:
            for line in lines(events, options["format"]):
                self.stdout.write(line)
                count += 1
        security_event(
            action=EventAction.LOG_EXPORT,
            actor_name="manage.py audit_export",
            detail={"format": options["format"], "count": count, "since": options["since"] or ""},
        )
        if options["out"]:
            self.stderr.write(f"{count} events written to {options['out']}")
