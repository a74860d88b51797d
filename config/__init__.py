"""config: the composition root (settings, URLs, WSGI, the Celery app). It may import anything;
nothing imports it. The Celery app is loaded with Django so that ``shared_task`` binds to it."""

from .celery import app as celery_app

__all__ = ("celery_app",)
