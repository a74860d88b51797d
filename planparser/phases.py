"""Dated stages of a plan (工作步骤): ``工作启动阶段(2023年8月—2023年10月)``."""

from __future__ import annotations

import re

from .model import ParsedPhase

_D = r"((?:19|20)\d{2})\s*(年)?\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?|((?:19|20)\d{2})\s*年\s*(底|末|年底)"
_D2 = r"(?:((?:19|20)\d{2})\s*(年)?\s*)?(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?|((?:19|20)\d{2})\s*年\s*(底|末|年底)"
_SEP = r"\s*(?:起\s*)?(?:[-—~至到一–]+|—+)\s*"  # 2024年7月起至2025年12月
RANGE_RE = re.compile(rf"(?:{_D}){_SEP}(?:{_D2})")
OPEN_RE = re.compile(rf"(?:{_D})\s*(?:以后|之后|以来|起|开始)")
END_RE = re.compile(rf"(?:{_D})\s*(?:底|末)?\s*(?:前|之前|以前)")
# a stage dated by one month, not a deadline (到/于…, …底, …前): 建立工作机制(2021年8月)
POINT_RE = re.compile(
    r"(?<![到至于止])((?:19|20)\d{2})\s*(年)?\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?(?!\s*(?:\d|[底末前]|以前|之前))"
)
_QUARTER = re.compile(r"(?:((?:19|20)\d{2})\s*年\s*)?(?:第\s*([一二三四1-4])\s*季度|([上下])半年)")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_FIRST_YEARLESS = re.compile(r"(?<![\d年])(\d{1,2})\s*月")


def _fmt(year: int, month: int, day: str | None) -> str | None:
    if not 1 <= month <= 12:
        return None
    if day:
        d = int(day)
        if not 1 <= d <= 31:
            return None
        return f"{year:04d}-{month:02d}-{d:02d}"
    return f"{year:04d}-{month:02d}"


def _first(groups: tuple[str | None, ...]) -> tuple[str | None, bool]:
    """Date from the groups of _D; also whether 年 was missing (a typo like 20238月)."""
    year, nian, month, day, y2, end_word = groups
    if year and month:
        return _fmt(int(year), int(month), day), not nian
    if y2 and end_word:
        return f"{int(y2):04d}-12", False
    return None, False


def parse_range(text: str, year: int | None = None) -> tuple[str | None, str | None, bool] | None:
    """(start, end, had_typo) of the first date range in ``text``; a month named alone is a stage
    of that month (start and end). ``year``: the plan's year, for dates that name none
    (``排查整治阶段(9月1日至11月30日)`` of a 2017 plan) and quarters (``第一季度``)."""
    quarter = _QUARTER.search(text)
    if quarter and quarter.group(1):
        return _quarter(int(quarter.group(1)), quarter.group(2), quarter.group(3))
    if quarter and year is not None and not _YEAR.search(text):
        return _quarter(year, quarter.group(2), quarter.group(3))
    if year is not None and not _YEAR.search(text):
        text = _FIRST_YEARLESS.sub(lambda m: f"{year}年{m.group(1)}月", text, count=1)
    return _parse_dated(text)


def _quarter(year: int, which: str | None, half: str | None = None) -> tuple[str, str, bool]:
    """第一季度 … 第四季度, 上半年 / 下半年 of ``year``."""
    if half:
        return (
            (f"{year:04d}-01", f"{year:04d}-06", False)
            if half == "上"
            else (f"{year:04d}-07", f"{year:04d}-12", False)
        )
    assert which is not None
    last = 3 * ("一二三四".find(which) + 1 or int(which))
    return f"{year:04d}-{last - 2:02d}", f"{year:04d}-{last:02d}", False


def _parse_dated(text: str) -> tuple[str | None, str | None, bool] | None:
    m = RANGE_RE.search(text)
    if m:
        g = m.groups()
        start, typo1 = _first(g[0:6])
        year2, nian2, month2, day2, y2b, endw2 = g[6:12]
        end: str | None
        typo2 = False
        if y2b and endw2:
            end = f"{int(y2b):04d}-12"
        elif month2:
            if year2:
                y = int(year2)
                typo2 = not nian2
            elif start:
                y = int(start[:4])
                if int(month2) < int(start[5:7]):
                    y += 1
            else:
                return None
            end = _fmt(y, int(month2), day2)
        else:
            end = None
        if start:
            return start, end, typo1 or typo2
    m2 = OPEN_RE.search(text)
    if m2:
        start, typo = _first(m2.groups()[0:6])
        if start:
            return start, None, typo
    m3 = END_RE.search(text)
    if m3:
        end, typo = _first(m3.groups()[0:6])
        if end:
            return None, end, typo
    m4 = POINT_RE.search(text)
    if m4:
        point, typo = _first((*m4.groups(), None, None))
        if point:
            return point, point, typo
    return None


def phase_from(name: str, text: str, line: int, year: int | None = None) -> tuple[ParsedPhase, bool] | None:
    parsed = parse_range(text, year)
    if parsed is None:
        return None
    start, end, typo = parsed
    name = re.sub(r"\([^()]*\d{4}[^()]*\)", "", name).strip(" :,;")
    return ParsedPhase(name=name, start=start, end=end, line=line), typo
