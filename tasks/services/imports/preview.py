"""The preview of a parsed plan: its region, each department name resolved against the registry,
and for a revised version the diff against the plan it replaces. Writes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from departments.models import Region
from departments.resolution import Registry, Resolution
from planparser import regions
from planparser.model import ParsedPlan, department_names

from ...models import Plan
from .reimport import PlanDiff, plan_diff


def infer_region(
    parsed: ParsedPlan, candidates: Iterable[Region] | None = None
) -> tuple[Region | None, list[Region]]:
    """The plan's region from its issuer, then its title (``planparser.regions``), among
    ``candidates`` (default: every region)."""
    pool = candidates if candidates is not None else Region.objects.all()
    return regions.infer_region((parsed.issuer, parsed.title), pool)


@dataclass
class Preview:
    """What the coordinator checks before committing."""

    parsed: ParsedPlan
    region: Region | None
    region_candidates: list[Region]
    resolutions: dict[str, Resolution]
    diff: PlanDiff | None = None

    @property
    def unresolved(self) -> list[Resolution]:
        return [r for r in self.resolutions.values() if not r.resolved]


def import_preview(
    *, parsed: ParsedPlan, region: Region | None = None, replaces: Plan | None = None, infer: bool = True
) -> Preview:
    candidates: list[Region] = []
    if region is None and infer:
        region, candidates = infer_region(parsed)
    resolutions: dict[str, Resolution] = {}
    if region is not None:
        registry = Registry(region)
        resolutions = {name: registry.resolve(name) for name in department_names(parsed)}
    preview = Preview(parsed=parsed, region=region, region_candidates=candidates, resolutions=resolutions)
    if replaces is not None and region is not None:
        preview.diff = plan_diff(plan=replaces, parsed=parsed, resolutions=resolutions)
    return preview
