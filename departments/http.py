"""The typed request of a signed-in user, for views behind ``login_required`` (and the admin):
``request.user`` is a ``User``, so a view passes it to a service as the actor without a cast."""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedRequest(HttpRequest):
    """Annotation only: at run time this is Django's ordinary request, whose user the
    authentication middleware set and ``login_required`` checked."""

    user: User  # type: ignore[assignment]
