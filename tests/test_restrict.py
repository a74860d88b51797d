"""Every list page and every API view with a queryset takes it from the kernel's restricted bases
(``ipplan.generic``), so a read cannot forget the permission policy; and the bases really filter.

The URL resolver is walked, not a list kept by hand: a new list page or viewset is checked the day
it is routed."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import models
from django.http import Http404
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic.list import MultipleObjectMixin
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.views import APIView

from ipplan.generic import RestrictedAPIMixin, RestrictedListView
from ipplan.permissions import PATHS, Action
from ipplan.restrict import restricted
from tasks.models import Plan, Task

from .conftest import World

FIRST_PARTY = ("ipplan", "tasks", "webhooks", "departments", "directory", "notifications", "config")


def _patterns(resolvers: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _first_party(obj: Any) -> bool:
    return (getattr(obj, "__module__", "") or "").split(".")[0] in FIRST_PARTY


def _routed() -> list[tuple[str, Callable[..., Any], type | None]]:
    """(route, callback, view class or None for a function view) of every first-party view."""
    found = []
    for route, pattern in _patterns(get_resolver().url_patterns):
        callback = pattern.callback
        cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if cls is not None and _first_party(cls):
            found.append((route, callback, cls))
        elif cls is None and _first_party(inspect.unwrap(callback)):
            found.append((route, callback, None))
    return found


def _restricted_classes() -> list[tuple[str, type]]:
    """(first route, class) of every view on a restricted base, each class once."""
    found: dict[type, str] = {}
    for route, _callback, cls in _routed():
        if cls is not None and issubclass(cls, RestrictedListView | RestrictedAPIMixin):
            found.setdefault(cls, route)
    return [(route, cls) for cls, route in found.items()]


def test_the_walk_finds_the_views() -> None:
    routed = _routed()
    assert len(routed) > 50
    classes = {cls for _r, _c, cls in routed if cls is not None}
    assert {"TaskViewSet", "PlanViewSet", "NotificationList", "SubscriptionList"} <= {
        c.__name__ for c in classes
    }
    # the department inbox, the drill-down task list and the plan page (once paged by hand)
    restricted_pages = {cls.__name__ for _route, cls in _restricted_classes()}
    assert {"Inbox", "TaskList", "PlanDetail"} <= restricted_pages


def test_every_api_view_with_a_queryset_derives_from_the_restricted_base() -> None:
    wrong = []
    for route, _callback, cls in _routed():
        if cls is None or not issubclass(cls, APIView):
            continue
        if not issubclass(cls, GenericAPIView):
            get = getattr(cls, "get", None)
            if get is not None and "many=True" in inspect.getsource(get):
                wrong.append(f"{route}: {cls.__qualname__} lists rows from a plain APIView")
            continue
        if not issubclass(cls, RestrictedAPIMixin):
            wrong.append(f"{route}: {cls.__qualname__} does not derive from RestrictedAPIMixin")
        elif cls.get_queryset is not RestrictedAPIMixin.get_queryset:
            wrong.append(f"{route}: {cls.__qualname__} replaces get_queryset (narrow() instead)")
    assert not wrong, "\n".join(wrong)


def test_every_list_page_derives_from_the_restricted_base() -> None:
    wrong = []
    for route, callback, cls in _routed():
        if cls is not None:
            if not issubclass(cls, MultipleObjectMixin):
                continue
            if not issubclass(cls, RestrictedListView):
                wrong.append(f"{route}: {cls.__qualname__} does not derive from RestrictedListView")
            elif cls.get_queryset is not RestrictedListView.get_queryset:
                wrong.append(f"{route}: {cls.__qualname__} replaces get_queryset (narrow() instead)")
            continue
        function = inspect.unwrap(callback)
        name = f"{function.__module__}.{function.__qualname__}"
        if "Paginator(" in inspect.getsource(function):
            wrong.append(f"{route}: {name} pages a queryset by hand (make it a RestrictedListView)")
    assert not wrong, "\n".join(wrong)


def test_every_model_the_policy_scopes_has_restrict() -> None:
    from django.apps import apps

    for label in PATHS:
        model = apps.get_model(label)
        assert callable(getattr(model._default_manager, "restrict", None)), label
        assert callable(getattr(model._default_manager.all(), "restrict", None)), label


# --- the bases filter ----------------------------------------------------------------------------


def _queryset(cls: type, user: Any) -> models.QuerySet[Any] | None:
    """The queryset the view would list for ``user`` (None: the view needs URL arguments)."""
    request = RequestFactory().get("/")
    request.user = user
    view = cls()
    if issubclass(cls, RestrictedAPIMixin):
        drf_request = Request(request)
        drf_request.user = user
        view.request, view.format_kwarg, view.action = drf_request, None, "list"
    else:
        view.request = request
    view.args, view.kwargs = (), {}
    try:
        return view.get_queryset()
    except (KeyError, Http404):
        return None


def _in_region(queryset: models.QuerySet[Any], path: str) -> bool:
    lookup = PATHS[queryset.model._meta.label_lower].region
    assert lookup is not None
    return queryset.filter(**{f"{lookup}__startswith": path}).exists()


@pytest.mark.django_db
def test_a_user_of_another_region_sees_nothing_through_any_of_them(world: World) -> None:
    """The city's bureau sees its rows through the sample; the other city's bureau and a
    department of the other city see none of the city's rows through any restricted view."""
    seen_by_bureau = 0
    checked = 0
    for route, cls in _restricted_classes():
        for outsider in ("other_bureau", "foreign_staff"):
            queryset = _queryset(cls, world.users[outsider])
            if queryset is None:
                continue
            checked += 1
            assert not _in_region(queryset, world.city.path), (route, cls.__qualname__, outsider)
        own = _queryset(cls, world.users["bureau"])
        if own is not None and _in_region(own, world.city.path):
            seen_by_bureau += 1
    assert checked >= 2 * 12
    assert seen_by_bureau >= 4  # the sample is not vacuous: the bases do return the city's rows


@pytest.mark.django_db
def test_restrict_is_the_policy(world: World) -> None:
    """``Model.objects.restrict`` answers as ``can`` for each object, for a few users and actions."""
    from ipplan.permissions import can

    for who in ("bureau", "other_bureau", "staff", "head", "leader", "security"):
        user = world.users[who]
        for action in (Action.VIEW_TASK, Action.UPDATE_PROGRESS, Action.URGE_TASK):
            allowed = set(Task.objects.restrict(user, action).values_list("pk", flat=True))
            assert allowed == {t.pk for t in Task.objects.all() if can(user, action, t)}, (who, action)
        plans = set(restricted(Plan, user, Action.VIEW_PLAN).values_list("pk", flat=True))
        assert plans == {p.pk for p in Plan.objects.all() if can(user, Action.VIEW_PLAN, p)}, who
