"""Resolving department names read from a plan document against the registry.

A plan names its departments loosely (经信局, 市经信局, 市市场监管局(知识产权局) …). A name is
resolved within the plan's region and the regions above it (东莞海关 or a provincial bureau):
exact name first, then a recorded alias, then the name with its 市 prefix restored or dropped or
its parenthesised part removed. Anything else is *unresolved* and comes with ranked suggestions for
the coordinator to map or create; nothing is guessed silently.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from .models import Department, DepartmentAlias, Region

SUGGESTION_LIMIT = 5
SUGGESTION_MIN_SCORE = 60.0
_PARENTHESISED = re.compile(r"[(（][^()（）]*[)）]")


class Method(enum.StrEnum):
    EXACT = "exact"
    ALIAS = "alias"
    VARIANT = "variant"
    UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class Suggestion:
    department: Department
    score: float
    matched: str


@dataclass(frozen=True)
class Resolution:
    """How one name was resolved: the department (or None), by which rule, and suggestions."""

    name: str
    department: Department | None
    method: Method
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return self.department is not None


def _variants(name: str) -> list[str]:
    """Other spellings of the same body: 市 prefix added or dropped, parenthesised part removed."""
    out: list[str] = []
    bare = _PARENTHESISED.sub("", name).strip()
    for candidate in {name, bare}:
        if candidate.startswith("市") and not candidate.startswith("市场"):
            out.append(candidate[1:])
        elif not candidate.startswith("市"):
            out.append("市" + candidate)
        out.append(candidate)
    return [v for v in dict.fromkeys(out) if v and v != name]


class Registry:
    """The departments visible from one region, loaded once, to resolve many names."""

    def __init__(self, region: Region) -> None:
        chain = list(region.ancestors_and_self())
        # nearer regions win: a city's 市科技局 before a province's
        depth = {r.pk: r.path.count("/") for r in chain}
        departments = sorted(
            Department.objects.filter(region__in=chain, active=True).select_related("region"),
            key=lambda d: -depth[d.region_id],
        )
        self.by_name: dict[str, Department] = {}
        for department in departments:
            self.by_name.setdefault(department.name, department)
        by_id = {d.pk: d for d in departments}
        self.by_alias: dict[str, Department] = {}
        aliases = DepartmentAlias.objects.filter(region__in=chain, department__active=True)
        for alias in sorted(aliases, key=lambda a: -depth[a.region_id]):
            if alias.department_id in by_id:
                self.by_alias.setdefault(alias.name, by_id[alias.department_id])
        # 市市场监管局 for the registry's 市市场监管局(知识产权局)
        self.by_bare: dict[str, Department] = {}
        for department in departments:
            bare = _PARENTHESISED.sub("", department.name).strip()
            if bare != department.name:
                self.by_bare.setdefault(bare, department)
        self._choices: dict[str, Department] = {**self.by_alias, **self.by_name}

    def _lookup(self, name: str) -> tuple[Department | None, Method]:
        if name in self.by_name:
            return self.by_name[name], Method.EXACT
        if name in self.by_alias:
            return self.by_alias[name], Method.ALIAS
        for variant in [name, *_variants(name)]:
            found = self.by_name.get(variant) or self.by_alias.get(variant) or self.by_bare.get(variant)
            if found is not None:
                return found, Method.VARIANT
        return None, Method.UNRESOLVED

    def suggest(self, name: str, limit: int = SUGGESTION_LIMIT) -> list[Suggestion]:
        ranked = process.extract(name, list(self._choices), scorer=fuzz.WRatio, limit=limit * 3)
        seen: set[int] = set()
        out: list[Suggestion] = []
        for matched, score, _ in ranked:
            department = self._choices[matched]
            if score < SUGGESTION_MIN_SCORE or department.pk in seen:
                continue
            seen.add(department.pk)
            out.append(Suggestion(department=department, score=round(float(score), 1), matched=matched))
            if len(out) == limit:
                break
        return out

    def resolve(self, name: str) -> Resolution:
        name = name.strip()
        department, method = self._lookup(name)
        if department is not None:
            return Resolution(name=name, department=department, method=method)
        return Resolution(
            name=name, department=None, method=Method.UNRESOLVED, suggestions=self.suggest(name)
        )


def resolve_names(region: Region, names: Iterable[str]) -> dict[str, Resolution]:
    """Resolve each distinct name against the registry of ``region`` and the regions above it."""
    registry = Registry(region)
    return {name: registry.resolve(name) for name in dict.fromkeys(n.strip() for n in names) if name}
