"""Every write to regions, departments, aliases and users."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ipplan.audit import save_as
from ipplan.permissions import Action, require

from .choices import ADMINISTRATOR_ROLES, DEPARTMENT_ROLES, DepartmentKind, RegionLevel, Role
from .models import AssessmentWeights, Department, DepartmentAlias, Region, User


@transaction.atomic
def region_create(*, code: str, name: str, level: str, parent: Region | None = None) -> Region:
    """Create a region under ``parent`` (None for a province)."""
    path = f"{parent.path if parent else '/'}{code}/"
    region = Region(code=code, name=name, level=level, parent=parent, path=path)
    region.full_clean()
    region.save()
    return region


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
    kind: str = DepartmentKind.GOVERNMENT,
    parent: Department | None = None,
    aliases: list[str] | tuple[str, ...] = (),
) -> Department:
    """Create a department in ``region`` with its aliases; ``actor`` None means a system load."""
    name = name.strip()
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, region)
    if parent is not None and parent.region_id != region.pk:
        raise ValidationError({"parent": _("上级单位必须属于同一行政区划。")})
    department = save_as(
        Department(region=region, name=name, short_name=short_name.strip(), kind=kind, parent=parent),
        actor=actor,
        reason="create",
    )
    for alias in aliases:
        department_alias_add(actor=actor, department=department, name=alias)
    return department


@transaction.atomic
def department_update(
    *,
    actor: User | None,
    department: Department,
    name: str | None = None,
    short_name: str | None = None,
    kind: str | None = None,
    active: bool | None = None,
) -> Department:
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, department)
    changed: list[str] = []
    for field, value in (("name", name), ("short_name", short_name), ("kind", kind), ("active", active)):
        if value is not None and getattr(department, field) != value:
            setattr(department, field, value.strip() if isinstance(value, str) else value)
            changed.append(field)
    if changed:
        save_as(department, actor=actor, reason="update", update_fields=changed)
    return department


@transaction.atomic
def department_alias_add(*, actor: User | None, department: Department, name: str) -> DepartmentAlias:
    """Record another name for ``department``; an alias means one department per region."""
    name = name.strip()
    if actor is not None:
        require(actor, Action.MANAGE_DEPARTMENTS, department)
    if name == department.name:
        raise ValidationError({"name": _("别名不能与单位名称相同。")})
    if Department.objects.filter(region=department.region, name=name).exists():
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
) -> User:
    """Create a user with one role. Department roles take the department's region.

    ``actor`` None means a system load (demo data, first administrator).
    """
    if actor is not None:
        require(actor, Action.MANAGE_USERS)
    if role not in Role.values:
        raise ValidationError({"role": _("未知角色:%(role)s") % {"role": role}})
    if role in DEPARTMENT_ROLES:
        if department is None:
            raise ValidationError({"department": _("单位负责人和联络员必须属于一个单位。")})
        region = department.region
    elif department is not None and role not in ADMINISTRATOR_ROLES:
        region = region or department.region
    if role in (Role.BUREAU, Role.LEADER) and region is None:
        raise ValidationError({"region": _("知识产权局和领导账号必须指定行政区划。")})
    if actor is not None and region is not None:
        require(actor, Action.MANAGE_USERS, region)
    user = User(
        username=username.strip(),
        role=role,
        department=department,
        region=region,
        display_name=display_name,
        email=email,
        **role_flags(role),
    )
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    if actor is not None:
        from ipplan.security.choices import EventAction
        from ipplan.security.services import security_event

        security_event(
            action=EventAction.USER_CREATE,
            actor=actor,
            obj=user,
            detail={"role": role, "department": user.department_id, "region": user.region_id},
        )
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> User:
    """Change ``user``'s password (their own, or any by a user manager)."""
    if actor.pk != user.pk:
        require(actor, Action.MANAGE_USERS, user)
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
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
def user_notification_settings_set(*, actor: User, email_notifications: bool, daily_digest: bool) -> User:
    """A user chooses whether reminders come by e-mail, and one daily digest instead of single mails."""
    actor.email_notifications = email_notifications
    actor.daily_digest = daily_digest
    actor.save(update_fields=["email_notifications", "daily_digest"])
    return actor


def role_flags(role: str) -> dict[str, bool]:
    """The Django flags a role implies: the admin site is for the administrators and the bureau
    (the policy decides what each sees there); the superuser flag is the system administrator's."""
    return {
        "is_staff": role in (*ADMINISTRATOR_ROLES, Role.BUREAU),
        "is_superuser": role == Role.ADMIN,
    }


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
    """The security administrator gives ``user`` another role (三员分立: one role per account).

    Nobody changes their own role. The change is written to the security audit log in the same
    transaction, so the log shows it exactly when it happened.
    """
    from ipplan.security.choices import EventAction
    from ipplan.security.services import security_event

    user = User.objects.select_for_update().get(pk=user.pk)
    require(actor, Action.ASSIGN_ROLES, user)
    if role not in Role.values:
        raise ValidationError({"role": _("未知角色:%(role)s") % {"role": role}})
    if actor.pk == user.pk:
        raise ValidationError({"role": _("不能修改自己的角色。")})
    old = {"role": user.role, "department": user.department_id, "region": user.region_id}
    if role in DEPARTMENT_ROLES:
        if department is None:
            raise ValidationError({"department": _("单位负责人和联络员必须属于一个单位。")})
        require(actor, Action.VIEW_DEPARTMENT, department)
        region = department.region
    elif role not in ADMINISTRATOR_ROLES:
        department = department if role == Role.BUREAU else None
        if region is None:
            raise ValidationError({"region": _("知识产权局和领导账号必须指定行政区划。")})
    else:
        department = None
    if region is not None:
        require(actor, Action.ASSIGN_ROLES, region)
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
