"""The bureau's review queue: completion requests, extension requests and reports, oldest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from departments.http import AuthenticatedRequest
from ipplan.permissions import Action, require

from ..selectors import review_queue


@login_required
def review(request: AuthenticatedRequest) -> HttpResponse:
    require(request.user, Action.DECIDE_COMPLETION)
    queue = review_queue(request.user)
    context = {
        "completions": list(queue["completions"]),
        "extensions": list(queue["extensions"]),
        "reports": list(queue["reports"][:100]),
        "report_total": queue["reports"].count(),
    }
    return render(request, "tasks/review.html", context)
