"""Writes of directory sign-in: the group mappings (security administrator) and the user a
directory sign-in gives (created or updated from the directory at each login)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Department, Region, User
from departments.services import role_flags, user_create, user_scope_resolve
from ipplan.audit import save_as
from ipplan.permissions import Action, require
from ipplan.roles import ADMINISTRATOR_ROLES
from ipplan.security.choices import EventAction, EventResult
from ipplan.security.services import security_event
from ipplan.services import security_saved
from ipplan.values import field_values

from .choices import DirectorySource, MappingSource
from .models import DirectoryAccount, DirectoryGroupMapping


class DirectoryRefusal(Exception):
    """A directory sign-in that ipplan refuses; ``message`` is shown to the person."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def _mapping_check(
    *, role: str, department: Department | None, region: Region, grants_administrator: bool
) -> None:
    if role in ADMINISTRATOR_ROLES and not grants_administrator:
        raise ValidationError(
            {"grants_administrator": _("三员分立:授予管理员角色的映射必须明确勾选“允许授予管理员角色”。")}
        )
    user_scope_resolve(role=role, department=department, region=region)
    if department is not None and department.region_id != region.pk:
        raise ValidationError({"department": _("所属单位必须属于所选行政区划。")})


def _mapping_detail(mapping: DirectoryGroupMapping) -> dict[str, Any]:
    return field_values(
        mapping, ["source", "group", "role", "region", "department", "priority", "grants_administrator"]
    )


@transaction.atomic
def group_mapping_save(
    *,
    actor: User,
    mapping: DirectoryGroupMapping | None = None,
    source: str,
    group: str,
    role: str,
    region: Region,
    department: Department | None = None,
    priority: int = 100,
    grants_administrator: bool = False,
    note: str = "",
) -> DirectoryGroupMapping:
    """Create (``mapping`` None) or change a group mapping; recorded in the security log."""
    require(actor, Action.ASSIGN_ROLES, region)
    if department is not None:
        require(actor, Action.VIEW_DEPARTMENT, department)
    old: dict[str, Any] | None = None
    if mapping is not None and mapping.pk is not None:
        mapping = DirectoryGroupMapping.objects.select_for_update().get(pk=mapping.pk)
        require(actor, Action.ASSIGN_ROLES, mapping.region)
        old = _mapping_detail(mapping)
    else:
        mapping = DirectoryGroupMapping()
    group = group.strip()
    if source not in MappingSource.values:
        raise ValidationError({"source": _("未知目录:%(source)s") % {"source": source}})
    if not group:
        raise ValidationError({"group": _("请填写目录组。")})
    _mapping_check(role=role, department=department, region=region, grants_administrator=grants_administrator)
    clash = DirectoryGroupMapping.objects.filter(source=source, group__iexact=group)
    if mapping.pk is not None:
        clash = clash.exclude(pk=mapping.pk)
    if clash.exists():
        raise ValidationError({"group": _("该目录组已有映射。")})
    mapping.source, mapping.group, mapping.role = source, group, role
    mapping.region, mapping.department, mapping.priority = region, department, priority
    mapping.grants_administrator, mapping.note = grants_administrator, note.strip()
    security_saved(
        mapping,
        action=EventAction.DIRECTORY_MAPPING,
        actor=actor,
        detail=lambda: {"old": old, "new": _mapping_detail(mapping)},
    )
    return mapping


@transaction.atomic
def group_mapping_delete(*, actor: User, mapping: DirectoryGroupMapping) -> None:
    """Remove a group mapping: its members are refused at their next sign-in unless another maps."""
    mapping = DirectoryGroupMapping.objects.select_for_update().get(pk=mapping.pk)
    require(actor, Action.ASSIGN_ROLES, mapping.region)
    security_event(
        action=EventAction.DIRECTORY_MAPPING,
        actor=actor,
        obj=mapping,
        detail={"old": _mapping_detail(mapping), "new": None},
    )
    mapping.delete()


def group_mapping_for(*, source: str, groups: Iterable[str]) -> DirectoryGroupMapping | None:
    """The mapping a member of ``groups`` gets (lowest priority number first), or None."""
    wanted = {g.strip().lower() for g in groups if g and g.strip()}
    if not wanted:
        return None
    candidates = DirectoryGroupMapping.objects.filter(source__in=[source, MappingSource.ANY]).select_related(
        "region", "department"
    )
    for mapping in candidates.order_by("priority", "pk"):
        if mapping.group.lower() in wanted:
            return mapping
    return None


def _refuse(
    message: str, reason: str, *, username: str, source: str, request: HttpRequest | None, **detail: Any
) -> DirectoryRefusal:
    security_event(
        action=EventAction.LOGIN_FAILED,
        result=EventResult.REFUSED,
        actor_name=username,
        request=request,
        detail={"stage": "directory", "source": source, "reason": reason, **detail},
    )
    return DirectoryRefusal(message, reason)


def _invalid(
    error: ValidationError, *, username: str, source: str, request: HttpRequest | None
) -> DirectoryRefusal:
    reasons = "; ".join(error.messages)
    return _refuse(
        _("目录返回的账号信息不符合本系统的要求,无法登录:%(reasons)s") % {"reasons": reasons},
        "invalid_account",
        username=username,
        source=source,
        request=request,
        errors=error.messages[:10],
    )


@transaction.atomic
def directory_user_sync(
    *,
    source: str,
    subject: str,
    username: str,
    groups: Iterable[str],
    email: str = "",
    display_name: str = "",
    request: HttpRequest | None = None,
) -> User:
    """The user a directory sign-in gives: found by its directory identity (or created), with
    role, department and region set from the group mapping. Raises DirectoryRefusal (and writes
    nothing but the refusal in the security log) when nothing maps or the account may not sign in.
    """
    groups = [g for g in groups if g]
    username = username.strip()
    if source not in DirectorySource.values or not subject or not username:
        raise _refuse(
            _("目录未返回有效的账号信息,无法登录。"),
            "no_identity",
            username=username,
            source=source,
            request=request,
        )
    mapping = group_mapping_for(source=source, groups=groups)
    if mapping is None:
        raise _refuse(
            _("您的目录账号所在的组未映射到本系统的角色,无法登录。请联系安全管理员配置目录组映射。"),
            "no_mapping",
            username=username,
            source=source,
            request=request,
            groups=groups[:50],
        )
    try:
        department, region = user_scope_resolve(
            role=mapping.role, department=mapping.department, region=mapping.region
        )
    except ValidationError:
        raise _refuse(
            _("目录组映射不完整(角色缺少单位或行政区划),无法登录。请联系安全管理员。"),
            "mapping_incomplete",
            username=username,
            source=source,
            request=request,
            mapping=mapping.pk,
        ) from None
    account = (
        DirectoryAccount.objects.select_for_update()
        .select_related("user")
        .filter(source=source, subject=subject)
        .first()
    )
    now = timezone.now()
    if account is None:
        try:
            with transaction.atomic():
                user = user_create(
                    actor=None,
                    username=username,
                    password=None,
                    role=mapping.role,
                    department=department,
                    region=region,
                    display_name=display_name[:60],
                    email=email,
                )
                DirectoryAccount.objects.create(
                    user=user, source=source, subject=subject, mapping=mapping, synced_at=now
                )
        except (ValidationError, IntegrityError) as error:
            # The same person signing in twice at once: the other sign-in created the account.
            account = (
                DirectoryAccount.objects.select_for_update()
                .select_related("user")
                .filter(source=source, subject=subject)
                .first()
            )
            if account is None:
                if User.objects.filter(username__iexact=username).exists():
                    raise _refuse(
                        _("已有同名的本地账号,不能用目录账号登录。请联系安全管理员处理。"),
                        "username_taken",
                        username=username,
                        source=source,
                        request=request,
                    ) from None
                if isinstance(error, ValidationError):
                    raise _invalid(error, username=username, source=source, request=request) from None
                raise
        else:
            security_event(
                action=EventAction.USER_CREATE,
                actor_name=f"directory:{source}",
                request=request,
                obj=user,
                detail={
                    "source": source,
                    "mapping": mapping.pk,
                    "role": user.role,
                    "department": user.department_id,
                },
            )
            return user
    user = User.objects.select_for_update().get(pk=account.user_id)
    if not user.is_active:
        raise _refuse(_("该账号已停用。"), "inactive", username=username, source=source, request=request)
    old = {"role": user.role, "department": user.department_id, "region": user.region_id}
    new = {
        "role": mapping.role,
        "department": department.pk if department else None,
        "region": region.pk if region else None,
    }
    changed: list[str] = []
    if old != new:
        user.role, user.department, user.region = mapping.role, department, region
        for flag, value in role_flags(mapping.role).items():
            setattr(user, flag, value)
        changed += ["role", "department", "region", "is_staff", "is_superuser"]
    if display_name and display_name[:60] != user.display_name:
        user.display_name = display_name[:60]
        changed.append("display_name")
    if email and email.strip().lower() != (user.email or "").lower():
        user.email = email.strip()
        changed += ["email", "email_index"]
    if user.has_usable_password():
        user.set_unusable_password()
        changed.append("password")
    if changed:
        try:
            save_as(user, actor=None, reason="directory", update_fields=changed)
        except ValidationError as error:
            raise _invalid(error, username=username, source=source, request=request) from None
    if old != new:
        security_event(
            action=EventAction.ROLE_CHANGE,
            actor_name=f"directory:{source}",
            request=request,
            obj=user,
            detail={"old": old, "new": new, "mapping": mapping.pk, "source": source},
        )
    account.mapping, account.synced_at = mapping, now
    account.save(update_fields=["mapping", "synced_at"])
    return user


def directory_source_of(username: str) -> str | None:
    """The directory ``username`` signs in through, or None for a local account."""
    account = (
        DirectoryAccount.objects.filter(user__username__iexact=username.strip())
        .values_list("source", flat=True)
        .first()
    )
    return account
