"""Writes of the shared kernel."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, JobHeartbeat
from .people import Person
from .permissions import Action, require
from .security.choices import EventAction
from .security.services import security_event

logger = logging.getLogger("ipplan.jobs")


@transaction.atomic
def heartbeat_record(*, name: str) -> JobHeartbeat:
    """Stamp job ``name`` as having run now and count the run."""
    now = timezone.now()
    beat, created = JobHeartbeat.objects.select_for_update().get_or_create(
        name=name, defaults={"last_run_at": now, "runs": 1}
    )
    if not created:
        JobHeartbeat.objects.filter(pk=beat.pk).update(last_run_at=now, runs=F("runs") + 1)
        beat.refresh_from_db()
    logger.info("beat tick: %s run %d at %s", name, beat.runs, now.isoformat())
    return beat


# --- API tokens ---------------------------------------------------------------------------------

TOKEN_PREFIX = "ipp_"
#: Longest validity a token may be given (days).
TOKEN_MAX_DAYS = 730


def security_saved(
    obj: models.Model, *, action: str, actor: Person, detail: Callable[[], dict[str, Any]]
) -> None:
    """Validate and save a security-relevant row, then record ``action`` on it in the security log
    with ``detail()`` (read after the save)."""
    obj.full_clean()
    obj.save()
    security_event(action=action, actor=actor, obj=obj, detail=detail())


def token_digest(secret: str) -> str:
    # The secret carries 256 random bits, so a plain SHA-256 is enough (no slow hash needed).
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks in ``text`` (one per line, or separated by commas or spaces)."""
    networks = []
    for item in re.split(r"[\s,;]+", text.strip()):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValidationError(
                {"allowed_ips": _("“%(value)s”不是有效的 IP 地址或网段。") % {"value": item}}
            ) from None
    return networks


@transaction.atomic
def api_token_create(
    *,
    actor: Person,
    name: str,
    can_write: bool = False,
    days: int = 90,
    allowed_ips: str = "",
) -> tuple[ApiToken, str]:
    """Create a token for ``actor``; returns it with the secret, which is never shown again."""
    require(actor, Action.MANAGE_OWN_TOKENS)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写使用该令牌的客户端名称。")})
    if not 1 <= days <= TOKEN_MAX_DAYS:
        raise ValidationError({"days": _("有效期必须在 1 到 %(max)s 天之间。") % {"max": TOKEN_MAX_DAYS}})
    networks = parse_networks(allowed_ips)
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user_id=actor.pk,
        name=name,
        prefix=prefix,
        digest=token_digest(secret),
        can_write=can_write,
        allowed_ips="\n".join(str(n) for n in networks),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    security_saved(
        token,
        action=EventAction.TOKEN_CREATE,
        actor=actor,
        detail=lambda: {
            "can_write": can_write,
            "days": days,
            "allowed_ips": token.allowed_ips.split("\n") if token.allowed_ips else [],
        },
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: Person, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's tokens (an administrator may revoke any in their region)."""
    if token.user_id != actor.pk:
        require(actor, Action.MANAGE_USERS, token.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        security_event(
            action=EventAction.TOKEN_REVOKE, actor=actor, obj=token, detail={"owner": token.user_id}
        )
    return token


def api_token_touch(*, token: ApiToken, ip: str | None) -> None:
    """Note when and from where a token was last used (at most once a minute per token); the
    first use of a day goes to the security audit log (once per token per day, whoever races)."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < dt.timedelta(minutes=1) and token.last_used_ip == ip:
        return
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    first_today = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=day_start))
        .update(last_used_at=now, last_used_ip=ip)
    )
    if not first_today:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
    token.last_used_at, token.last_used_ip = now, ip
    if first_today:
        security_event(
            action=EventAction.TOKEN_USE,
            actor=token.user,
            source_ip=ip,
            obj=token,
            detail={"first_use_on": timezone.localdate(now).isoformat(), "can_write": token.can_write},
        )
