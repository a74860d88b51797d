"""The bureau of a region."""

from __future__ import annotations

from django.db.models import QuerySet

from departments.models import Region, User
from ipplan.roles import Role


def bureau_users_for_region(region: Region) -> QuerySet[User]:
    """**The bureau of a region**: the active bureau users (知识产权局督办人员) whose region is
    ``region`` or a region above it (a provincial bureau oversees its cities), oldest first."""
    path = region.path
    prefixes = [path[: i + 1] for i, char in enumerate(path) if char == "/" and i > 0]
    return User.objects.filter(role=Role.BUREAU, is_active=True, region__path__in=prefixes).order_by("pk")


def city_of(region: Region | None) -> str:
    """The code of the city a region belongs to (the region itself for a city, its parent city for
    a district or county), or '' at province level: rankings name and group departments by it."""
    if region is None:
        return ""
    codes = [code for code in region.path.strip("/").split("/") if code]
    return codes[1] if len(codes) >= 2 else ""
