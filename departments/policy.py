"""What the kernel's permission policy, audit and admin need to know of this app's models; handed
over in ``DepartmentsConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ipplan.admin import register_choice_actions
from ipplan.audit import register_synced
from ipplan.permissions import Action, Paths, register_paths, register_regions

from .models import Region


def regions_under(prefix: str) -> QuerySet[Any]:
    return Region.objects.filter(path__startswith=prefix)


def register() -> None:
    register_paths(
        {
            "departments.region": Paths(region="path"),
            "departments.department": Paths(region="region__path"),
            "departments.departmentalias": Paths(region="region__path"),
            "departments.user": Paths(region="region__path", owner="pk"),
            "departments.assessmentweights": Paths(region="region__path"),
        }
    )
    register_regions(regions_under)
    register_synced("departments.department")
    register_choice_actions(
        {
            "departments.region": Action.MANAGE_DEPARTMENTS,
            "departments.department": Action.MANAGE_DEPARTMENTS,
            "departments.departmentalias": Action.MANAGE_DEPARTMENTS,
            "departments.user": Action.VIEW_DEPARTMENT,
        }
    )
