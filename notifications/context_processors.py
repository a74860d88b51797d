"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ipplan.permissions import Action, can

from .models import Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the top bar may offer this user (the pages check again on the server)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "can_import": can(user, Action.IMPORT_PLAN),
            "can_review": can(user, Action.DECIDE_COMPLETION),
            "unread": Notification.objects.filter(recipient=user, read_at__isnull=True).count(),
            "can_admin": user.is_staff and can(user, Action.USE_ADMIN_SITE),
            "can_webhooks": can(user, Action.MANAGE_WEBHOOKS),
            "can_departments": can(user, Action.MANAGE_DEPARTMENTS),
            "can_security_log": can(user, Action.VIEW_SECURITY_LOG),
            # the security and audit administrators see no plan data (三员分立)
            "can_dashboard": can(user, Action.VIEW_DASHBOARD),
        }
    }
