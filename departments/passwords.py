"""Password rules (等保 2.0 identification and authentication), as Django password validators.

Listed in ``AUTH_PASSWORD_VALIDATORS``, so every form and service that calls
``validate_password`` applies them: at least three of four character classes, the username not
inside the password, and none of the user's last N passwords again. ``password_expired`` tells
whether a password is older than ``IPPLAN_PASSWORD_MAX_AGE_DAYS``.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import PasswordHistory, User


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and other characters ``password`` uses."""
    return sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() or c in string.punctuation for c in password),
        )
    )


class CharacterClassValidator:
    """At least ``min_classes`` of: upper case, lower case, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少 %(count)d 类。") % {
            "count": self.min_classes
        }


class UsernameNotContainedValidator:
    """The password must not contain the username (in any letter case)."""

    def validate(self, password: str, user: Any = None) -> None:
        username = (getattr(user, "username", "") or "").strip().lower()
        if username and username in password.lower():
            raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("密码不能包含用户名。")


class PasswordHistoryValidator:
    """None of the user's last ``count`` passwords (the current one included) may come back."""

    def __init__(self, count: int | None = None) -> None:
        self.count = count if count is not None else settings.IPPLAN_PASSWORD_HISTORY

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None or self.count <= 0:
            return
        hashes = list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-created_at", "-id")
            .values_list("password", flat=True)[: self.count]
        )
        if user.password and user.password not in hashes:
            hashes.append(user.password)
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(self.message(), code="password_reused")

    def message(self) -> str:
        return _("不能使用最近 %(count)d 次用过的密码。") % {"count": self.count}

    def get_help_text(self) -> str:
        return self.message()


def password_expires_at(user: User) -> dt.datetime | None:
    """When ``user``'s password stops being accepted without a change (None: never)."""
    days = settings.IPPLAN_PASSWORD_MAX_AGE_DAYS
    if days <= 0 or user.password_changed_at is None:
        return None
    return user.password_changed_at + dt.timedelta(days=days)


def password_change_required(user: User) -> str | None:
    """Why ``user`` must change their password before anything else ('first' or 'expired'), or None."""
    if not user.has_usable_password():
        return None
    if user.must_change_password:
        return "first"
    expires = password_expires_at(user)
    if expires is not None and expires <= timezone.now():
        return "expired"
    return None
