"""Base classes of the API's views and the kernel's own endpoints (``/me/``, ``/deleted/``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import django_filters
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..audit import SYNCED_MODELS
from ..filtering import SinceFilter
from ..generic import RestrictedViewSet
from ..models import Tombstone
from ..permissions import MATRIX, Action, role_of
from .etag import ETagMixin
from .filters import FilterBackend


class PolicyViewSet(ETagMixin, RestrictedViewSet):
    """Reads start from the permission policy: the queryset is ``model.objects.restrict(user,
    read_action)`` (``ipplan.generic.RestrictedViewSet``) narrowed by ``narrow()``, so an object
    outside the caller's scope answers 404 exactly like a missing one."""

    lookup_value_regex = r"[0-9]+"
    filter_backends = [FilterBackend]
    #: the field the cursor pagination walks (None: page numbers only)
    sync_field: ClassVar[str | None] = None
    etag_detail: ClassVar[bool] = True

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        return self.conditional(request, obj, self.get_serializer(obj).data)


class ReadOnlyPolicyViewSet(mixins.ListModelMixin, PolicyViewSet):
    pass


# --- /me/ ---------------------------------------------------------------------------------------


class MeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField()
    department = serializers.DictField(allow_null=True)
    region = serializers.DictField(allow_null=True)
    token = serializers.DictField(allow_null=True, help_text=_("用令牌访问时:令牌名称、是否可写、到期时间。"))
    allowed_actions = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    """Who the caller is, what the policy lets them do, and (for a token) what the token allows."""

    @extend_schema(responses=MeSerializer, tags=["me"], operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user: Any = request.user
        token = request.auth if hasattr(request.auth, "can_write") else None
        role = role_of(user)
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "name": user.get_full_name() or user.username,
                "role": role,
                "department": {"id": user.department.pk, "name": user.department.name}
                if user.department
                else None,
                "region": {"id": user.region.pk, "code": user.region.code, "name": user.region.name}
                if user.region
                else None,
                "token": {
                    "name": token.name,
                    "can_write": token.can_write,
                    "expires_at": token.expires_at.isoformat(),
                }
                if token
                else None,
                "allowed_actions": sorted(str(a) for a in MATRIX.get(role or "", {})),
            }
        )


# --- /deleted/ ----------------------------------------------------------------------------------


class TombstoneSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Tombstone
        fields = ["id", "model", "object_id", "deleted_at"]


class SyncedModelChoices(BaseChoiceIterator):
    """The synced models' labels, read when a form or the schema asks for them: the apps register
    them in ``ready()``, which may come after this module is loaded."""

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter([(label, label) for label in sorted(SYNCED_MODELS)])


class TombstoneFilterSet(django_filters.FilterSet):
    model = django_filters.ChoiceFilter(choices=SyncedModelChoices())
    deleted_since = SinceFilter(field_name="deleted_at", lookup_expr="gte")

    class Meta:
        model = Tombstone
        fields = ["model", "deleted_since"]


class TombstoneViewSet(ReadOnlyPolicyViewSet):
    """Deleted objects, for mirrors: after following the cursor of a resource, follow this one and
    drop what it lists. (Cancelled tasks are not deleted: they stay in /tasks/ with their status.)"""

    read_action = Action.VIEW_TASK
    serializer_class = TombstoneSerializer
    filterset_class = TombstoneFilterSet
    sync_field = "deleted_at"
    etag_detail = False

    model = Tombstone
