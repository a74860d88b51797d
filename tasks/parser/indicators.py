"""Numeric targets: value, unit, comparator and target year."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import ParsedIndicator
from .text import AStr

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
    "个": "人体性",
    "支": "持撑付",
    "名": "称单义录",
    "场": "所景地合",
}
_AFTER = re.compile(r"^\s*(以上|以下|以内|左右|上下|之内|内)")
_BEFORE = [
    (
        "<=",
        re.compile(r"(不超过|不高于|控制在|低于|少于|小于|压缩至|压缩到|缩短至|缩短到|降至|降低到|降到)\s*$"),
    ),
    (
        ">=",
        re.compile(
            r"(不少于|不低于|超过|突破|至少|达到|达|高于|多于|提高到|提高至|提升至|提升到|增至|增加到|保持在)\s*$"
        ),
    ),
    ("~", re.compile(r"(约|大约|近|接近)\s*$")),
]
_CLAUSE_SEP = "。;,:!?\n"
_CLAUSE_RE = re.compile(r"[^。;,:!?\n]+")
_DIGIT = re.compile(r"\d")
_YEAR_IN = re.compile(r"((?:19|20)\d{2})\s*年(?![度]?\s*[-—~至到])")
_TO_YEAR = re.compile(r"(?:到|至|截至|截止到|截止)\s*((?:19|20)\d{2})\s*年")
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
        m = _TO_YEAR.search(t)
        if m:
            return int(m.group(1))
    return None


def find_indicators(chunks: list[Chunk], path: str, base_year: int | None) -> list[ParsedIndicator]:
    out: list[ParsedIndicator] = []
    year_ctx = base_year
    for chunk in chunks:
        w = chunk.text.w
        if not re.search(r"\d", w):
            m0 = _TO_YEAR.search(w)
            if m0:
                year_ctx = int(m0.group(1))
            continue
        if not any(q in w for q in '“《‘"'):
            for cm in _CLAUSE_RE.finditer(w):
                if not _DIGIT.search(cm.group()):
                    m1 = _TO_YEAR.search(cm.group())
                    if m1:
                        year_ctx = int(m1.group(1))
                    continue
                clause = chunk.text[cm.start() : cm.end()]
                found, year_ctx = _clause_targets(clause, [False] * len(clause), chunk.line, path, year_ctx)
                out.extend(found)
            continue
        mask = _masked(w)
        start = 0
        for i in range(len(w) + 1):
            if i == len(w) or (w[i] in _CLAUSE_SEP and not mask[i]):
                if i > start:
                    clause = chunk.text[start:i]
                    found, year_ctx = _clause_targets(clause, mask[start:i], chunk.line, path, year_ctx)
                    out.extend(found)
                start = i + 1
    return out


def _clause_targets(
    clause: AStr, mask: list[bool], line: int, path: str, year_ctx: int | None
) -> tuple[list[ParsedIndicator], int | None]:
    w = clause.w
    m_to = _TO_YEAR.search(w)
    if m_to:
        year_ctx = int(m_to.group(1))
    hits: list[tuple[re.Match[str], str, int]] = []
    if _BASELINE.search(w):
        return [], year_ctx  # 在…62项…的基础上: where the work starts from, not a target
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
        comp = "="
        end = m.end()
        a = _AFTER.match(after)
        if m.group(2):
            comp = ">="
        if a:
            word = a.group(1)
            comp = {"以上": ">=", "左右": "~", "上下": "~"}.get(word, "<=")
            end = m.end() + a.end()
        elif not m.group(2):
            prev_end = hits[-1][2] if hits else 0
            window = w[prev_end : m.start()]
            for sym, rx in _BEFORE:
                if rx.search(window):
                    comp = sym
                    break
        hits.append((m, comp, end))
    results: list[ParsedIndicator] = []
    year_here: int | None = None
    ym = _YEAR_IN.search(w)
    if ym:
        year_here = int(ym.group(1))
    kept = [
        (m, comp, end)
        for k, (m, comp, end) in enumerate(hits)
        # "2件以上的企业数量达10家以上": the first number only says which enterprises count
        if not (end < len(w) and w[end] == "的" and k + 1 < len(hits))
    ]
    bounds: list[int] = [0]
    for k in range(len(kept) - 1):
        end_k = kept[k][2]
        next_start = kept[k + 1][0].start()
        gap = w[end_k:next_start]
        cut = gap.rfind("、")
        bounds.append(end_k + cut + 1 if cut >= 0 else end_k)
    bounds.append(len(w))
    for k, (m, comp, _end) in enumerate(kept):
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
                comparator=comp,
                year=year_here if year_here is not None else year_ctx,
                path=path,
                line=line,
            )
        )
    return results, year_ctx
