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

from .permissions import Action, _condition

M = TypeVar("M", bound=models.Model)


class RestrictQuerySet(models.QuerySet[M]):
    """A queryset that can narrow itself to what a user may do."""

    def restrict(self, user: Any, action: Action) -> Self:
        """The rows of this queryset ``user`` may ``action``, filtered in the database (none for
        a user without the action, an anonymous one, or a model the policy cannot scope)."""
        condition = _condition(user, action, self.model)
        return self.none() if condition is None else self.filter(condition)


class RestrictManager(models.Manager[M]):
    """The default manager of a model the policy scopes."""

    def get_queryset(self) -> RestrictQuerySet[M]:
        return RestrictQuerySet(self.model, using=self._db)

    def restrict(self, user: Any, action: Action) -> RestrictQuerySet[M]:
        return self.get_queryset().restrict(user, action)


def restricted(model: type[M], user: Any, action: Action) -> models.QuerySet[M]:
    """``model.objects.restrict(user, action)`` for a model whose manager is only known at run
    time (the generic views)."""
    manager: Any = model._default_manager
    if not hasattr(manager, "restrict"):
        raise TypeError(f"{model._meta.label} has no restrict() manager (ipplan.restrict.RestrictManager)")
    queryset: models.QuerySet[M] = manager.restrict(user, action)
    return queryset
