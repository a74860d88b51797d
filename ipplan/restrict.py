"""``Model.objects.restrict(user, action)``: a queryset narrowed by the permission policy.

Every model the policy knows how to scope (``ipplan.permissions.PATHS``) uses ``RestrictManager``
(or a queryset deriving from ``RestrictQuerySet``) as its default manager, so a read starts as
``Task.objects.restrict(request.user, Action.VIEW_TASK)`` and can be narrowed from there. The
decision itself stays in the policy: this module only applies it. (``user`` is whatever the request carries, a signed-in
user or an anonymous one; the policy answers "nothing" for the latter.)
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

from django.db import models

from .permissions import Action, _scope

M = TypeVar("M", bound=models.Model)


class RestrictQuerySet(models.QuerySet[M]):
    """A queryset that can narrow itself to what a user may do."""

    def restrict(self, user: Any, action: Action) -> Self:
        """The rows of this queryset ``user`` may ``action``, filtered in the database by the
        policy (none for a user without the action or an anonymous one; LookupError for a model
        the policy does not know how to scope)."""
        return _scope(user, action, self)


class RestrictManager(models.Manager[M]):
    """The default manager of a model the policy scopes."""

    def get_queryset(self) -> RestrictQuerySet[M]:
        return RestrictQuerySet(self.model, using=self._db)

    def restrict(self, user: Any, action: Action) -> RestrictQuerySet[M]:
        return self.get_queryset().restrict(user, action)


def restrict(queryset: models.QuerySet[M], user: Any, action: Action) -> models.QuerySet[M]:
    """``queryset.restrict(user, action)`` for a queryset only typed as a ``QuerySet`` (the admin's,
    a generic view's); TypeError when its model's manager is not a ``RestrictManager``."""
    if not isinstance(queryset, RestrictQuerySet):
        label = queryset.model._meta.label
        raise TypeError(f"{label} has no restrict() manager (ipplan.restrict.RestrictManager)")
    return queryset.restrict(user, action)


def restricted(model: type[M], user: Any, action: Action) -> models.QuerySet[M]:
    """``model.objects.restrict(user, action)`` for a model whose manager is only known at run
    time (the generic views)."""
    return restrict(model._default_manager.all(), user, action)
