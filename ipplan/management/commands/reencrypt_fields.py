"""Re-encrypt personal data under the newest field key, after a key was added to IPPLAN_FIELD_KEYS.

IPPLAN_FIELD_KEYS="k2:NEW,k1:OLD" python manage.py reencrypt_fields
# then k1 can leave IPPLAN_FIELD_KEYS
python manage.py reencrypt_fields --new-key k2   # prints a fresh key entry to put in front
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ipplan.fieldcrypto import new_key_spec, reencrypt_all, ring


class Command(BaseCommand):
    help = (
        "Rewrite every encrypted field value (users' e-mail addresses and phone numbers) that is "
        "not under the first key of IPPLAN_FIELD_KEYS with that key. With --new-key ID: only print "
        "a fresh key entry (ID:base64) to put in front of IPPLAN_FIELD_KEYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--new-key", metavar="ID", help="print a new key entry and change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["new_key"]:
            self.stdout.write(new_key_spec(options["new_key"]))
            return
        counts = reencrypt_all()
        kid = ring().current[0]
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} rows re-encrypted under key {kid}")
