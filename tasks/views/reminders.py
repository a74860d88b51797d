"""A plan's reminder rules, set by the bureau on the plan page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from departments.http import AuthenticatedRequest
from ipplan.generic import MessageActionView
from ipplan.permissions import Action, require
from notifications.services.policies import reminder_policy_set

from ..forms import ReminderRulesForm
from ..models import Plan


class PlanReminders(MessageActionView):
    """The rules of a plan the user may edit (404 when they may not see it, 403 not edit it)."""

    request: AuthenticatedRequest
    model = Plan
    lookup_action = Action.VIEW_PLAN
    form_class = ReminderRulesForm
    object_name = "plan"
    success_message = _("已保存本方案的提醒规则。")

    def get_object(self) -> Plan:
        plan = super().get_object()
        require(self.request.user, Action.EDIT_PLAN, plan)
        return plan

    def page(self, obj: Plan) -> str:
        return reverse("tasks:plan_detail", args=[obj.pk])


plan_reminders = PlanReminders.as_view(service=reminder_policy_set)
