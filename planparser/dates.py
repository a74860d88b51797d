"""Per-task deadlines: Chinese date phrases turned into ISO dates.

Pure functions, no Django. A phrase such as ``6月底完成``, ``2024年底前``, ``年内``, ``三季度``,
``2023年8月15日`` or ``印发后3个月内`` becomes a date; where only a month (or a year, a quarter)
is given the date is the last day of it. Phrases without a year take the plan's year (see
``context_year``); relative phrases need the issue date. ``持续推进``, ``长期坚持`` and the like are
understood and give no date; anything else is reported as not understood so the task can be
flagged for a look.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .text import WORK_TABLE, YEAR_RE, cn_digits_to_int, cn_to_int

DATE = "date"  # a date was read
ONGOING = "ongoing"  # continuous work: understood, no date
UNCLEAR = "unclear"  # a time phrase whose date could not be worked out


@dataclass(frozen=True, slots=True)
class Deadline:
    """What a deadline phrase says: ``iso`` (``YYYY-MM-DD``) or None, and how it was understood."""

    iso: str | None
    status: str
    text: str


_CN_YEAR = re.compile(r"([〇○零O一二三四五六七八九]{4})(?=\s*年)")
_CN_MONTH_DAY = re.compile(
    r"(?<![\d一二三四五六七八九十])([一二三四五六七八九十]{1,3})(?=\s*(?:个月|个?工作日|月|日|天|周|个?季度))"
)

# Where a phrase may name several dates (2025年启动,2026年9月完成) every pattern of a table is read:
# each pairs with how its match gives a date (None: not a date after all). The order matters: at
# the same end position the earlier, more precise reading wins (see ``_pick``).
_Reading = tuple[re.Pattern[str], Callable[[re.Match[str], int], date | None]]
# phrases that name their year; the reader's year argument is not used
_ABSOLUTE: tuple[_Reading, ...] = (
    (
        re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"),
        lambda m, _: _checked(int(m.group(1)), int(m.group(2)), int(m.group(3))),
    ),
    (
        re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(上旬|中旬|下旬)?"),
        lambda m, _: _in_month(int(m.group(1)), int(m.group(2)), m.group(3)),
    ),
    (
        re.compile(r"((?:19|20)\d{2})\s*年?\s*[-—~至到]+\s*((?:19|20)\d{2})\s*年"),
        lambda m, _: date(int(m.group(2)), 12, 31),
    ),
    (
        re.compile(r"((?:19|20)\d{2})\s*年\s*(上半年|年中|下半年)"),
        lambda m, _: _month_end(int(m.group(1)), 6 if m.group(2) in ("上半年", "年中") else 12),
    ),
    (
        re.compile(r"((?:19|20)\d{2})\s*年\s*(?:第\s*)?([1-4])\s*季度"),
        lambda m, _: _month_end(int(m.group(1)), int(m.group(2)) * 3),
    ),
    (  # 2025-06, 2025.6.30; a "month" past 12 is not read as a date
        re.compile(r"((?:19|20)\d{2})\s*[-./]\s*(\d{1,2})(?:\s*[-./]\s*(\d{1,2}))?(?!\d)"),
        lambda m, _: (
            _checked(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)
            if 1 <= int(m.group(2)) <= 12
            else None
        ),
    ),
    (YEAR_RE, lambda m, _: date(int(m.group(1)), 12, 31)),
)
# phrases that name no year: 6月底, 9月30日, 三季度, 年内 are read in the year given
_YEARLESS: tuple[_Reading, ...] = (
    (
        re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"),
        lambda m, year: _checked(year, int(m.group(1)), int(m.group(2))),
    ),
    (
        re.compile(r"(?<![\d年])(\d{1,2})\s*月(?!\s*[1-9一二三四五六七八九十]\s*日)\s*(上旬|中旬|下旬)?"),
        lambda m, year: _in_month(year, int(m.group(1)), m.group(2)),
    ),
    (re.compile(r"上半年|年中|下半年"), lambda m, year: _month_end(year, 12 if m.group() == "下半年" else 6)),
    (re.compile(r"(?:第\s*)?([1-4])\s*季度"), lambda m, year: _month_end(year, int(m.group(1)) * 3)),
    (re.compile(r"年底|年末|年内|今年|本年|当年|全年|年度内"), lambda m, year: date(year, 12, 31)),
)
_RELATIVE = re.compile(
    r"(?:印发|发布|出台|下发|实施|施行|本方案|通知)[^,;。]{0,8}?(?:之日起|后|起)\s*"
    r"(\d{1,3})\s*(个月|个?工作日|日|天|周|年)\s*内?"
)
_RELATIVE_BARE = re.compile(r"(?<!\d)(\d{1,3})\s*(个月|个?工作日|天|周)\s*内")
_START = re.compile(r"(?:(?:19|20)\d{2}\s*年)?(?:\s*\d{1,2}\s*月)?(?:\s*\d{1,2}\s*日)?\s*(?:起|开始|以来)")
_NEXT_YEAR = re.compile(r"明年|次年|下一?年(?!度)")
_RECURRING = re.compile(r"每年|每季度?|每月|每半年|逐年|定期|每周")
_ONGOING = re.compile(
    r"持续|长期|常态化|常年|经常性|每年|逐年|每季度?|每月|每半年|定期|按进度|按计划|按年度|分年度|逐步|"
    r"动态|久久为功"
)


def _normalise(text: str) -> str:
    """Full-width folded, Chinese numerals of years, months and counts as digits."""
    work = text.translate(WORK_TABLE)
    work = _CN_YEAR.sub(lambda m: str(cn_digits_to_int(m.group(1)) or m.group(1)), work)
    return _CN_MONTH_DAY.sub(lambda m: str(cn_to_int(m.group(1)) or m.group(1)), work)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _in_month(year: int, month: int, part: str | None) -> date:
    """The 10th, the 20th or the last day of the month; _Invalid for an impossible month."""
    end = _checked(year, month)
    if part == "上旬":
        return end.replace(day=10)
    if part == "中旬":
        return end.replace(day=20)
    return end


def _add_months(start: date, months: int) -> date:
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def context_year(period: tuple[int, int] | None, issued_on: date | None) -> int | None:
    """The year a phrase without one (``6月底``, ``年内``) belongs to.

    A one-year plan (``2022年…办法``, period 2022-2022) gives its year; otherwise the issue date's
    year; otherwise the first year of the period.
    """
    if period is not None and period[0] == period[1]:
        return period[0]
    if issued_on is not None:
        return issued_on.year
    if period is not None:
        return period[0]
    return None


def _relative(work: str, issued_on: date | None) -> tuple[bool, date | None]:
    m = _RELATIVE.search(work) or _RELATIVE_BARE.search(work)
    if m is None:
        return False, None
    if issued_on is None:
        return True, None
    count, unit = int(m.group(1)), m.group(2)
    if unit == "个月":
        return True, _add_months(issued_on, count)
    if unit == "年":
        return True, _add_months(issued_on, 12 * count)
    if unit == "周":
        return True, issued_on + timedelta(weeks=count)
    if "工作日" in unit:
        return True, issued_on + timedelta(days=count * 7 // 5 + (1 if count % 5 else 0))
    return True, issued_on + timedelta(days=count)


class _Invalid(ValueError):
    """A date phrase with an impossible month or day (2026年13月)."""


def _pick(candidates: list[tuple[int, date]]) -> date | None:
    # the last date the phrase names is the deadline (2025年启动,2026年9月完成); at the same end
    # position the most precise reading, which comes first
    if not candidates:
        return None
    last = max(end for end, _ in candidates)
    return next(d for end, d in candidates if end == last)


def _checked(year: int, month: int, day: int | None = None) -> date:
    if not 1 <= month <= 12:
        raise _Invalid
    if day is None:
        return _month_end(year, month)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise _Invalid
    return date(year, month, day)


def _last_date(work: str, readings: tuple[_Reading, ...], year: int = 0) -> date | None:
    """The last date the phrase names by ``readings``; _Invalid for an impossible one."""
    found: list[tuple[int, date]] = []
    for pattern, read in readings:
        for m in pattern.finditer(work):
            day = read(m, year)
            if day is not None:
                found.append((m.end(), day))
    return _pick(found)


def _has_yearless(work: str) -> bool:
    return any(pattern.search(work) for pattern, _ in _YEARLESS)


def parse_deadline(
    text: str | None, *, year: int | None = None, issued_on: date | None = None
) -> Deadline | None:
    """Read one deadline phrase; None when ``text`` is empty.

    ``year`` is the year of phrases that name none (``context_year``); ``issued_on`` is needed for
    relative phrases (``印发后3个月内``), which are ``UNCLEAR`` without it.
    """
    if text is None or not text.strip():
        return None
    phrase = text.strip()
    normalised = _normalise(phrase)
    # 2023年起持续推进: a start, not a deadline (but 印发之日起30日内 counts from the issue date)
    work = normalised if _RELATIVE.search(normalised) else _START.sub("", normalised)
    started = work != normalised
    if _RECURRING.search(work) and not YEAR_RE.search(work):
        return Deadline(None, ONGOING, phrase)  # 每年12月底前: due again every year
    try:
        found = _last_date(work, _ABSOLUTE)
        if found is not None:
            return Deadline(found.isoformat(), DATE, phrase)
        is_relative, rel = _relative(work, issued_on)
        if is_relative:
            return Deadline(rel.isoformat(), DATE, phrase) if rel else Deadline(None, UNCLEAR, phrase)
        if _has_yearless(work) or _NEXT_YEAR.search(work):
            if year is None:
                return Deadline(None, UNCLEAR, phrase)
            if _NEXT_YEAR.search(work):  # 明年6月底前: the month of the year after
                year += 1
                work = _NEXT_YEAR.sub("", work)
                found = _last_date(work, _YEARLESS, year) or date(year, 12, 31)
            else:
                found = _last_date(work, _YEARLESS, year)
            if found is not None:
                return Deadline(found.isoformat(), DATE, phrase)
    except (_Invalid, ValueError, OverflowError):
        return Deadline(None, UNCLEAR, phrase)
    if _ONGOING.search(work) or started:
        return Deadline(None, ONGOING, phrase)
    return Deadline(None, UNCLEAR, phrase)


_TIME_WORD = re.compile(
    r"(?:19|20)\d{2}\s*年|\d{1,2}\s*月|[一二三四五六七八九十]{1,3}月|年底|年末|年内|上半年|下半年|季度|"
    r"底前|前完成|个月内|日内|天内|持续|长期|常态化|按进度|按计划|每年|逐年|定期"
)
_ORG_TAIL = re.compile(r"(?:局|委|办|厅|部|政府|单位|部门|中心|公司|集团|管委会|办公室)$")


def is_time_phrase(text: str) -> bool:
    """Whether a short clause is a time node (``6月底完成``, ``持续推进``), not a list of names."""
    work = _normalise(text.strip())
    if not work or len(work) > 40:
        return False
    return bool(_TIME_WORD.search(work)) and not _ORG_TAIL.search(work)


def deadline_to_date(text: str | None) -> date | None:
    """The last date a written deadline allows: 2026年6月底前 -> 2026-06-30, 2026年 -> 2026-12-31.

    The parser's ISO dates (2026-06-30) pass through. Open-ended wording (长期坚持, 持续推进) gives
    None: the bureau sets such dates by hand.
    """
    found = parse_deadline(text)
    return date.fromisoformat(found.iso) if found is not None and found.iso else None


def phase_date(value: str | None, *, end: bool) -> date | None:
    """A phase's ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a date: its first day, or with ``end``
    its last (2025-12 -> 2025-12-31)."""
    if not value:
        return None
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return date(*parts)
    if len(parts) == 2:
        year, month = parts
        return date(year, month, calendar.monthrange(year, month)[1]) if end else date(year, month, 1)
    return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
