"""Which region a plan belongs to, read from its issuer and title (东莞市人民政府办公室 -> 东莞市).

Pure: the caller hands in the regions to choose from (anything with a name, a materialised path
and a primary key), so the rule is testable without a database.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Protocol, TypeVar


class NamedRegion(Protocol):
    """What the rule reads of a region: its name, its path (``/44/4419/``), its identity."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def pk(self) -> Hashable: ...


R = TypeVar("R", bound=NamedRegion)


def infer_region(texts: Iterable[str | None], regions: Iterable[R]) -> tuple[R | None, list[R]]:
    """The region the first of ``texts`` (issuer, then title) that names one points to.

    Returns (region, candidates): a region when exactly one fits best, else None with the
    candidates that matched (possibly none) for the coordinator to choose from.
    """
    pool = list(regions)
    for text in texts:
        if not text:
            continue
        hits = [r for r in pool if r.name and r.name in text]
        if not hits:
            # 东莞 for 东莞市: names are often written without their level suffix
            hits = [r for r in pool if len(r.name) > 2 and r.name[:-1] in text]
        if hits:
            # the most specific region named first in the text wins
            hits.sort(key=lambda r: (text.find(r.name[:-1]), -r.path.count("/")))
            best = [h for h in hits if text.find(h.name[:-1]) == text.find(hits[0].name[:-1])]
            if len(best) == 1 or len({h.pk for h in best}) == 1:
                return best[0], hits
            return None, hits
    return None, []
