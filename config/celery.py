"""The Celery application. Jobs live in ``<app>/jobs.py`` ("task" means a plan task here)."""

import os

from celery import Celery

from ipplan import celeryapp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ipplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
celeryapp.register(app)
