"""Each plan's reminder rules: reading them, and the bureau changing them."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from departments.models import User
from ipplan.permissions import Action, require

from ..models import ReminderPolicy
from ..rules import Rules, default_rules


def rules_for(plan: Any) -> Rules:
    """The plan's own policy, or the defaults."""
    try:
        policy = plan.reminder_policy
    except ReminderPolicy.DoesNotExist:
        return default_rules()
    return Rules(
        days_before=tuple(policy.offsets_before),
        on_day=policy.on_day,
        repeat_every_days=policy.repeat_every_days,
        escalate_head_after=policy.escalate_head_after,
        escalate_bureau_after=policy.escalate_bureau_after,
    )


@transaction.atomic
def reminder_policy_set(
    *,
    actor: User | None,
    plan: Any,
    days_before: str = "7,3,1",
    on_day: bool = True,
    repeat_every_days: int = 3,
    escalate_head_after: int = 7,
    escalate_bureau_after: int = 14,
) -> ReminderPolicy:
    """Create or change the plan's reminder rules."""
    if actor is not None:
        require(actor, Action.EDIT_PLAN, plan)
    policy = ReminderPolicy.objects.select_for_update().filter(plan=plan).first() or ReminderPolicy(plan=plan)
    policy.days_before = days_before
    policy.on_day = on_day
    policy.repeat_every_days = repeat_every_days
    policy.escalate_head_after = escalate_head_after
    policy.escalate_bureau_after = escalate_bureau_after
    policy.updated_by = actor
    policy.full_clean()
    policy.save()
    return policy
