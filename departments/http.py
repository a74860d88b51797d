"""The typed request of a signed-in user, for views behind ``login_required`` (and the admin):
``request.user`` is a ``User``, so a view passes it to a service as the actor without a cast."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from .models import User


class AuthenticatedRequest(HttpRequest):
    """Annotation only: at run time this is Django's ordinary request, whose user the
    authentication middleware set and ``login_required`` checked."""

    user: User  # type: ignore[assignment]


def signed_in(request: HttpRequest | Request) -> User:
    """The request's user, checked to be a signed-in ``User`` (403 otherwise): the actor a service
    takes, without a cast."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user
