"""The project's Celery application, handed to the kernel by the composition root.

``config.celery`` creates the app and registers it here; the kernel (health checks, metrics) and
the apps reach it through ``get()`` without importing ``config``. Celery's own ``current_app`` is
not used for this: it follows the last app created in the process, which a worker test's app can
be.
"""

from __future__ import annotations

from celery import Celery, current_app

_registered: list[Celery] = []


def register(app: Celery) -> None:
    _registered[:] = [app]


def get() -> Celery:
    """The registered app (``config.celery.app``), or Celery's current one before registration."""
    return _registered[0] if _registered else current_app._get_current_object()
