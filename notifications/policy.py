"""What the kernel's permission policy needs to know of this app's models; handed over in
``NotificationsConfig.ready()``."""

from __future__ import annotations

from ipplan.permissions import Paths, register_paths


def register() -> None:
    register_paths({"notifications.notification": Paths(region="recipient__region__path", owner="recipient")})
