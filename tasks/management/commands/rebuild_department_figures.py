"""Compute every department's stored ranking counts for today (``tasks.department_figures``)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from tasks.department_figures import rebuild
from tasks.models import local_today


class Command(BaseCommand):
    help = (
        "Recompute the dashboard ranking's stored department counts for today "
        "(run after midnight so that the first dashboard of the day reads them ready)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        count = rebuild(local_today())
        self.stderr.write(f"{count} departments counted in {time.perf_counter() - started:.1f} s")
