"""Every write to regions, departments, aliases and users."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ipplan.audit import bulk_save_as, save_as
from ipplan.permissions import Action, region_path, require
from ipplan.roles import ADMINISTRATOR_ROLES, DEPARTMENT_ROLES, REGION_ROLES, Role
from ipplan.security.choices import EventAction
from ipplan.security.services import security_event

from .choices import RegionLevel
from .kinds import guess_kind
from .models import AssessmentWeights, Department, DepartmentAlias, PasswordHistory, Region, User
from .sessions import sessions_end_for_user
from .work import bulk_changed, work


@transaction.atomic
def region_create(
    *, code: str, name: str, level: str, parent: Region | None = None, actor: User | None = None
) -> Region:
    """Create a region under ``parent`` (None for a province); ``actor`` None means a system load."""
    if actor is not None:
        require(actor, Action.MANAGE_REGIONS)
        if parent is not None:
            require(actor, Action.MANAGE_REGIONS, parent)
        elif region_path(actor) != "":
            raise PermissionDenied("only an administrator of every region adds a province")
    path = f"{parent.path if parent else '/'}{code}/"
    region = Region(code=code.strip(), name=name.strip(), level=level, parent=parent, path=path)
    return save_as(region, actor=actor, reason="create")


@transaction.atomic
def region_update(*, actor: User, region: Region, name: str, level: str | None = None) -> Region:
    """Rename a region (its code and place in the tree make its path, so they do not change)."""
    require(actor, Action.MANAGE_REGIONS, region)
    region = Region.objects.select_for_update().get(pk=region.pk)
    region.name = name.strip()
    fields = ["name"]
    if level is not None and level != region.level:
        region.level = level
        fields.append("level")
    return save_as(region, actor=actor, reason="update", update_fields=fields)


@transaction.atomic
def region_get_or_create(*, code: str, name: str, level: str, parent: Region | None = None) -> Region:
    existing = Region.objects.filter(code=code).first()
    if existing is not None:
        if existing.name != name or existing.parent_id != (parent.pk if parent else None):
            raise ValidationError(
                _("区划代码 %(code)s 已用于 %(name)s。") % {"code": code, "name": existing.name},
                code="region_code_taken",
            )
        return existing
    return region_create(code=code, name=name, level=level, parent=parent)


@transaction.atomic
def department_create(
    *,
    actor: User | None,
    region: Region,
    name: str,
    short_name: str = "",
    kind: str | None = None,
    parent: Department | None = None,
    aliases: list[str] | tuple[str, ...] = (),
) -> Department:
    """Create a department in ``region`` with its aliases; ``actor`` None means a system load.
    Without ``kind``, the general rule of ``departments.kinds.guess_kind`` decides (collectives
    such as 各镇街 or 各成员单位 become groups, which are never ranked)."""
    name = name.strip()
    kind = kind or guess_kind(name)
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, region)
    _check_parent(region, parent)
    reason = _name_taken(region, name, None)
    if reason:
        raise ValidationError({"name": reason})
    department = save_as(
        Department(region=region, name=name, short_name=short_name.strip(), kind=kind, parent=parent),
        actor=actor,
        reason="create",
    )
    for alias in aliases:
        department_alias_add(actor=actor, department=department, name=alias)
    return department


_UNSET: object = object()


@transaction.atomic
def department_update(
    *,
    actor: User | None,
    department: Department,
    name: str | None = None,
    short_name: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
    parent: Department | object | None = _UNSET,
    robot_webhook_url: str | None = None,
) -> Department:
    """Change a department's fields. A new name is a rename (the old one stays an alias);
    ``active=False`` is a retirement (refused while it has open tasks)."""
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, department)
    department = Department.objects.select_for_update().get(pk=department.pk)
    if name is not None and name.strip() != department.name:
        department = department_rename(actor=actor, department=department, name=name)
    if active is False and department.active:
        department = department_retire(actor=actor, department=department)
    elif active is True and not department.active:
        department = _department_reactivate(actor=actor, department=department)
    changed: list[str] = []
    values: tuple[tuple[str, object], ...] = (
        ("short_name", short_name),
        ("kind", kind),
        ("robot_webhook_url", robot_webhook_url),
    )
    for field, value in values:
        if value is not None and getattr(department, field) != value:
            setattr(department, field, value.strip() if isinstance(value, str) else value)
            changed.append(field)
    if parent is not _UNSET and getattr(parent, "pk", None) != department.parent_id:
        new_parent = parent if isinstance(parent, Department) else None
        _check_parent(department.region, new_parent, department)
        department.parent = new_parent
        changed.append("parent")
    if changed:
        save_as(department, actor=actor, reason="update", update_fields=changed)
    return department


def _check_parent(region: Region, parent: Department | None, department: Department | None = None) -> None:
    if parent is None:
        return
    if parent.region_id != region.pk:
        raise ValidationError({"parent": _("上级单位必须属于同一行政区划。")})
    ancestor: Department | None = parent
    while ancestor is not None and department is not None:
        if ancestor.pk == department.pk:
            raise ValidationError({"parent": _("上级单位不能是本单位或其下级单位。")})
        ancestor = ancestor.parent


def _name_taken(region: Region, name: str, department: Department | None) -> str | None:
    """Why ``name`` cannot become ``department``'s name in ``region`` (None: it can)."""
    others = Department.objects.filter(region=region, name=name)
    # a retired department's alias no longer resolves, so it does not block the name
    aliases = DepartmentAlias.objects.filter(
        region=region, name=name, department__active=True
    ).select_related("department")
    if department is not None:
        others = others.exclude(pk=department.pk)
        aliases = aliases.exclude(department=department)
    if others.exists():
        return _("“%(name)s”已是本区划另一单位的名称。") % {"name": name}
    alias = aliases.first()
    if alias is not None:
        return _("“%(name)s”已是%(other)s的别名。") % {"name": name, "other": alias.department.name}
    return None


@transaction.atomic
def department_rename(*, actor: User | None, department: Department, name: str) -> Department:
    """Rename a department (机构改革); the old name stays an alias, so the next import of a plan
    that still uses it resolves to this department."""
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, department)
    department = Department.objects.select_for_update().get(pk=department.pk)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写单位名称。")})
    if name == department.name:
        return department
    reason = _name_taken(department.region, name, department)
    if reason:
        raise ValidationError({"name": reason})
    old_name = department.name
    # The new name may have been one of its aliases; a name is not also its own alias.
    DepartmentAlias.objects.filter(department=department, region=department.region, name=name).delete()
    department.name = name
    save_as(department, actor=actor, reason=f"rename: {old_name} → {name}", update_fields=["name"])
    department_alias_add(actor=actor, department=department, name=old_name)
    return department


def department_open_tasks(department: Department) -> QuerySet[Any]:
    """The tasks not yet closed (办结 or cancelled) that ``department`` is assigned to, in any role."""
    return work().open_tasks(department)


@transaction.atomic
def department_retire(*, actor: User | None, department: Department) -> Department:
    """Retire (停用) a department: it stays, with its history and figures, but takes no new work and
    no longer resolves in imports. Refused while it has open tasks: reassign them first."""
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, department)
    department = Department.objects.select_for_update().get(pk=department.pk)
    if not department.active:
        return department
    open_tasks = list(department_open_tasks(department)[:11])
    if open_tasks:
        paths = "、".join(f"{t.path} {t.title[:20]}" for t in open_tasks[:10])
        raise ValidationError(
            {
                "active": _("%(name)s还有未办结的任务,请先改派:%(tasks)s%(more)s")
                % {"name": department.name, "tasks": paths, "more": "……" if len(open_tasks) > 10 else ""}
            },
            code="department_has_open_tasks",
        )
    department.active = False
    return save_as(department, actor=actor, reason="retire", update_fields=["active"])


def _department_reactivate(*, actor: User | None, department: Department) -> Department:
    reason = _name_taken(department.region, department.name, department)
    if reason:
        raise ValidationError({"active": reason})
    department.active = True
    department.merged_into = None
    return save_as(department, actor=actor, reason="reactivate", update_fields=["active", "merged_into"])


def _bulk_save(rows: list[Any], fields: list[str], *, actor: User | None, reason: str) -> None:
    """``bulk_save_as``, then tell the caches (bulk writes send no signals)."""
    if rows:
        bulk_save_as(rows, fields, actor=actor, reason=reason)
        bulk_changed.send(sender=type(rows[0]), model=type(rows[0]))


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved from the absorbed department to the survivor."""

    survivor: Department
    absorbed: Department
    assignments: int
    tasks: int
    users: int
    reports: int
    requests: int
    aliases: int


@transaction.atomic
def department_merge(*, actor: User | None, absorbed: Department, survivor: Department) -> MergeResult:
    """Merge ``absorbed`` into ``survivor`` (机构改革): its task assignments, users, progress reports,
    requests, sub-units and aliases move to the survivor, its name becomes the survivor's alias,
    and it is retired (kept, pointing to the survivor), never deleted. Every moved row records
    the actor in its history."""
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, absorbed)
        require(actor, Action.MANAGE_DEPARTMENTS, survivor)
    if absorbed.pk == survivor.pk:
        raise ValidationError({"survivor": _("不能将单位并入其自身。")})
    # Lock both rows in id order so two opposite merges cannot deadlock.
    locked = {
        d.pk: d
        for d in Department.objects.select_for_update()
        .filter(pk__in=[absorbed.pk, survivor.pk])
        .order_by("pk")
    }
    absorbed, survivor = locked[absorbed.pk], locked[survivor.pk]
    if absorbed.region_id != survivor.region_id:
        raise ValidationError({"survivor": _("只能合并同一行政区划内的单位。")})
    if not survivor.active:
        raise ValidationError({"survivor": _("存续单位%(name)s已停用。") % {"name": survivor.name}})
    if not absorbed.active:
        raise ValidationError({"absorbed": _("%(name)s已停用,不能再合并。") % {"name": absorbed.name}})
    reason = f"merge: {absorbed.name} → {survivor.name}"

    moved = work().merge(actor, absorbed, survivor, reason)
    users = list(User.objects.select_for_update().filter(department=absorbed).order_by("pk"))
    for user in users:
        user.department, user.region = survivor, survivor.region
    _bulk_save(users, ["department", "region"], actor=actor, reason=reason)
    children = list(Department.objects.select_for_update().filter(parent=absorbed).exclude(pk=survivor.pk))
    for child in children:
        child.parent = survivor
    _bulk_save(children, ["parent"], actor=actor, reason=reason)
    aliases = DepartmentAlias.objects.filter(department=absorbed).update(department=survivor)

    absorbed.active, absorbed.merged_into = False, survivor
    save_as(absorbed, actor=actor, reason=reason, update_fields=["active", "merged_into"])
    if survivor.parent_id == absorbed.pk:
        survivor.parent = absorbed.parent
        save_as(survivor, actor=actor, reason=reason, update_fields=["parent"])
    department_alias_add(actor=actor, department=survivor, name=absorbed.name)
    return MergeResult(
        survivor=survivor,
        absorbed=absorbed,
        assignments=moved.assignments,
        tasks=moved.tasks,
        users=len(users),
        reports=moved.reports,
        requests=moved.requests,
        aliases=aliases + 1,
    )


@transaction.atomic
def department_alias_remove(*, actor: User | None, alias: DepartmentAlias) -> None:
    """Forget another name of a department (the next import no longer resolves it)."""
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, alias.department)
    alias.delete()


@transaction.atomic
def department_alias_add(*, actor: User | None, department: Department, name: str) -> DepartmentAlias:
    """Record another name for ``department``; an alias means one department per region."""
    name = name.strip()
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, department)
    if name == department.name:
        raise ValidationError({"name": _("别名不能与单位名称相同。")})
    # A retired department's name may become an alias (merges): only active names collide.
    if (
        Department.objects.filter(region=department.region, name=name, active=True)
        .exclude(pk=department.pk)
        .exists()
    ):
        raise ValidationError({"name": _("“%(name)s”已是本区划另一单位的名称。") % {"name": name}})
    existing = DepartmentAlias.objects.filter(region=department.region, name=name).first()
    if existing is not None:
        if existing.department_id == department.pk:
            return existing
        raise ValidationError(
            {"name": _("别名“%(name)s”已属于%(other)s。") % {"name": name, "other": existing.department.name}}
        )
    alias = DepartmentAlias(department=department, region=department.region, name=name)
    alias.full_clean()
    alias.save()
    return alias


def user_scope_resolve(
    *, role: str, department: Department | None, region: Region | None
) -> tuple[Department | None, Region | None]:
    """The (department, region) a user of ``role`` gets, or a ValidationError naming the field.

    Department roles need a department and take its region (whatever region was given); the
    bureau and leaders need a region, and a department of theirs must lie in it; administrator
    roles may have neither (no region: every region).
    """
    if role not in Role.values:
        raise ValidationError({"role": _("未知角色:%(role)s") % {"role": role}})
    if role in ADMINISTRATOR_ROLES:
        return None, region
    if role in DEPARTMENT_ROLES:
        if department is None:
            raise ValidationError({"department": _("单位负责人和联络员必须属于一个单位。")})
        return department, department.region
    if role in REGION_ROLES:
        region = region or (department.region if department is not None else None)
        if region is None:
            raise ValidationError({"region": _("知识产权局和领导账号必须指定行政区划。")})
        if department is not None and department.region_id != region.pk:
            raise ValidationError({"department": _("所属单位必须属于所选行政区划。")})
    return department, region


def _username_check(username: str, *, exclude: User | None = None) -> str:
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("请填写用户名。")})
    taken = User.objects.filter(username__iexact=username)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"username": _("已有同名账号(不区分大小写)。")}, code="username_taken")
    return username


def _require_manage(actor: User, region: Region | None, user: User | None = None) -> None:
    """The actor manages users, and the region (and the user, when changing one) is in scope."""
    require(actor, Action.MANAGE_USERS, user)
    if region is not None:
        require(actor, Action.MANAGE_USERS, region)


def _password_record(user: User) -> None:
    """Remember ``user``'s current hash for the history rule and keep only the last N."""
    PasswordHistory.objects.create(user=user, password=user.password)
    keep = max(settings.IPPLAN_PASSWORD_HISTORY, 1)
    stale = (
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[keep:]
    )
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    role: str,
    department: Department | None = None,
    region: Region | None = None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
) -> User:
    """Create a user with one role. Department roles take the department's region.

    ``actor`` None means a system load (demo data, first administrator). An account an
    administrator creates must change its password at first sign-in.
    """
    department, region = user_scope_resolve(role=role, department=department, region=region)
    if actor is not None:
        _require_manage(actor, region)
    user = User(
        username=_username_check(username),
        role=role,
        department=department,
        region=region,
        display_name=display_name.strip(),
        email=email.strip(),
        phone=phone.strip(),
        must_change_password=actor is not None,
        password_changed_at=timezone.now(),
        **role_flags(role),
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    save_as(user, actor=actor, reason="create")
    if password:
        _password_record(user)
    if actor is not None:
        security_event(
            action=EventAction.USER_CREATE,
            actor=actor,
            obj=user,
            detail={"role": role, "department": user.department_id, "region": user.region_id},
        )
    return user


def role_flags(role: str) -> dict[str, bool]:
    """The Django flags a role implies: the admin site is for the administrators and the bureau
    (the policy decides what each sees there); the superuser flag is the system administrator's."""
    return {
        "is_staff": role in (*ADMINISTRATOR_ROLES, Role.BUREAU),
        "is_superuser": role == Role.ADMIN,
    }


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    username: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change a user's name, contact details or whether the account may sign in."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _require_manage(actor, None, user)
    changed: list[str] = []
    if username is not None and username.strip() != user.username:
        user.username = _username_check(username, exclude=user)
        changed.append("username")
    for field, value in (("display_name", display_name), ("email", email), ("phone", phone)):
        if value is not None and value.strip() != getattr(user, field):
            setattr(user, field, value.strip())
            changed.append(field)
    if "email" in changed:
        changed.append("email_index")
    if is_active is not None and is_active != user.is_active:
        if user.pk == actor.pk and not is_active:
            raise ValidationError({"is_active": _("不能停用自己的账号。")})
        user.is_active = is_active
        changed.append("is_active")
        if not is_active:
            security_event(action=EventAction.USER_DEACTIVATE, actor=actor, obj=user)
    if changed:
        save_as(user, actor=actor, reason="update", update_fields=changed)
    return user


@transaction.atomic
def user_set_role(
    *,
    actor: User,
    user: User,
    role: str,
    department: Department | None = None,
    region: Region | None = None,
    source_ip: str | None = None,
) -> User:
    """The security administrator gives ``user`` another role (三员分立: one role per account),
    with the department and region it needs. Nobody changes their own role. The change is written
    to the security audit log in the same transaction."""
    user = User.objects.select_for_update().get(pk=user.pk)
    require(actor, Action.ASSIGN_ROLES, user)
    department, region = user_scope_resolve(role=role, department=department, region=region)
    if department is not None:
        require(actor, Action.VIEW_DEPARTMENT, department)
    if region is not None:
        require(actor, Action.ASSIGN_ROLES, region)
    if user.pk == actor.pk and role != user.role:
        raise ValidationError({"role": _("不能修改自己的角色。")})
    old = {"role": user.role, "department": user.department_id, "region": user.region_id}
    user.role, user.department, user.region = role, department, region
    for flag, value in role_flags(role).items():
        setattr(user, flag, value)
    save_as(
        user,
        actor=actor,
        reason="role",
        update_fields=["role", "department", "region", "is_staff", "is_superuser"],
    )
    security_event(
        action=EventAction.ROLE_CHANGE,
        actor=actor,
        source_ip=source_ip,
        obj=user,
        detail={
            "old": old,
            "new": {"role": role, "department": user.department_id, "region": user.region_id},
        },
    )
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> User:
    """Change ``user``'s password: their own, or any (a reset) by a user manager.

    The one place a password changes (the security log is wired here). A password set by
    someone else must be changed by its owner at the next sign-in.
    """
    if actor.pk != user.pk:
        _require_manage(actor, None, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = actor.pk != user.pk
    save_as(
        user,
        actor=actor,
        reason="password",
        update_fields=["password", "password_changed_at", "must_change_password"],
    )
    _password_record(user)
    security_event(
        action=EventAction.PASSWORD_CHANGE, actor=actor, obj=user, detail={"by_admin": actor.pk != user.pk}
    )
    if actor.pk != user.pk:
        sessions_end_for_user(user)
    return user


def region_level_for_code(code: str) -> str:
    """The level implied by a six-digit 行政区划代码 (440000 province, 441900 city, 441902 county)."""
    if code.endswith("0000"):
        return RegionLevel.PROVINCE
    if code.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.COUNTY


@transaction.atomic
def assessment_weights_set(
    *, actor: User, region: Region, on_time: int, reports: int, overdue: int
) -> AssessmentWeights:
    """The bureau sets how its region's assessment weighs its three parts; they add up to 100."""
    require(actor, Action.SET_ASSESSMENT_WEIGHTS, region)
    values = {"on_time": on_time, "reports": reports, "overdue": overdue}
    if any(v < 0 or v > 100 for v in values.values()):
        raise ValidationError(_("权重必须在 0 到 100 之间。"))
    if sum(values.values()) != 100:
        raise ValidationError(_("三项权重之和必须为 100(现为 %(sum)s)。") % {"sum": sum(values.values())})
    weights = AssessmentWeights.objects.filter(region=region).first() or AssessmentWeights(region=region)
    for field, value in values.items():
        setattr(weights, field, value)
    return save_as(weights, actor=actor, reason="weights")


@transaction.atomic
def user_notification_settings_set(
    *, actor: User, email_notifications: bool, daily_digest: bool, language: str | None = None
) -> User:
    """A user chooses whether reminders come by e-mail, and one daily digest instead of single
    mails; and (``language``) the language their notifications and e-mails are written in."""
    actor.email_notifications = email_notifications
    actor.daily_digest = daily_digest
    fields = ["email_notifications", "daily_digest"]
    if language is not None:
        _check_language(language)
        actor.language = language
        fields.append("language")
    actor.save(update_fields=fields)
    return actor


def _check_language(language: str) -> None:
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("不支持的语言。")}, code="invalid_language")


def user_language_set(*, actor: User, language: str) -> User:
    """The language of ``actor``'s notifications and e-mails (the language switch sets it too)."""
    _check_language(language)
    if actor.language != language:
        actor.language = language
        actor.save(update_fields=["language"])
    return actor


# --- two-factor sign-in (django-otp: TOTP devices, static recovery codes) ----------------------


def second_factor_devices(user: User) -> tuple[Any | None, Any | None]:
    """The user's confirmed TOTP device and recovery-code device (None where missing)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    static = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return totp, static


@transaction.atomic
def second_factor_enrol_start(*, actor: User) -> Any:
    """A new, unconfirmed TOTP device for ``actor`` (replacing an earlier unconfirmed one)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if second_factor_devices(actor)[0] is not None:
        raise ValidationError(_("已绑定身份验证器;如需更换,请先解除绑定。"))
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name=_("身份验证器"), confirmed=False)


@transaction.atomic
def second_factor_confirm(*, actor: User, token: str) -> tuple[Any, list[str]]:
    """Confirm ``actor``'s pending TOTP device with a code from the app; returns the device and
    fresh recovery codes (shown once). The one place a second factor is turned on."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None:
        raise ValidationError(_("没有待绑定的身份验证器,请重新开始。"))
    if not device.verify_token(token.strip()):
        raise ValidationError({"token": _("验证码不正确,请输入验证器上当前显示的 6 位数字。")})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    security_event(action=EventAction.TWO_FACTOR_CHANGE, actor=actor, obj=actor, detail={"change": "enabled"})
    return device, recovery_codes_regenerate(actor=actor)


@transaction.atomic
def recovery_codes_regenerate(*, actor: User) -> list[str]:
    """New one-time recovery codes for ``actor``; the old ones stop working."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    StaticDevice.objects.filter(user=actor).delete()
    device = StaticDevice.objects.create(user=actor, name=_("恢复码"), confirmed=True)
    codes = [StaticToken.random_token() for _i in range(settings.IPPLAN_2FA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    security_event(
        action=EventAction.TWO_FACTOR_CHANGE, actor=actor, obj=actor, detail={"change": "recovery_codes"}
    )
    return codes


def _second_factor_remove(user: User) -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


@transaction.atomic
def second_factor_disable(*, actor: User, password: str) -> None:
    """The user turns their second factor off, confirming with their password."""
    if not actor.check_password(password):
        raise ValidationError({"password": _("密码不正确。")})
    _second_factor_remove(actor)
    security_event(
        action=EventAction.TWO_FACTOR_CHANGE, actor=actor, obj=actor, detail={"change": "disabled"}
    )


@transaction.atomic
def second_factor_reset(*, actor: User, user: User) -> None:
    """The security administrator removes a user's second factor (a lost phone): the user sets up
    a new one at their next sign-in, and their open sessions end."""
    _require_manage(actor, None, user)
    _second_factor_remove(user)
    security_event(action=EventAction.TWO_FACTOR_CHANGE, actor=actor, obj=user, detail={"change": "reset"})
    sessions_end_for_user(user)
