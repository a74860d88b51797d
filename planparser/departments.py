"""Department attributions: finding them at the end of a task and reading who does what.

Forms handled: ``(市科技局、知识产权局)``, ``(牵头单位:A;责任单位:B、C)``, ``牵头单位;A``,
``责任单位:A、B`` on its own line, ``(X牵头,Y、Z配合)``, ``(A负责)``, ``(A、B按职责分工负责)``,
``A、B负责。`` as the last sentence, unclosed brackets, ``等部门``, and mixed 、/,/; separators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .dates import is_time_phrase
from .text import AStr

# REST_COOP: the document says the names after the first of a list cooperate (其他为配合单位)
REST_COOP = "rest_cooperating"
PERSON = "person"  # 责任人:张三, 分管领导:李四
OTHER_FIELD = "other"  # 适用范围:福建自贸试验区, 备注:… : another field of the bracket, not units
LEAD, RESP, COOP, PLAIN, DEADLINE, AFTER_LEAD = (
    "lead",
    "responsible",
    "cooperating",
    "plain",
    "deadline",
    "after",
)

_LABELS: list[tuple[str, str]] = [
    ("牵头责任单位", LEAD),
    ("牵头单位", LEAD),
    ("牵头部门", LEAD),
    ("主责单位", LEAD),
    ("主责部门", LEAD),
    ("责任单位", RESP),
    ("责任部门", RESP),
    ("负责单位", RESP),
    ("负责部门", RESP),
    ("承办单位", RESP),
    ("实施单位", RESP),
    ("实施部门", RESP),
    ("责任主体", RESP),
    ("配合单位", COOP),
    ("配合部门", COOP),
    ("协同单位", COOP),
    ("协同部门", COOP),
    ("协办单位", COOP),
    ("参与单位", COOP),
    ("参与部门", COOP),
    ("协作单位", COOP),
    ("支持单位", COOP),
    ("协助单位", COOP),
    ("完成时限", DEADLINE),
    ("完成时间", DEADLINE),
    ("时间节点", DEADLINE),
    ("完成期限", DEADLINE),
    ("时限要求", DEADLINE),
    ("时间要求", DEADLINE),
    ("完成节点", DEADLINE),
    ("截止时间", DEADLINE),
    ("办结时限", DEADLINE),
    ("进度要求", DEADLINE),
    ("时限", DEADLINE),
    # people and contacts next to the units: not departments
    ("责任人", PERSON),
    ("联系人", PERSON),
    ("负责人", PERSON),
    ("分管领导", PERSON),
    ("责任领导", PERSON),
    ("牵头领导", PERSON),
    ("分管负责人", PERSON),
    ("联系电话", PERSON),
    ("联系方式", PERSON),
]
_LABEL_ROLE = dict(_LABELS)
# Labels with a qualifier inside them: 牵头考核单位, 牵头落实部门, 配合实施单位.
_QUALIFIED_LABEL = r"(?:牵头|主责|配合|协同|协办)[\u4e00-\u9fff]{1,3}?(?:单位|部门)(?=\s*[:;])"
_LABEL_RE = re.compile(
    "("
    + "|".join(
        sorted(
            # a person label only with its colon: 各单位主要负责人 is not a label
            (re.escape(k) + (r"(?=\s*:)" if r == PERSON else "") for k, r in _LABELS),
            key=len,
            reverse=True,
        )
    )
    + "|"
    + _QUALIFIED_LABEL
    + r"|(?:牵头|配合|协同|协办)(?=:))\s*[:;]?\s*"
)


def label_role(label: str) -> str:
    """The role a label such as 牵头单位, 牵头考核单位 or 配合部门 gives to the names after it."""
    known = _LABEL_ROLE.get(label)
    if known is not None:
        return known
    if label.startswith(("配合", "协同", "协办")):
        return COOP
    return LEAD


_ROLE_LABEL_LINE = re.compile(
    r"(?:^|(?<=[。;\n\s]))(?:"
    + "|".join(k for k, r in _LABELS if r not in (DEADLINE, PERSON))
    + "|"
    + _QUALIFIED_LABEL
    + r")\s*[:;]"
)
_MARKER_RE = re.compile(
    r"(?:按照?职[责能](?:分工)?)?"  # 按职责分工负责, 按职责牵头负责, 按职责组织配合
    r"(分别负责|共同负责|牵头负责|具体负责|负责落实|组织落实|组织实施|组织配合|"
    r"负责|牵头|配合|协同|协助|参与|协办|指导)$"
)
# 市交通委牵头负责、各区政府组织落实: 、 after a role word ends its clause like , does
_CLAUSE_END_COMMA = re.compile(r"(?<=负责|落实|实施|配合|牵头|参与|协同|指导)、")
_MARKER_ROLE = {
    "牵头": LEAD,
    "牵头负责": LEAD,
    "组织配合": COOP,
    "配合": COOP,
    "协同": COOP,
    "协助": COOP,
    "参与": COOP,
    "协办": COOP,
}
_ITEM_ROLE_RE = re.compile(r"\((牵头|配合|协同|协助|参与|协办)(?:单位|部门)?\)$")
_TRAIL_RE = re.compile(
    r"(?:等(?:有关|相关|其他)?(?:部门|单位|机构)?(?:[和及与](?:部门|单位|机构))?|等|"
    r"(?:会同|联合|协调)(?:有关|相关|其他)?(?:部门|单位|方面))$"
)
_LEAD_IN_RE = re.compile(r"^(?:由|和|及|以及|并|请)")
# What a department, office or group name ends with.
_ORG_END = re.compile(
    r"(?:局|委|办|院|部|厅|会|府|政府|室|中心|所|站|队|关|行|司|团|处|署|联|校|馆|台|社|组|街|镇|乡|区|县|"
    r"单位|部门|机构|企业|园区|集团|公司|银行|大学|学院|学校|协会|商会|法院|检察院|海关|管委会|监狱|盟|办事处|中央)$"
)
_STRONG_END = re.compile(
    r"(?:局|委|办|部|厅|政府|管委会|单位|部门|海关|法院|检察院|办公室|委员会|中心|支行|分行)$"
)
_GROUP_TAIL = re.compile(
    r"^(?:县级市|县\(市\)|县\(市、区\)|县市|县|市|区|镇|街|街道|乡|乡镇|市区|县区)(?:政府|人民政府|党委)?$"
)
_PREFIX_RE = re.compile(r"^([市区县省])(?!场|级|域|属|直|民|内|外|委会)")
_NO_PREFIX_START = re.compile(r"^(?:[市区县省各全本]|有关|相关|国家|中国|中央|人民银行|驻|民航|国铁)")
# a central body's regional branch names its region (民航华东管理局, 华东能源监管局, 长江航务管理局,
# 太湖流域管理局): it is no city bureau, and the 市 a list drops is not restored on it
_REGION_IN = re.compile(r"华东|华北|华南|华中|西南|西北|东北|流域|长江|黄河")
_NO_PREFIX_END = re.compile(r"(?:管委会|海关|分局|支行|分行|公司|集团|银行|大学|学院|总局|总队|支队|大队)$")
_PLACE_IN = re.compile(r"(?:镇|街道|乡|村|新区|开发区|园区|港|湖)")
_BUREAU_END = re.compile(r"(?:局|委|办|院|部|厅|办公室|委员会)$")
_DIGIT_YEAR = re.compile(r"\d{4}|\d+年|\d+月")
_DEADLINE_LIKE = re.compile(
    r"(?:\d{4}|[〇○一二三四五六七八九十]{2,4})年|底前|前完成|长期|持续|每年|季度|年底|月底|常态化"
)


_QUICK = re.compile(r"[()]|单位|部门|负责|牵头|配合|协同|时限|时间|节点|期限")
_NOTE_RE = re.compile(
    r"排在第一|列第一位|下同|为牵头单位|按职责分工落实|以下均|以下各项|不再(?:单独|一一)?列出"
)
_OPENERS = re.compile(r"[(\[〔【《]")
_CLOSERS = re.compile(r"[)\]〕】》]")
_BAD_NAME_CHARS = re.compile(r"[。:“”\"!?《》]")
# a quantity or a frequency (各单位全年不少于一场, 每年开展两次) is a requirement, never a name
_QUANTITY_IN_NAME = re.compile(
    r"不少于|不低于|不超过|以上|以下|全年|每年|每季|每月|[一二三四五六七八九十两\d]+[场次项个]$"
)


_PROSE_IN_NAME = re.compile(r"的|按照?|依照|依据|规定|执行$|^(?:试|暂|施|实|推|先)行$")  # (试行)


@dataclass(slots=True)
class Roles:
    lead: list[str] = field(default_factory=list)
    responsible: list[str] = field(default_factory=list)
    cooperating: list[str] = field(default_factory=list)
    deadline: str | None = None
    warnings: list[str] = field(default_factory=list)  # warning codes
    lead_inferred: bool = False  # a list without 牵头 marker: its first name was taken as lead
    merged: bool = False  # several attributions of one task were merged

    def empty(self) -> bool:
        return not (self.lead or self.responsible or self.cooperating)


@dataclass(slots=True)
class Attribution:
    start: int  # where the attribution begins in the text given to find_attribution
    roles: Roles


def _depth_split(text: str, seps: str) -> list[tuple[int, int]]:
    """Spans of ``text`` between separators that are not inside brackets."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in "([{〔【《":
            depth += 1
        elif ch in ")]}〕】》":
            depth = max(0, depth - 1)
        elif ch in seps and depth == 0:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(text)))
    return spans


@lru_cache(maxsize=8192)
def looks_like_department(name: str) -> bool:
    name = name.strip()
    if not 2 <= len(name) <= 32 or _DIGIT_YEAR.search(name):
        return False
    if _BAD_NAME_CHARS.search(name) or _QUANTITY_IN_NAME.search(name):
        return False
    if name.startswith("各") and len(name) <= 16:
        return True
    if _PROSE_IN_NAME.search(name):  # (免税进口的科研仪器设备按有关政策规定执行): a clause
        return False
    base = name
    if base.endswith(")"):
        open_at = base.rfind("(")
        if open_at > 0:
            inner = base[open_at + 1 : -1]
            base = base[:open_at]
            if _ORG_END.search(inner) and len(base) >= 2:
                return bool(_ORG_END.search(base)) or True
    return bool(_ORG_END.search(base)) and len(base) >= 2


def _clean_item(item: AStr) -> AStr:
    item = item.strip(" \t\n'\"“”‘’")
    for _ in range(3):
        before = len(item)
        m = _LEAD_IN_RE.search(item.w)
        if m and len(item) - m.end() >= 2:
            item = item[m.end() :].strip()
        m2 = _TRAIL_RE.search(item.w)
        if m2 and m2.start() >= 2:
            item = item[: m2.start()].strip()
        if len(item.w) >= 3 and item.w.endswith("市") and item.w[-2] in "局委办":
            item = item[:-1]  # typo: 市商务局市
        if len(item) == before:
            break
    return item.strip(" \t\n,;、")


# Joiners that separate two list items like 、 does: 商务部等和各省级人民政府 (等 is then dropped as a
# tail), 财政部和各市人民政府. Replaced by 、 in the work copy (same length, the original is kept).
_JOINER_RE = re.compile(r"等[和及与](?=\S)|(?<=[局委部办厅署行会府])[和及与](?=各)")


def _split_items(clause: AStr) -> list[AStr]:
    if _JOINER_RE.search(clause.w):
        clause = AStr(_JOINER_RE.sub(lambda m: "、".rjust(len(m.group()), "等"), clause.w), clause.o)
    spans = _depth_split(clause.w, "、/")
    items: list[tuple[int, int]] = []
    for s, e in spans:
        text = clause.w[s:e].strip()
        if items:
            prev_s, prev_e = items[-1]
            prev = clause.w[prev_s:prev_e].strip()
            tail = _TRAIL_RE.sub("", text) if len(text) > 2 else text
            if prev.startswith("各") and not _STRONG_END.search(prev) and _GROUP_TAIL.match(tail):
                items[-1] = (prev_s, e)  # 各区、县级市 is one group
                continue
        items.append((s, e))
    out: list[AStr] = []
    for s, e in items:
        item = _clean_item(clause[s:e])
        if re.search(r"\S\s+\S", item.w):
            parts = [m for m in re.finditer(r"\S+", item.w)]
            if len(parts) > 1 and all(looks_like_department(p.group()) for p in parts):
                out.extend(item[p.start() : p.end()] for p in parts)
                continue
        out.append(item)
    return [i for i in out if i.w]


def _restore_suffix(items: list[AStr]) -> list[AStr]:
    """市知识产权、工商、版权局 -> 市知识产权局, 市工商局, 市版权局."""
    if len(items) < 2:
        return items
    out = list(items)
    i = 0
    while i < len(out):
        if _ORG_END.search(out[i].w) or out[i].w.startswith("各"):
            i += 1
            continue
        j = i
        while j < len(out) and not _ORG_END.search(out[j].w) and not out[j].w.startswith("各"):
            j += 1
        if j < len(out) and j > i:
            m = re.search(r"(局|委|办|厅)$", out[j].w)
            if m and all(2 <= len(out[k].w) <= 8 for k in range(i, j)) and len(out[j].w) <= 10:
                suffix = out[j][m.start() :]
                for k in range(i, j):
                    out[k] = out[k] + suffix
        i = max(j, i + 1)
    return out


# A name that starts with a province already names its place (安徽银保监局, 广东证监局, 浙江海关):
# the 省/市 prefix a list drops is not restored on it.
_PROVINCE_START = re.compile(
    r"^(?:北京|天津|河北|山西|内蒙古|辽宁|吉林|黑龙江|上海|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|"
    r"广西|海南|重庆|四川|贵州|云南|西藏|陕西|甘肃|青海|宁夏|新疆|香港|澳门|台湾)"
)


# 交通运输部上海海事局, 自然资源部东海局: a ministry's own body in the city, not a city bureau
_MINISTRY_BODY = re.compile(r"^[\u4e00-\u9fff]{2,6}部[\u4e00-\u9fff]{2,}(?:局|委|办|院|中心)$")


def _needs_prefix(name: str) -> bool:
    if _PROVINCE_START.search(name) or _MINISTRY_BODY.search(name):
        return False
    if _NO_PREFIX_START.search(name) and not name.startswith("市场"):
        return False
    if name.startswith("市场") and "总局" in name:
        return False
    if _REGION_IN.search(name):
        return False
    if _NO_PREFIX_END.search(name) or _PLACE_IN.search(name.split("(")[0]):
        return False
    return bool(_BUREAU_END.search(name.split("(")[0])) or bool(_BUREAU_END.search(name))


@dataclass(slots=True)
class _Entry:
    name: AStr
    role: str  # LEAD / RESP (labelled) / COOP / PLAIN / AFTER_LEAD


# 市交通委科技信息处: a division (处/科) of a named body; bare divisions after it in the same list
# (…、港务监管处) belong to that body, whose name the list drops like the 市 prefix.
_DIVISION_OF = re.compile(
    r"^([市区县省]局|.{2,12}?(?:委员会|委|局|厅|办|署|中心))[\u4e00-\u9fff]{2,10}(?:处|科)$"  # 市局 = 市市场监管局
)
_BARE_DIVISION = re.compile(r"^[\u4e00-\u9fff]{2,14}(?:处|科)$|^[\u4e00-\u9fff]{4,12}(?=办公室$)")
_OWNER_SUFFIX = re.compile(r"委员会|委|局|厅|办|署|中心|政府|集团|公司")


def _restore_division_owner(entries: list[_Entry]) -> None:
    owner: AStr | None = None
    for entry in entries:
        w = entry.name.w
        m = _DIVISION_OF.match(w)
        if m:
            owner = entry.name[: m.end(1)]
        elif (
            owner is not None and (bare := _BARE_DIVISION.match(w)) and not _OWNER_SUFFIX.search(bare.group())
        ):
            entry.name = owner + entry.name
        elif not _BARE_DIVISION.match(w):
            owner = None  # another body: a bare division after it is not the earlier body's


def parse_roles(content: AStr, after_lead_role: str = RESP) -> Roles:
    """Read the department lists inside one attribution (brackets already removed)."""
    # plans repeat the same attribution many times: read each once, hand out copies
    cached = _parse_roles_cached(content.w, content.o, after_lead_role)
    return Roles(
        lead=list(cached.lead),
        responsible=list(cached.responsible),
        cooperating=list(cached.cooperating),
        deadline=cached.deadline,
        warnings=list(cached.warnings),
        lead_inferred=cached.lead_inferred,
        merged=cached.merged,
    )


# a field of its own after the units: (负责部门:A、B,适用范围:浙江自贸试验区)
_OTHER_FIELD_RE = re.compile(r"(?:^|(?<=[,;。]))\s*([\u4e00-\u9fff]{2,6})\s*:")
# 各项目牵头单位, 各成员单位牵头部门: a collective named by its role in the work, not a label
_INSIDE_COLLECTIVE = re.compile(r"(?:^|[,;、:])\s*各[\u4e00-\u9fff]{1,6}$")


@lru_cache(maxsize=4096)
def _parse_roles_cached(work: str, orig: str, after_lead_role: str) -> Roles:
    content = _role_text(AStr(work, orig))
    roles = Roles()
    text = content.w
    # segments by label, at bracket depth 0
    labels: list[tuple[int, int, str]] = []
    depth, counted = 0, 0
    for m in _LABEL_RE.finditer(text):
        between = text[counted : m.start()]
        depth = max(0, depth + len(_OPENERS.findall(between)) - len(_CLOSERS.findall(between)))
        counted = m.start()
        if depth == 0 and not _INSIDE_COLLECTIVE.search(text[: m.start()]):
            labels.append((m.start(), m.end(), label_role(m.group(1))))
    known = {start for start, _, _ in labels}
    for m in _OTHER_FIELD_RE.finditer(text):
        if (
            m.start(1) not in known
            and m.group(1) not in _LABEL_ROLE
            and not _LABEL_RE.match(text, m.start(1))
        ):
            labels.append((m.start(1), m.end(), OTHER_FIELD))
    labels.sort()
    segments: list[tuple[str | None, AStr]] = []
    if not labels:
        segments.append((None, content))
    else:
        if labels[0][0] > 0:
            head = content[: labels[0][0]].strip(" ,;。")
            if head.w:
                segments.append((None, head))
        for n, (_s, e, role) in enumerate(labels):
            end = labels[n + 1][0] if n + 1 < len(labels) else len(text)
            segments.append((role, content[e:end].strip(" ,;。\n")))
    entries: list[_Entry] = []
    saw_lead_marker = False
    for seg_role, seg in segments:
        if seg_role == DEADLINE:
            if seg.w:
                roles.deadline = seg.o.strip()
            continue
        if seg_role in (PERSON, OTHER_FIELD):
            continue
        for cs, ce in _depth_split(seg.w, ",;。"):
            clause = seg[cs:ce].strip()
            if not clause.w or _NOTE_RE.search(clause.w):
                continue
            if seg_role is None and _time_clause(clause.w):
                # (6月底完成,牵头单位:X): the time node written before the label
                roles.deadline = roles.deadline or clause.o.strip()
                continue
            marker_role: str | None = None
            mk = _MARKER_RE.search(clause.w)
            if mk and mk.start() > 0:
                marker_role = _MARKER_ROLE.get(mk.group(1), PLAIN)
                clause = clause[: mk.start()].strip(" 、")
            items = _restore_suffix(_split_items(clause))
            if marker_role is None:
                if seg_role is not None and not (seg_role == RESP and saw_lead_marker):
                    role = seg_role
                elif saw_lead_marker:
                    role = AFTER_LEAD
                else:
                    role = PLAIN
            elif marker_role == PLAIN:
                role = RESP if seg_role == RESP and any(r == LEAD for _, _, r in labels) else PLAIN
                if seg_role == LEAD:
                    role = LEAD
            else:
                role = marker_role
            if marker_role == LEAD:
                saw_lead_marker = True
            for item in items:
                # 市知识产权局(牵头): a role word in brackets after one name of the list
                tagged = _ITEM_ROLE_RE.search(item.w)
                if tagged and tagged.start() >= 2:
                    item_role = _MARKER_ROLE.get(tagged.group(1), LEAD)
                    entries.append(_Entry(item[: tagged.start()].strip(), item_role))
                    if item_role == LEAD:
                        saw_lead_marker = True
                    continue
                entries.append(_Entry(item, role))
    _restore_division_owner(entries)
    # 市 prefix restoration, from the first item that carries one
    prefix: AStr | None = None
    for entry in entries:
        pm = _PREFIX_RE.match(entry.name.w)
        if pm:
            prefix = entry.name[: pm.end()]
            break
    if prefix is not None:
        for entry in entries:
            own = entry.name.w.replace("市场", "")
            if prefix.w in own[1:] and not entry.name.w.startswith(prefix.w):
                continue  # 团市委, 人民银行某市中心支行: already names its place
            if _needs_prefix(entry.name.w):
                entry.name = prefix + entry.name
    has_lead = any(e.role == LEAD for e in entries)
    if any(e.role == AFTER_LEAD for e in entries):
        roles.warnings.append("role_guessed")
    plain_seen = False
    for entry in entries:
        name = entry.name.o.strip()
        if not name:
            continue
        role = entry.role
        if role == AFTER_LEAD:
            role = COOP if after_lead_role == REST_COOP else after_lead_role
        if role in (PLAIN, RESP):
            if has_lead:
                target = roles.responsible
            elif not plain_seen:
                target = roles.lead
                plain_seen = True
                roles.lead_inferred = True
            elif role == PLAIN and after_lead_role == REST_COOP:
                target = roles.cooperating  # 排在第一位的为牵头单位，其他为配合单位
            else:
                target = roles.responsible
        elif role == LEAD:
            target = roles.lead
        else:
            target = roles.cooperating
        if name not in target:
            target.append(name)
    if roles.lead_inferred and len(roles.lead) + len(roles.responsible) + len(roles.cooperating) < 2:
        roles.lead_inferred = False  # a single unit leads whatever its position
    return roles


def _all_departments(content: AStr) -> bool:
    """Unlabelled bracket content counts as an attribution only if every item is a department."""
    names: list[str] = []
    for cs, ce in _depth_split(content.w, ",;"):
        clause = content[cs:ce].strip()
        m = _MARKER_RE.search(clause.w)
        if m and m.start() > 0:
            clause = clause[: m.start()].strip(" 、")
        for item in _restore_suffix(_split_items(clause)):
            names.append(item.w)
    if not names:
        return False
    return all(looks_like_department(n) for n in names)


def _role_text(content: AStr) -> AStr:
    """The bracket as its roles are read: a 、 closing a role clause made a clause break, and the
    sentences stating a rule rather than units left out."""
    return _without_note_sentences(AStr(_CLAUSE_END_COMMA.sub(";", content.w), content.o))


def _without_note_sentences(content: AStr) -> AStr:
    """The bracket without the sentences after its first that state a rule rather than units:
    (A、B等负责。列第一位者为牵头单位,下同), (A牵头;B落实。以下均需B落实,C负责…,不再列出)."""
    spans = _depth_split(content.w, "。")
    if len(spans) < 2:
        return content
    kept = [content[s:e] for n, (s, e) in enumerate(spans) if n == 0 or not _NOTE_RE.search(content.w[s:e])]
    if len(kept) == len(spans):
        return content
    return AStr.join("。", kept).strip(" 。")


def _is_attribution(content: AStr) -> bool:
    content = _role_text(content)
    if any(label_role(m.group(1)) not in (DEADLINE, PERSON) for m in _LABEL_RE.finditer(content.w)):
        return True
    if re.search(r"(?:^|[,;])\s*牵头\s*:", content.w):
        return True
    person = next((m for m in _LABEL_RE.finditer(content.w) if label_role(m.group(1)) == PERSON), None)
    if person is not None and person.start() > 0:
        before = content[: person.start()].rstrip()
        if not before.w.endswith((",", ";")) and not _MARKER_RE.search(before.w):
            return False  # (X处联系方式:6422…): whom to call, not who does the work
        return _all_departments(before.rstrip(" ,;"))  # (X负责;联系人:张三)
    return _all_departments(content)


def _is_deadline(content: AStr) -> bool:
    w = content.w.strip()
    if not w or len(w) > 40:
        return False
    head = _LABEL_RE.match(w)
    if head is not None and label_role(head.group(1)) == DEADLINE:
        return True
    if re.fullmatch(r"(?:19|20)\d{2}\s*年?\s*[-—~至到]+\s*(?:19|20)?\d{2}\s*年?", w):
        return False  # a period such as (2008-2020年), not a deadline
    return bool(_DEADLINE_LIKE.search(w)) and not _all_departments(content)


def _match_open(w: str, close_at: int) -> int:
    depth = 0
    for i in range(close_at, -1, -1):
        ch = w[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _unclosed_open(w: str) -> int:
    stack: list[int] = []
    for i, ch in enumerate(w):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            stack.pop()
    return stack[0] if stack else -1


_TRAIL_PUNCT = " \t\n。;,.、"


_ALIAS_BEFORE = re.compile(r"(?:局|委|办|政府|管委会|院|厅|部)$")


def _without_time_clauses(content: AStr) -> AStr:
    """The bracket without its time nodes: (市科技局负责,2023年底前完成) -> 市科技局负责."""
    kept = [content[s:e] for s, e in _depth_split(content.w, ",;") if not _time_clause(content.w[s:e])]
    if len(kept) == len(_depth_split(content.w, ",;")):
        return AStr("", "")  # no time clause: nothing new to try
    return AStr.join(",", [k.strip() for k in kept if k.strip().w])


def _time_clause(clause: str) -> bool:
    clause = clause.strip()
    return bool(clause) and is_time_phrase(clause) and not looks_like_department(clause)


def _find_once(text: AStr, after_lead_role: str) -> tuple[int, Roles, bool] | None:
    """One attribution or deadline at the very end of ``text``: (start, roles, is_deadline_only)."""
    t = text.rstrip(_TRAIL_PUNCT)
    w = t.w
    if not w:
        return None
    bracket: tuple[int, Roles, bool] | None = None
    alias = False
    if w.endswith(")"):
        open_at = _match_open(w, len(w) - 1)
        if open_at >= 0:
            content = t[open_at + 1 : len(w) - 1]
            if _is_attribution(content) or _is_attribution(_without_time_clauses(content)):
                bracket = (open_at, parse_roles(content, after_lead_role), False)
                # "…市市场监管局(知识产权局)": an alias bracket closing a longer attribution
                alias = bool(_ALIAS_BEFORE.search(w[:open_at])) and not _LABEL_RE.search(content.w)
            elif _is_deadline(content):
                return open_at, Roles(deadline=content.o.strip()), True
            else:
                return None
        if bracket is not None and not alias:
            return bracket
    open_at = _unclosed_open(w)
    if open_at >= 0 and len(w) - open_at < 300:
        content = t[open_at + 1 :]
        if _is_attribution(content):
            roles = parse_roles(content, after_lead_role)
            roles.warnings.append("unclosed_bracket")
            return open_at, roles, False
    marks = list(_ROLE_LABEL_LINE.finditer(w))
    if marks and len(w) - marks[-1].start() < 300:
        start = marks[-1].start()
        # take in earlier label lines directly before it (牵头单位:A\n配合单位:B)
        for prev in reversed(marks[:-1]):
            between = w[prev.end() : start]
            if "。" in between or len(between) > 150:
                break
            start = prev.start()
        content = t[start:]
        # the label must not sit inside an earlier bracket: (牵头单位:A)引导…参与。
        if "。" not in content.w.rstrip("。") and content.w.count(")") <= content.w.count("("):
            roles = parse_roles(content, after_lead_role)
            if not roles.empty():
                return start, roles, False
    if bracket is not None:
        return bracket
    # "A、B负责。" as the last sentence
    cut = max(w.rfind("。"), w.rfind(";"), w.rfind("\n"))
    sentence = t[cut + 1 :].strip()
    m = _MARKER_RE.search(sentence.w)
    if (
        m
        and m.group(1) not in ("配合", "协同", "协助", "参与", "协办")
        and m.start() > 0
        and len(sentence) < 80
        and _all_departments(sentence)
    ):
        lead_ws = len(t[cut + 1 :].w) - len(t[cut + 1 :].lstrip().w)
        return cut + 1 + lead_ws, parse_roles(sentence, after_lead_role), False
    return None


def find_attribution(text: AStr, after_lead_role: str = RESP) -> Attribution | None:
    """The attribution (and deadline) at the end of a task's text, if there is one."""
    if not _QUICK.search(text.w):
        return None
    found: Roles | None = None
    deadline: str | None = None
    start = len(text)
    t = text
    for _ in range(4):
        hit = _find_once(t, after_lead_role)
        if hit is None:
            break
        pos, roles, deadline_only = hit
        if deadline_only:
            deadline = deadline or roles.deadline
        elif found is None:
            found = roles
        else:  # a second labelled block before the first: merge (lead in either wins)
            deadline_kept = found.deadline or roles.deadline
            found = merge_roles([roles, found])
            found.deadline = deadline_kept
        start = pos
        t = t[:pos]
        if (
            found is not None
            and not _LABEL_RE.search(t.w[-40:])
            and not t.w.rstrip(_TRAIL_PUNCT).endswith(")")
        ):
            break
    if found is None and deadline is None:
        return None
    if found is None:
        found = Roles()
    if deadline and not found.deadline:
        found.deadline = deadline
    if not found.empty():
        inner = inner_attributions(text[:start], after_lead_role)
        if inner:
            found = merge_roles([*inner, found])
    return Attribution(start, found)


def _sentence_bracket(w: str, open_at: int, close_at: int) -> bool:
    """A bracket that closes a sentence (…。(X负责)加强… or …(X负责)。), not one inside it."""
    before = w[:open_at].rstrip()
    after = w[close_at + 1 :].lstrip()
    return (not before or before[-1] in "。;!?\n") or (not after or after[0] in "。;\n")


_ROLE_WORD = re.compile(r"负责|牵头|配合|协同|协助|参与|指导|单位|部门")


def _clearly_attribution(content: AStr) -> bool:
    """Inside a text a bracket counts only with a role word or when every name is clearly a unit
    (家庭医生(团队)。 is a remark, (市科技局、市财政局)。 an attribution)."""
    if _ROLE_WORD.search(content.w):
        return True
    names = [item.w for cs, ce in _depth_split(content.w, ",;") for item in _split_items(content[cs:ce])]
    return bool(names) and all(_STRONG_END.search(n) for n in names)


def inner_attributions(text: AStr, after_lead_role: str = RESP) -> list[Roles]:
    """Attributions closing sentences inside a task's text, before its last one, in order.

    ``(十)…改革。(市场监管总局负责)加强…(体育总局、教育部负责)…`` : each clause names its own units.
    """
    w = text.w
    out: list[Roles] = []
    if "(" not in w or not _QUICK.search(w):
        return out
    depth, open_at = 0, -1
    for i, ch in enumerate(w):
        if ch == "(":
            if depth == 0:
                open_at = i
            depth += 1
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth == 0 and open_at >= 0 and _sentence_bracket(w, open_at, i):
                content = text[open_at + 1 : i]
                if _is_attribution(content) and _clearly_attribution(content):
                    roles = parse_roles(content, after_lead_role)
                    if not roles.empty():
                        out.append(roles)
    return out


def merge_roles(parts: list[Roles]) -> Roles:
    """Several attributions of one task as one: lead in any clause is lead, else responsible,
    else cooperating; each unit once, in order of first appearance."""
    rank: dict[str, int] = {}
    order: list[str] = []
    merged = Roles(merged=len(parts) > 1)
    for part in parts:
        for level, names in enumerate((part.lead, part.responsible, part.cooperating)):
            for name in names:
                if name not in rank:
                    order.append(name)
                    rank[name] = level
                else:
                    rank[name] = min(rank[name], level)
        merged.deadline = merged.deadline or part.deadline
        merged.lead_inferred = merged.lead_inferred or part.lead_inferred
        merged.merged = merged.merged or part.merged
        merged.warnings.extend(code for code in part.warnings if code not in merged.warnings)
    merged.lead = [n for n in order if rank[n] == 0]
    merged.responsible = [n for n in order if rank[n] == 1]
    merged.cooperating = [n for n in order if rank[n] == 2]
    return merged
