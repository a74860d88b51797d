"""What the kernel's permission policy and admin need to know of this app's models; handed over in
``WebhooksConfig.ready()``."""

from __future__ import annotations

from ipplan.admin import register_choice_actions
from ipplan.permissions import Action, Paths, register_paths


def register() -> None:
    register_paths(
        {
            "webhooks.subscription": Paths(region="region__path"),
            "webhooks.delivery": Paths(region="subscription__region__path"),
            "webhooks.event": Paths(region="region__path"),
        }
    )
    register_choice_actions(
        {"webhooks.subscription": Action.MANAGE_WEBHOOKS, "webhooks.event": Action.MANAGE_WEBHOOKS}
    )
