"""Kernel jobs run by Celery beat."""

from celery import shared_task

from .services import heartbeat_record


@shared_task(name="ipplan.jobs.heartbeat")
def heartbeat(name: str = "tick") -> int:
    """Record that beat ticked; returns the number of runs so far."""
    return heartbeat_record(name=name).runs
