"""The permission policy: one role x action matrix plus department and region scope.

Every view, API endpoint, admin page, job and service asks this module; nothing else decides
who may do what.

* ``MATRIX[role][action]`` gives the *scope* in which a role may perform an action:
  ``REGION`` (objects in the user's region and the regions under it), ``ASSIGNED`` (tasks the
  user's department is assigned to in any role), ``LEAD`` (tasks it leads), ``OWN`` (the user's
  own objects), ``DEPARTMENT`` (objects of the user's department, e.g. its own reports) or nothing.
* ``can(user, action, obj)`` answers for one object (or, without an object, whether the role
  may perform the action at all); a read narrows a queryset to the objects the user may act on,
  in the database, with ``Model.objects.restrict(user, action)`` (``ipplan.restrict``), which
  applies ``_scope`` here: no module outside the policy calls ``_scope`` itself
  (``tests/test_restrict.py`` checks it).
* A forbidden object answers 404 like a missing one (``get_for``); an object the user may see
  but not change answers 403 (``require``).
* The kernel imports no app: each app tells the policy, in its ``AppConfig.ready()``, how to reach
  the region, task and owner of its models (``register_paths``), and the apps that own regions and
  task assignments hand over the two queries scoping needs (``register_regions``,
  ``register_assignments``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Value
from django.http import Http404

from .people import Person
from .roles import ADMINISTRATOR_ROLES, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


M = TypeVar("M", bound=models.Model)
E = TypeVar("E", bound=Exception)
QS = TypeVar("QS", bound="models.QuerySet[Any]")


class Action(enum.StrEnum):
    VIEW_PLAN = "view_plan"
    IMPORT_PLAN = "import_plan"
    EDIT_PLAN = "edit_plan"
    MAINTAIN_PLAN = "maintain_plan"
    DELETE_PLAN = "delete_plan"
    VIEW_TASK = "view_task"
    UPDATE_PROGRESS = "update_progress"
    SUBMIT_REPORT = "submit_report"
    REVIEW_REPORT = "review_report"
    REQUEST_COMPLETION = "request_completion"
    SIGN_OFF_COMPLETION = "sign_off_completion"
    DECIDE_COMPLETION = "decide_completion"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    URGE_TASK = "urge_task"
    EDIT_DEADLINE = "edit_deadline"
    ENTER_READING = "enter_reading"
    VIEW_DASHBOARD = "view_dashboard"
    EXPORT = "export"
    VIEW_DEPARTMENT = "view_department"
    MANAGE_DEPARTMENTS = "manage_departments"
    MANAGE_USERS = "manage_users"
    MANAGE_REGIONS = "manage_regions"
    USE_ADMIN_SITE = "use_admin_site"
    MANAGE_WEBHOOKS = "manage_webhooks"
    SET_ASSESSMENT_WEIGHTS = "set_assessment_weights"
    VIEW_ASSESSMENT = "view_assessment"
    MANAGE_OWN_TOKENS = "manage_own_tokens"
    VIEW_OWN_NOTIFICATIONS = "view_own_notifications"
    MANAGE_NOTIFICATIONS = "manage_notifications"
    ASSIGN_ROLES = "assign_roles"
    VIEW_SECURITY_LOG = "view_security_log"
    EXPORT_SECURITY_LOG = "export_security_log"
    #: correct a progress report or add evidence to it: the department that reported it
    AMEND_REPORT = "amend_report"
    #: see every notification sent about a task (who was reminded and urged), not only one's own
    VIEW_TASK_NOTIFICATIONS = "view_task_notifications"


class Scope(enum.StrEnum):
    NONE = "none"
    REGION = "region"
    ASSIGNED = "assigned"
    LEAD = "lead"
    OWN = "own"
    DEPARTMENT = "department"


A, S = Action, Scope

_READ = {
    A.VIEW_PLAN: S.REGION,
    A.VIEW_TASK: S.REGION,
    A.VIEW_DASHBOARD: S.REGION,
    A.VIEW_DEPARTMENT: S.REGION,
}
_SELF = {A.MANAGE_OWN_TOKENS: S.OWN, A.VIEW_OWN_NOTIFICATIONS: S.OWN}
_BUREAU = {
    **_READ,
    **_SELF,
    A.IMPORT_PLAN: S.REGION,
    A.EDIT_PLAN: S.REGION,
    # plan maintenance: edit, reassign, add, split, merge, move, cancel and restore tasks
    A.MAINTAIN_PLAN: S.REGION,
    A.DELETE_PLAN: S.REGION,
    A.REVIEW_REPORT: S.REGION,
    A.DECIDE_COMPLETION: S.REGION,
    A.DECIDE_EXTENSION: S.REGION,
    A.URGE_TASK: S.REGION,
    A.VIEW_TASK_NOTIFICATIONS: S.REGION,
    A.EDIT_DEADLINE: S.REGION,
    A.ENTER_READING: S.REGION,
    A.EXPORT: S.REGION,
    A.MANAGE_DEPARTMENTS: S.REGION,
    A.USE_ADMIN_SITE: S.REGION,
    A.MANAGE_WEBHOOKS: S.REGION,
    A.SET_ASSESSMENT_WEIGHTS: S.REGION,
    # the ranking of departments (考核) and its export: bureau, leaders, administrators only
    A.VIEW_ASSESSMENT: S.REGION,
}
_DEPT_STAFF = {
    **_READ,
    **_SELF,
    A.UPDATE_PROGRESS: S.LEAD,
    A.SUBMIT_REPORT: S.ASSIGNED,
    A.AMEND_REPORT: S.DEPARTMENT,
    A.REQUEST_COMPLETION: S.LEAD,
    A.REQUEST_EXTENSION: S.LEAD,
    A.ENTER_READING: S.ASSIGNED,
    A.EXPORT: S.ASSIGNED,
}

#: 三员分立 (GB/T 22239-2019 level 3): the system administrator keeps the system's configuration
#: (regions, notifications, webhooks, the plan data the bureau manages) but not the accounts; the
#: security administrator manages accounts and roles and sees the department registry only as far
#: as accounts need it (no plans, tasks, reports, files or dashboards); the audit administrator
#: reads and exports the security audit log and changes nothing.
_SECURITY_ADMIN = {
    **_SELF,
    A.MANAGE_USERS: S.REGION,
    A.ASSIGN_ROLES: S.REGION,
    A.VIEW_DEPARTMENT: S.REGION,
    A.USE_ADMIN_SITE: S.REGION,
}
_AUDIT_ADMIN = {
    **_SELF,
    A.VIEW_SECURITY_LOG: S.REGION,
    A.EXPORT_SECURITY_LOG: S.REGION,
    A.USE_ADMIN_SITE: S.REGION,
}

#: role -> action -> scope. An action missing from a role's row is not allowed to that role.
MATRIX: dict[str, dict[Action, Scope]] = {
    Role.ADMIN: {
        **_BUREAU,
        A.MANAGE_REGIONS: S.REGION,
        A.MANAGE_NOTIFICATIONS: S.REGION,
    },
    Role.SECURITY_ADMIN: _SECURITY_ADMIN,
    Role.AUDIT_ADMIN: _AUDIT_ADMIN,
    Role.BUREAU: _BUREAU,
    Role.LEADER: {**_READ, **_SELF, A.EXPORT: S.REGION, A.VIEW_ASSESSMENT: S.REGION},
    Role.DEPT_HEAD: {**_DEPT_STAFF, A.SIGN_OFF_COMPLETION: S.LEAD},
    Role.DEPT_STAFF: _DEPT_STAFF,
}


@dataclass(frozen=True)
class Paths:
    """How to reach, from a model, the region path, the task, the owning user and the owning
    department (ORM lookups)."""

    region: str | None = None
    task: str | None = None
    owner: str | None = None
    department: str | None = None


#: label -> lookups. Models not listed here cannot be scoped and are refused. Each app registers
#: its own models (``register_paths``); the kernel's are below.
PATHS: dict[str, Paths] = {}

#: The regions whose path starts with a prefix (``Region.objects.filter(path__startswith=…)``),
#: given by the app that owns regions.
RegionsUnder = Callable[[str], "models.QuerySet[Any]"]
#: The assignments of the task at ``task`` (an ``OuterRef``) to ``department_id``, only the lead
#: ones when ``lead_only``: given by the app that owns task assignments.
AssignmentsOf = Callable[[OuterRef, int, bool], "models.QuerySet[Any]"]


@dataclass
class _Sources:
    regions_under: RegionsUnder | None = None
    assignments_of: AssignmentsOf | None = None


_SOURCES = _Sources()


def register_paths(paths: Mapping[str, Paths]) -> None:
    """Teach the policy how to scope these models (label -> lookups); called from ``ready()``."""
    PATHS.update({label.lower(): lookups for label, lookups in paths.items()})


def register_regions(regions_under: RegionsUnder) -> None:
    _SOURCES.regions_under = regions_under


def register_assignments(assignments_of: AssignmentsOf) -> None:
    _SOURCES.assignments_of = assignments_of


register_paths(
    {
        "ipplan.apitoken": Paths(region="user__region__path", owner="user"),
        "ipplan.tombstone": Paths(region="region_path"),
        # the region of the actor when the event happened ('' for no actor: seen without a region)
        "ipplan.securityevent": Paths(region="region_path"),
    }
)


def _paths(model: type[models.Model]) -> Paths:
    label = model._meta.label_lower
    try:
        return PATHS[label]
    except KeyError:
        raise LookupError(f"the permission policy does not know how to scope {label}") from None


def role_of(user: Person | AnonymousUser | None) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return getattr(user, "role", None)


def scope_of(user: Person | AnonymousUser | None, action: Action) -> Scope:
    role = role_of(user)
    if role is None:
        return Scope.NONE
    return MATRIX.get(role, {}).get(action, Scope.NONE)


def region_path(user: Person) -> str | None:
    """The region prefix the user sees; '' means every region (an administrator without a region)."""
    if user.region is not None:
        return user.region.path
    if user.role in ADMINISTRATOR_ROLES:
        return ""
    return None


def _region_condition(lookup: str, prefix: str) -> Q:
    """Objects whose region path starts with ``prefix``.

    Through a region foreign key (``plan__region__path``) this is ``plan.region_id IN (the ids of
    the regions under prefix)``: a handful of ids found once by the unique path index, instead of
    joining every row to its region and comparing paths with LIKE."""
    if lookup.endswith("__path") and lookup != "path":
        if _SOURCES.regions_under is None:
            raise LookupError("no app registered the regions (permissions.register_regions)")
        regions = _SOURCES.regions_under(prefix).values("pk")
        return Q(**{f"{lookup.removesuffix('__path')}__in": regions})
    return Q(**{f"{lookup}__startswith": prefix})


def _task_condition(user: Person, scope: Scope, task_lookup: str) -> Q | None:
    if user.department_id is None:
        return None
    if _SOURCES.assignments_of is None:
        raise LookupError("no app registered the task assignments (permissions.register_assignments)")
    assignments = _SOURCES.assignments_of(OuterRef(task_lookup), user.department_id, scope == Scope.LEAD)
    return Q(Exists(assignments))


def _condition(user: Person | AnonymousUser | None, action: Action, model: type[models.Model]) -> Q | None:
    """The condition an object of ``model`` meets when ``user`` may ``action`` it (``Q()``: every
    object); None when no object is allowed."""
    granted = scope_of(user, action)
    if granted == Scope.NONE:
        return None
    assert user is not None
    person: Person = user  # type: ignore[assignment]
    paths = _paths(model)
    condition = Q()
    if granted == Scope.OWN:
        if paths.owner is None:
            return None
        return Q(**{paths.owner: person.pk})
    prefix = region_path(person)
    if prefix is None or paths.region is None:
        return None
    if prefix:
        condition &= _region_condition(paths.region, prefix)
    if granted in (Scope.ASSIGNED, Scope.LEAD):
        if paths.task is None:
            return None
        task_condition = _task_condition(person, granted, paths.task)
        if task_condition is None:
            return None
        condition &= task_condition
    if granted == Scope.DEPARTMENT:
        if paths.department is None or person.department_id is None:
            return None
        condition &= Q(**{paths.department: person.department_id})
    return condition


def _scope(user: Person | AnonymousUser | None, action: Action, queryset: QS) -> QS:
    """``queryset`` narrowed, in the database, to the objects ``user`` may ``action``: private to
    the policy; a read calls ``restrict()`` (``ipplan.restrict``), which applies it."""
    condition = _condition(user, action, queryset.model)
    return queryset.none() if condition is None else queryset.filter(condition)


def can(user: Person | AnonymousUser | None, action: Action, obj: models.Model | None = None) -> bool:
    """May ``user`` perform ``action`` (on ``obj``, when given)?"""
    if scope_of(user, action) == Scope.NONE:
        return False
    if obj is None:
        return True
    if obj.pk is None:
        return False
    return _scope(user, action, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def require(user: Person | AnonymousUser | None, action: Action, obj: models.Model | None = None) -> None:
    """Raise PermissionDenied unless ``can(user, action, obj)``."""
    if not can(user, action, obj):
        raise _refusal(PermissionDenied(f"{action} not allowed"), action, obj)


def get_for(
    user: Person | AnonymousUser | None, action: Action, queryset: models.QuerySet[M], **lookup: Any
) -> M:
    """The object matching ``lookup`` if the user may ``action`` it; 404 otherwise, as if missing."""
    try:
        return _scope(user, action, queryset).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        try:
            existing = queryset.filter(**lookup).first()
        except (ValueError, TypeError):
            existing = None
        # An object that exists but is out of reach is a refusal for the security audit log;
        # the caller still sees 404, as for a missing one.
        raise (_refusal(Http404(), action, existing) if existing is not None else Http404()) from None


def _refusal(error: E, action: Action, obj: models.Model | None) -> E:
    """``error`` carrying what was refused, for the security audit log (ipplan.security)."""
    error.refused_action = str(action)  # type: ignore[attr-defined]
    if obj is not None:
        error.refused_type = obj._meta.label_lower  # type: ignore[attr-defined]
        error.refused_id = obj.pk  # type: ignore[attr-defined]
    return error


def allowed_actions(
    user: Person | AnonymousUser | None, obj: models.Model, actions: list[Action]
) -> set[Action]:
    """The subset of ``actions`` the user may perform on ``obj`` (for showing buttons), what
    ``can`` answers for each, asked in one query rather than one per action."""
    if obj.pk is None:
        return set()
    conditions = {action: _condition(user, action, type(obj)) for action in actions}
    wanted = {action: condition for action, condition in conditions.items() if condition is not None}
    if not wanted:
        return set()
    columns: dict[str, Any] = {
        f"may_{i}": ExpressionWrapper(condition, output_field=BooleanField()) if condition else Value(True)
        for i, condition in enumerate(wanted.values())
    }
    row = type(obj)._default_manager.filter(pk=obj.pk).values(**columns).first()
    if row is None:
        return set()
    return {action for i, action in enumerate(wanted) if row[f"may_{i}"]}
