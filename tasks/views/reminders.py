"""A plan's reminder rules, set by the bureau on the plan page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.http import AuthenticatedRequest
from ipplan.permissions import Action, get_for, require
from notifications.services.policies import reminder_policy_set

from ..models import Plan


@login_required
@require_POST
def plan_reminders(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    plan = get_for(request.user, Action.VIEW_PLAN, Plan.objects.all(), pk=pk)
    require(request.user, Action.EDIT_PLAN, plan)
    try:
        numbers = {
            key: int(request.POST.get(key, "0") or 0)
            for key in ("repeat_every_days", "escalate_head_after", "escalate_bureau_after")
        }
        reminder_policy_set(
            actor=request.user,
            plan=plan,
            days_before=request.POST.get("days_before", "").strip(),
            on_day=request.POST.get("on_day") == "on",
            **numbers,
        )
    except ValueError:
        messages.error(request, _("天数必须是整数。"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已保存本方案的提醒规则。"))
    return redirect("tasks:plan_detail", plan.pk)
