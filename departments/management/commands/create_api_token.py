"""Create an API token for a user and print it (only it) on stdout, for scripts and provisioning.

    python manage.py create_api_token bureau --write --days 30 --name "省平台" \
        --allow-ip 10.0.0.0/8 192.168.1.20
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from departments.models import User
from ipplan.services import TOKEN_MAX_DAYS, api_token_create

DEFAULT_NAME = "cli"


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print only the token on stdout (it is shown once: "
        "only its SHA-256 digest is stored). Read-only unless --write."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the user the token acts as")
        parser.add_argument("--write", action="store_true", help="a read-write token (default: read-only)")
        parser.add_argument(
            "--days", type=int, default=90, help=f"validity in days, 1 to {TOKEN_MAX_DAYS} (default: 90)"
        )
        parser.add_argument(
            "--name",
            default=DEFAULT_NAME,
            help=f"the client system using the token (default: {DEFAULT_NAME})",
        )
        parser.add_argument(
            "--allow-ip",
            dest="allow_ip",
            action="extend",
            nargs="+",
            default=[],
            metavar="CIDR",
            help="addresses or networks the token may be used from (default: any); give USERNAME first",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"unknown user: {username!r}")
        if not user.is_active:
            raise CommandError(f"user {username!r} is inactive: an inactive user's token would not work")
        days: int = options["days"]
        if not 1 <= days <= TOKEN_MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {TOKEN_MAX_DAYS}, not {days}")
        try:
            _token, secret = api_token_create(
                actor=user,
                name=options["name"],
                can_write=options["write"],
                days=days,
                allowed_ips="\n".join(options["allow_ip"]),
            )
        except PermissionDenied:
            raise CommandError(f"user {username!r} has no role that may hold API tokens") from None
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                details = "; ".join(
                    f"{'--allow-ip' if field == 'allowed_ips' else '--' + field}: {message}"
                    for field, errors in error.error_dict.items()
                    for e in errors
                    for message in e.messages
                )
            else:
                details = "; ".join(error.messages)
            raise CommandError(f"cannot create the token: {details}") from None
        self.stdout.write(secret)
