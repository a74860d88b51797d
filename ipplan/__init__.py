"""ipplan: the Django project and the shared kernel every app builds on."""

from .celery import app as celery_app

__all__ = ("celery_app",)
