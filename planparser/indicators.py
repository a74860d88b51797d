"""Numeric targets: value, unit, comparator and target year."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import ParsedIndicator
from .text import TO_YEAR_RE, AStr

_BASE_UNITS = [
    "个百分点",
    "个工作日",
    "人次",
    "件次",
    "家次",
    "个",
    "件",
    "家",
    "户",
    "人",
    "名",
    "项",
    "所",
    "台",
    "套",
    "次",
    "场",
    "篇",
    "本",
    "部",
    "元",
    "倍",
    "%",
    "平方米",
    "亩",
    "吨",
    "公里",
    "条",
    "批",
    "类",
    "种",
    "座",
    "处",
    "支",
    "校",
    "株",
    "册",
    "门",
    "期",
    "间",
    "位",
    "组",
    "只",
    "份",
    "千瓦时",
    "千瓦",
    "兆瓦",
    "立方米",
    "公顷",
    "辆",
    "艘",
    "标准箱",
    "平方公里",
    "平方千米",
]
_UNITS = sorted(
    [
        f"{p}{u}"
        for p in ("万亿", "万", "亿", "千", "百万")
        for u in _BASE_UNITS
        if u not in ("%", "个百分点", "倍")
    ]
    + _BASE_UNITS
    + ["万", "亿"],
    key=len,
    reverse=True,
)
_NUM_RE = re.compile(
    r"(?<![\d.·:/A-Za-z])(\d+(?:\.\d+)?)\s*(余|多)?\s*(" + "|".join(re.escape(u) for u in _UNITS) + r")"
)
# a unit character that is really the start of a word: 121人才, 3部门, 5期间
_NOT_UNIT_BEFORE = {
    "人": "才员口民士群大类们均",
    "家": "庭族乡电长",
    "部": "门署分委",
    "所": "有属在得以需",
    "项": "目",
    "台": "湾账阶",
    "处": "理室置",
    "期": "间限刊",
    "元": "素旦宵",
    "本": "地市级领区土",
    "门": "户类槛",
    "批": "准复示",
    "条": "件例款",
    "类": "别型",
    "种": "子类植",
    "间": "隔",
    "位": "于置列",
    "组": "织建成",
    "次": "要序",
    "件": "事",
    "个": "人体性月",  # 3个月: a duration
    "支": "持撑付",
    "名": "称单义录",
    "场": "所景地合",
}
_AFTER = re.compile(r"^\s*(以上|以下|以内|左右|上下|之内|内)")
_JOINED = re.compile(r"\s*[\u4e00-\u9fff]{0,8}?(?:和|及|与|以及|、)[\u4e00-\u9fff]{0,12}\s*")
_PARAMETER_BEFORE = re.compile(r"(?:最高(?:不超过|可达|为)?|最多(?:不超过)?|上限为?)\s*$")
_ENTITLEMENT = re.compile(r"可(?:返还|申请|给予|享受|获得|领取|按)")
_CONDITION = re.compile(r"符合[^,;。]{0,20}条件的")
# 1家符合条件的…, …50%的标准确定, 按总里程13%的维修率测算
_MEASURE_AFTER = re.compile(
    r"^\s*(?:符合条件|符合要求|满足条件|的(?:标准|比例|[\u4e00-\u9fff]{0,3}率(?:测算|计算|核定|确定)))"
)
_EVERY = re.compile(r"每[^,;。]{0,8}$")
_BEFORE = [
    (
        "<=",
        re.compile(
            r"(不超过|不高于|控制在|(?<!不)低于|(?<!不)少于|(?<!不)小于|压缩至|压缩到|缩短至|缩短到|降至|降低到|降低至|降到"
            r"|下降到|下降至|减少到|减少至|减至|压减至|压减到)\s*$"
        ),
    ),
    (">", re.compile(r"(?<!不)(超过|突破|高于|多于)\s*$")),
    (
        ">=",
        re.compile(
            r"(不少于|不低于|至少|达到|达|提高到|提高至|提升至|提升到|增至|增加到|增加至|增长到|增长至"
            r"|上升到|上升至|扩大到|扩大至|保持在)\s*$"
        ),
    ),
    ("~", re.compile(r"(约|大约|近|接近)\s*$")),
]
# 提高5个百分点, 降低10%: a change from the baseline (not 提高到, which names the level)
_RANGE_FROM = r"(?:约|\d+(?:\.\d+)?\s*[~～\-—至到])?"  # 提升1～3个百分点: the upper end is the target
_RISE_BY = re.compile(r"(?<!年均)(提高|提升|增加|增长|上升|扩大)了?\s*" + _RANGE_FROM + r"\s*$")
_FALL_BY = re.compile(r"(?<!年均)(降低|下降|减少|压减|缩短|压缩)了?\s*" + _RANGE_FROM + r"\s*$")
_FLOOR = re.compile(r"至少|不少于|不低于")  # 至少培育1家: the floor word need not touch the number
_INCREMENT = re.compile(r"新增(?!长)|新建")
_CUMULATIVE = re.compile(r"累计")
_LEVEL = re.compile(r"达到|达|提高到|提升到|增加到|增长到|控制在|保持在|总量|拥有量")
# 由45%提高到60%: the first number is where the line starts
_FROM = re.compile(r"(由|从)\s*(?:((?:19|20)\d{2})\s*年(?:底|末)?(?:的)?)?[^由从]{0,12}$")
_FROM_TO = re.compile(r"^\s*(提高|提升|增加|增长|上升|扩大|下降|降低|减少|压减|缩短|压缩|降)(到|至)")
# 比2020年, 较2020年底: the year of the baseline, not of the target
_BASE_YEAR = re.compile(r"(?:比|较|相比|由|从)\s*((?:19|20)\d{2})\s*年(?:底|末)?")
_MULTIPLIERS = (("万亿", 10**12), ("百万", 10**6), ("亿", 10**8), ("万", 10**4), ("千", 10**3))


def split_unit(unit: str) -> tuple[int, str]:
    """The multiplier and base of a unit as written: 万件 -> (10000, 件), % -> (1, %)."""
    for prefix, factor in _MULTIPLIERS:
        if unit.startswith(prefix):
            return factor, unit[len(prefix) :]
    return 1, unit


_CLAUSE_SEP = "。;,:!?\n"
_CLAUSE_RE = re.compile(r"[^。;,:!?\n]+")
_DIGIT = re.compile(r"\d")
_YEAR_IN = re.compile(r"(?<![比较由从])((?:19|20)\d{2})\s*年(?![度]?\s*[-—~至到])")
_BASELINE = re.compile(r"的?基础上")
_DESCRIBES = re.compile(r"涵盖|包括|包含")  # 涵盖…19类功能模块 describes what exists
_SKIP_BEFORE = re.compile(r"(第|每|前|后|近|排名|序号|编号|约占)\s*$")


@dataclass(slots=True)
class Chunk:
    line: int
    text: AStr


_QUOTE_PAIRS = {"“": '”"', "《": "》", "‘": "’'", '"': '"”'}
_QUOTE_SPAN = 60  # a name in quotes is short; an opener with no closer nearby masks nothing


def _masked(w: str) -> list[bool]:
    """Positions inside “…”, ‘…’ or 《…》 (names, not targets); documents mix “ with a plain "."""
    mask = [False] * len(w)
    i = 0
    while i < len(w):
        closers = _QUOTE_PAIRS.get(w[i])
        if closers is None:
            i += 1
            continue
        end = -1
        for j in range(i + 1, min(len(w), i + 1 + _QUOTE_SPAN)):
            if w[j] in closers:
                end = j
                break
        if end < 0:
            i += 1
            continue
        for k in range(i, end):
            mask[k] = True
        i = end + 1
    return mask


def context_year(texts: list[str]) -> int | None:
    for t in texts:
        m = TO_YEAR_RE.search(t)
        if m:
            return int(m.group(1))
    return None


def _works_a_measure(before: str, after: str, unit: str) -> bool:
    """Whether the number says how a measure works rather than what is to be reached: a quota
    (支持1家符合条件的开发区), a frequency (每5年修订1次), a cap (最高不超过15万元), an entitlement
    (可返还…保险费的50%), a rate (…50%的标准确定) or a condition (符合…条件的人员达到25%)."""
    return bool(
        _MEASURE_AFTER.match(after)
        or (unit.endswith("次") and _EVERY.search(before))
        or _PARAMETER_BEFORE.search(before)
        or _ENTITLEMENT.search(before[-40:])
        or _CONDITION.search(before)
    )


def find_indicators(chunks: list[Chunk], path: str, base_year: int | None) -> list[ParsedIndicator]:
    out: list[ParsedIndicator] = []
    year_ctx = base_year
    for chunk in chunks:
        w = chunk.text.w
        if not re.search(r"\d", w):
            m0 = TO_YEAR_RE.search(w)
            if m0:
                year_ctx = int(m0.group(1))
            continue
        stated = _statistics(w)
        if not any(q in w for q in '“《‘"'):
            for cm in _CLAUSE_RE.finditer(w):
                if not _DIGIT.search(cm.group()):
                    m1 = TO_YEAR_RE.search(cm.group())
                    if m1:
                        year_ctx = int(m1.group(1))
                    continue
                clause = chunk.text[cm.start() : cm.end()]
                found, year_ctx = _clause_targets(
                    clause, stated[cm.start() : cm.end()], chunk.line, path, year_ctx
                )
                out.extend(found)
            continue
        mask = [a or b for a, b in zip(_masked(w), stated, strict=True)]
        start = 0
        for i in range(len(w) + 1):
            if i == len(w) or (w[i] in _CLAUSE_SEP and not mask[i]):
                if i > start:
                    clause = chunk.text[start:i]
                    found, year_ctx = _clause_targets(clause, mask[start:i], chunk.line, path, year_ctx)
                    out.extend(found)
                start = i + 1
    return out


# (一)县道截至2020年底,全区县道总里程427公里,桥梁371座。: where things stand, not where they are to be
_STATISTICS_OPEN = re.compile(
    r"(?:^|(?<=[。;!?\n]))[^。;!?\n\d]{0,10}?(?:截至|截止|截止到|目前|至今)[^。;!?\n]*"
)


def _statistics(w: str) -> list[bool]:
    """Which characters of ``w`` lie in a sentence that states the present (截至…, 目前…); 在现有…基础上 is
    a baseline, read with its target."""
    flags = [False] * len(w)
    for m in _STATISTICS_OPEN.finditer(w):
        flags[m.start() : m.end()] = [True] * (m.end() - m.start())
    return flags


@dataclass(slots=True)
class _Hit:
    m: re.Match[str]
    comparator: str
    end: int
    basis: str = "level"
    baseline: float | None = None
    baseline_year: int | None = None
    starts_next: bool = False  # the 45% of 由45%提高到60%


def _basis(window: str, previous: _Hit | None) -> str:
    """What the verb before a number makes of it; a number after 、 inherits the verb before it."""
    if _RISE_BY.search(window):
        return "rise"
    if _FALL_BY.search(window):
        return "fall"
    if _INCREMENT.search(window):
        return "increment"
    if _CUMULATIVE.search(window):
        return "cumulative"
    if previous is not None and previous.basis != "level" and not _LEVEL.search(window):
        return previous.basis
    return "level"


def _clause_targets(
    clause: AStr, mask: list[bool], line: int, path: str, year_ctx: int | None
) -> tuple[list[ParsedIndicator], int | None]:
    w = clause.w
    m_to = TO_YEAR_RE.search(w)
    if m_to:
        year_ctx = int(m_to.group(1))
    start_at = 0
    base_m = _BASELINE.search(w)
    if base_m:
        # 在…62项…的基础上: where the work starts from, not a target; unless a change follows it
        # (在2020年45%的基础上提高5个百分点): then the number before it is the baseline
        tail = w[base_m.end() :]
        if not (_NUM_RE.search(tail) and re.search(r"提高|提升|增加|增长|降低|下降|减少|新增", tail)):
            return [], year_ctx
        start_at = base_m.end()
    hits: list[_Hit] = []
    for m in _NUM_RE.finditer(w):
        if mask[m.start()]:
            continue
        before = w[: m.start()]
        if _SKIP_BEFORE.search(before) or _DESCRIBES.search(before):
            continue
        unit = m.group(3)
        nxt = w[m.end() : m.end() + 1]
        if nxt and nxt in _NOT_UNIT_BEFORE.get(unit[-1], ""):
            continue
        after = w[m.end() :]
        if _works_a_measure(before, after, unit):
            continue
        comp = "="
        end = m.end()
        a = _AFTER.match(after)
        prev_end = hits[-1].end if hits else 0
        window = w[prev_end : m.start()]
        if m.group(2):
            comp = ">="
        if a:
            word = a.group(1)
            comp = {"以上": ">=", "左右": "~", "上下": "~"}.get(word, "<=")
            end = m.end() + a.end()
        elif not m.group(2):
            for sym, rx in _BEFORE:
                if rx.search(window):
                    comp = sym
                    break
            else:
                last = hits[-1] if hits else None
                if last is not None and last.end == last.m.end() and _JOINED.fullmatch(window):
                    # 分别达到65%和55%, 不少于100万条…和10万条: the verb before the first counts for both
                    comp = last.comparator
        if comp == "=" and _FLOOR.search(window):
            comp = ">="
        basis = _basis(window, hits[-1] if hits else None)
        if basis in ("rise", "fall") and comp != "~":
            comp = ">=" if basis == "rise" else "<="
        elif basis in ("increment", "cumulative") and comp == "=":
            comp = ">="  # 新增…50家 is a floor to reach, not an exact count
        hits.append(_Hit(m, comp, end, basis))
    if start_at:
        before_base = [h for h in hits if h.m.start() < start_at]
        hits = [h for h in hits if h.m.start() >= start_at]
        if before_base and hits:
            hits[0].baseline = float(before_base[-1].m.group(1))
        by = _BASE_YEAR.search(w[:start_at]) or re.search(r"((?:19|20)\d{2})\s*年", w[:start_at])
        if by and hits:
            hits[0].baseline_year = int(by.group(1))
    # 由45%提高到60%: the first number is the baseline of the second
    merged: list[_Hit] = []
    for k, hit in enumerate(hits):
        if merged and merged[-1].starts_next:
            base = merged.pop()
            hit.baseline = float(base.m.group(1))
            hit.baseline_year = base.baseline_year
        to = _FROM_TO.match(w[hit.end : hits[k + 1].m.start()]) if k + 1 < len(hits) else None
        if to:
            prev_end = hits[k - 1].end if k else 0
            frm = _FROM.search(w[prev_end : hit.m.start()])
            if frm:
                hit.starts_next = True
                if hits[k + 1].comparator == "=":  # 由3.2件增加到2025年的6件
                    falls = to.group(1) in ("下降", "降低", "减少", "压减", "缩短", "压缩", "降")
                    hits[k + 1].comparator = "<=" if falls else ">="
                hit.baseline_year = int(frm.group(2)) if frm.group(2) else None
        merged.append(hit)
    hits = merged
    by_m = _BASE_YEAR.search(w)
    for hit in hits:
        if hit.basis in ("rise", "fall") and hit.baseline_year is None and by_m:
            hit.baseline_year = int(by_m.group(1))
    results: list[ParsedIndicator] = []
    year_here: int | None = None
    ym = _YEAR_IN.search(w, start_at)
    if ym:
        year_here = int(ym.group(1))
    kept = [
        hit
        for k, hit in enumerate(hits)
        # "2件以上的企业数量达10家以上": the first number only says which enterprises count
        if not (hit.end < len(w) and w[hit.end] == "的" and k + 1 < len(hits))
    ]
    bounds: list[int] = [0]
    for k in range(len(kept) - 1):
        end_k = kept[k].end
        next_start = kept[k + 1].m.start()
        gap = w[end_k:next_start]
        cut = gap.rfind("、")
        bounds.append(end_k + cut + 1 if cut >= 0 else end_k)
    bounds.append(len(w))
    for k, hit in enumerate(kept):
        m = hit.m
        text = clause[bounds[k] : bounds[k + 1]].strip(" 、和及并").o.strip()
        unit_o = clause.o[m.start(3) : m.end(3)]
        if unit_o == "％":
            unit_o = "%"
        try:
            value = float(m.group(1))
        except ValueError:
            continue
        results.append(
            ParsedIndicator(
                text=text,
                value=value,
                unit=unit_o,
                comparator=hit.comparator,
                year=year_here if year_here is not None else year_ctx,
                path=path,
                line=line,
                basis=hit.basis,
                baseline=hit.baseline,
                baseline_year=hit.baseline_year,
                multiplier=split_unit(unit_o)[0],
            )
        )
    return results, year_ctx
