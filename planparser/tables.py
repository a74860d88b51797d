"""Task tables (序号 / 任务 / 牵头单位 / 责任单位 / 配合单位 / 完成时限) turned into plan text.

Each row becomes one line ``N.任务(牵头单位:A;责任单位:B;配合单位:C;完成时限:D)`` that the text
parser reads like any other task, so tables in .docx, .xlsx, .csv and tables flattened into text all
follow the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .departments import looks_like_department

_NORM = str.maketrans({"（": "(", "）": ")", "：": ":", "；": ";", "，": ","})

COLUMN_WORDS: list[tuple[str, re.Pattern[str]]] = [
    # a department's own divisions (市卫健委内牵头处室, 配合科室): not departments of the plan
    ("internal", re.compile(r"处室|科室|内设机构|处\(室\)")),
    ("number", re.compile(r"^(?:序号|编号|序|No\.?|NO\.?)$")),
    ("lead", re.compile(r"牵头(?:单位|部门)?|主责(?:单位|部门)")),
    ("cooperating", re.compile(r"配合(?:单位|部门)|协同(?:单位|部门)|协办|参与(?:单位|部门)|协作单位")),
    (
        "responsible",
        re.compile(
            r"责任(?:单位|部门|主体)|负责(?:单位|部门)|承办(?:单位|部门)|实施(?:单位|主体)|单位$|部门$"
        ),
    ),
    ("deadline", re.compile(r"完成时限|完成时间|时间节点|完成期限|时限|进度安排|时间安排|时间要求|截止时间")),
    ("category", re.compile(r"^(?:类别|分类|领域|重点领域|任务类别|项目类别|板块)$")),
    (
        "task",
        re.compile(
            r"任务|工作计划|年度计划|工作内容|工作事项|具体措施|主要措施|工作措施|措施|事项|内容|项目|目标"
        ),
    ),
]


def _clean(cell: object) -> str:
    if cell is None:
        return ""
    text = str(cell).replace("\r", "\n").strip()
    return text


def header_map(row: Sequence[str]) -> dict[str, list[int]] | None:
    cols: dict[str, list[int]] = {}
    for idx, cell in enumerate(row):
        text = re.sub(r"\s+", "", _clean(cell)).translate(_NORM)
        if not text or len(text) > 14:
            continue
        for role, rx in COLUMN_WORDS:
            if rx.search(text):
                cols.setdefault(role, []).append(idx)
                break
    has_task = "task" in cols
    has_dept = any(k in cols for k in ("lead", "responsible", "cooperating"))
    if has_task and (has_dept or "number" in cols):
        return cols
    return None


def _get(cols: dict[str, list[int]], row: list[str], role: str) -> str:
    vals: list[str] = []
    for i in cols.get(role, []):
        if i < len(row) and row[i] and row[i] not in vals:
            vals.append(row[i])
    return "\n".join(vals)


_NONE_CELL = re.compile(r"^[/\\\-—无]*$")


def _bracket(lead: str, responsible: str, cooperating: str, deadline: str) -> str:
    parts: list[str] = []
    for label, names in (("牵头单位", lead), ("责任单位", responsible), ("配合单位", cooperating)):
        if names:
            parts.append(f"{label}:{names}")
    if deadline:
        parts.append(f"完成时限:{deadline}")
    return f"({';'.join(parts)})" if parts else ""


def _units_cell(cell: str) -> str:
    """A department cell as one list: lines joined with 、, '/' and '无' meaning none."""
    parts = [p.strip(" 、") for p in cell.replace("\r", "\n").split("\n")]
    return "、".join(p for p in parts if p and not _NONE_CELL.match(p))


class _Row:
    """One task of a table: several table rows when the 序号 cell spans them (merged cells)."""

    def __init__(self, number: str, category: str) -> None:
        self.number = number
        self.category = category
        # per table row: task cells by column, lead, responsible, cooperating cells, deadline
        self.subrows: list[tuple[list[str], str, str, str, str]] = []

    def add(self, cols: dict[str, list[int]], row: list[str]) -> None:
        cells = [row[i].replace("\n", "") if i < len(row) else "" for i in cols.get("task", [])]
        lead, resp, coop = (
            _units_cell(_get(cols, row, role)) for role in ("lead", "responsible", "cooperating")
        )
        deadline = _get(cols, row, "deadline").replace("\n", " ").strip()
        if _NONE_CELL.match(deadline):
            deadline = ""
        self.subrows.append((cells, lead, resp, coop, deadline))

    def line(self) -> str:
        m = re.fullmatch(r"(\d{1,3})(?:\.0)?[.、]?", self.number)
        prefix = f"{m.group(1)}." if m else ""
        ncols = max((len(sr[0]) for sr in self.subrows), default=0)
        # a task column whose cell is the same in every sub-row is merged (工作事项); the others
        # (主要内容) differ per sub-row
        shared = [
            k for k in range(ncols) if len({sr[0][k] if k < len(sr[0]) else "" for sr in self.subrows}) == 1
        ]
        head = [self.subrows[0][0][k] for k in shared if self.subrows[0][0][k]]
        same_units = len({(a, b, c) for _, a, b, c, _ in self.subrows}) == 1
        if len(self.subrows) == 1 or same_units:
            texts: list[str] = list(head)
            deadline = ""
            for cells, _, _, _, dl in self.subrows:
                texts.extend(cells[k] for k in range(len(cells)) if k not in shared and cells[k])
                deadline = dl or deadline
            _, lead, resp, coop, _ = self.subrows[0]
            task = "。".join(dict.fromkeys(t.rstrip("。;,") for t in texts)).strip() + "。"
            return prefix + task + _bracket(lead, resp, coop, deadline)
        # sub-rows with their own units: each sentence keeps its attribution, and the text parser
        # merges them (lead in any sub-row wins) and flags the task
        out = prefix + "。".join(t.rstrip("。;,") for t in head) + ("。" if head else "")
        for cells, lead, resp, coop, dl in self.subrows:
            own = "。".join(
                cells[k].rstrip("。;,") for k in range(len(cells)) if k not in shared and cells[k]
            )
            out += (own + "。" if own else "") + _bracket(lead, resp, coop, dl)
        return out


def rows_to_lines(rows: list[list[str]]) -> list[str]:
    """Plain lines for a table; task tables become numbered task lines."""
    lines: list[str] = []
    cols: dict[str, list[int]] | None = None
    last_category = ""
    current: _Row | None = None

    def flush() -> None:
        nonlocal current
        if current is not None and current.subrows:
            lines.append(current.line())
        current = None

    running = _numbering_runs_across_groups(rows)
    for raw in rows:
        row = [_clean(c) for c in raw]
        # merged cells repeat their text: drop consecutive duplicates for the plain rendering
        if not any(row):
            continue
        if running and cols is not None and len({c for c in row if c}) == 1 and len(row) > 2:
            flush()
            continue
        if cols is None:
            cols = header_map(row)
            if cols is not None:
                continue
            uniq: list[str] = []
            for c in row:
                if c and (not uniq or uniq[-1] != c):
                    uniq.append(c)
            lines.append("  ".join(u.replace("\n", " ") for u in uniq))
            continue
        distinct = {c for c in row if c}
        if len(distinct) == 1 and len(row) > 2:
            flush()
            lines.append(next(iter(distinct)).replace("\n", ""))  # a heading row spanning the table
            continue
        number = re.sub(r"\s+", "", _get(cols, row, "number"))
        if not any(row[i] for i in cols.get("task", []) if i < len(row)):
            # a sub-row left blank under a task (unmerged cells): its units belong to that task
            units = any(_get(cols, row, role) for role in ("lead", "responsible", "cooperating"))
            if current is not None and not number and units:
                current.add(cols, row)
            continue
        category = _get(cols, row, "category").replace("\n", "")
        if current is None or not number or number != current.number:
            flush()
            if category and category != last_category:
                lines.append(category)
                last_category = category
            current = _Row(number, category)
        current.add(cols, row)
    flush()
    return lines


def _numbering_runs_across_groups(rows: list[list[str]]) -> bool:
    """Whether the 序号 runs on across the table's group rows (1…7, 二、…, 8…): then the rows are
    the tasks, numbered by the 序号 (paths are the 序号), and a group row only repeats a body
    chapter's heading, so it is no section.
    """
    cols = None
    groups = 0
    last = 0
    for raw in rows:
        row = [_clean(c) for c in raw]
        if cols is None:
            cols = header_map(row) if any(row) else None
            continue
        if len({c for c in row if c}) == 1 and len(row) > 2:
            if last == 0:
                continue  # a group row before the first row says nothing
            groups += 1
            continue
        number = re.sub(r"\s+", "", _get(cols, row, "number"))
        m = re.fullmatch(r"(\d{1,3})(?:\.0)?[.、]?", number)
        if not m:
            continue
        value = int(m.group(1))
        if groups and value == 1:
            return False  # restarts under a group: the groups are sections
        last = value
    return groups > 0


_FLAT_HEADER = re.compile(r"^序号\s*[\t ]")


def unflatten_text_tables(lines: list[str]) -> list[str]:
    """Tables pasted as text: a 序号/任务/责任单位 header, then one row per line split by tabs or wide spaces."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped == "序号":
            converted, used = _cell_per_line(lines, i)
            if used:
                out.extend(converted)
                out.extend([""] * max(0, used - len(converted)))
                i += used
                continue
        if _FLAT_HEADER.match(stripped):
            header = re.split(r"\t+|\s{2,}|(?<=[\u4e00-\u9fff])\s(?=[\u4e00-\u9fff])", stripped)
            cols = header_map(header)
            if cols is not None:
                rows: list[list[str]] = [header]
                j = i + 1
                last_row = j
                while j < len(lines):
                    s = lines[j].strip()
                    if not s:
                        j += 1
                        continue
                    cells = re.split(r"\t+|\s{2,}", s)
                    if len(cells) < len(header):
                        cells = _split_spaced_row(s, len(header), (cols.get("task") or [1])[0])
                    if len(cells) < 2 or not re.match(r"^\d{1,3}$", cells[0]):
                        break
                    rows.append(cells)
                    j += 1
                    last_row = j
                if len(rows) > 1:
                    converted = rows_to_lines(rows)
                    # blank lines first (the header's place), so each row keeps its line number
                    out.extend([""] * max(0, last_row - i - len(converted)))
                    out.extend(converted)
                    out.extend([""] * (j - last_row))
                    i = j
                    continue
        out.append(line)
        i += 1
    return out


def _split_spaced_row(line: str, ncols: int, task_col: int) -> list[str]:
    """A row whose cells are separated by single spaces: extra pieces belong to the task cell."""
    parts = line.split()
    if len(parts) <= ncols:
        return parts
    extra = len(parts) - ncols
    return [
        *parts[:task_col],
        " ".join(parts[task_col : task_col + extra + 1]),
        *parts[task_col + extra + 1 :],
    ]


def _cell_per_line(lines: list[str], i: int) -> tuple[list[str], int]:
    """A table flattened to one cell per line: 序号 / 任务 / 责任单位, then 1 / text / departments …"""
    header = ["序号"]
    j = i + 1
    while j < len(lines) and len(header) < 8:
        s = lines[j].strip()
        if not s:
            j += 1
            continue
        # a year before a column word (2024年工作任务) does not make the cell long
        if len(re.sub(r"^\d{4}年(?:度)?", "", s)) > 8 or re.fullmatch(r"\d{1,3}", s) or _GROUP_ROW.match(s):
            break
        if not any(rx.search(s) for _, rx in COLUMN_WORDS) and not _header_goes_on(lines, j):
            break  # a column the importer has no use for (参考文件, 备注) still belongs to the header
        header.append(s)
        j += 1
    cols = header_map(header)
    if cols is None or len(header) < 2:
        return [], 0
    rows: list[list[str]] = [header]
    current: list[str] | None = None
    units_col = any(role in cols for role in ("lead", "responsible", "cooperating"))
    while j < len(lines):
        s = lines[j].strip()
        if not s:
            j += 1
            continue
        if current is None and not rows[1:] and not re.fullmatch(r"\d{1,3}", s) and len(s) <= 40:
            rows.append([s] * len(header))  # a group row spanning the table before its first row
            j += 1
            continue
        if s == header[0] and current is not None:
            again = _repeated_header(lines, j, header)
            if again:
                j = again  # the header printed again after a page break
                continue
            break  # another table starts
        if current is not None and _NEXT_ATTACHMENT.match(s):
            break
        if re.fullmatch(r"\d{1,3}", s):
            if current:
                rows.append(current)
            current = [s]
        elif (
            current is not None
            and len(current) > 1
            and _group_row_between(lines, j, current[0], cols, len(header))
        ):
            rows.append(current)  # a chapter row spanning the table between two numbered rows
            rows.append([s] * len(header))
            current = None
        elif current is not None and len(current) > 1 and current[-1].endswith(("、", "，", ",")):
            current[-1] += s  # a cell broken after a list separator goes on in the next paragraph
        elif current is not None and len(current) < len(header):
            current.append(s)
        elif current is not None and _next_row_follows(lines, j, current[0]):
            current.append(s)  # one cell broken over paragraphs: the next row still follows
        elif (
            current is not None
            and units_col
            and len(current) < 3 * len(header)
            and (not any(_starts_with_department(c) for c in current[1:]))
        ):
            current.append(s)  # a row whose units cell is still to come (the last row's long measure)
        else:
            break
        j += 1
    if current:
        rows.append(current)
    if len(rows) < 2:
        return [], 0
    return rows_to_lines(_fill_merged(rows)), j - i


_GROUP_ROW = re.compile(r"^[一二三四五六七八九十]{1,3}[、.．]\S.{0,38}$")


def _next_paragraph(lines: list[str], j: int) -> str:
    for k in range(j + 1, min(len(lines), j + 12)):
        s = lines[k].strip()
        if s:
            return s
    return ""


def _repeated_header(lines: list[str], j: int, header: list[str]) -> int:
    """Where the rows go on when line ``j`` starts the table's header again, or 0."""
    k = j
    for cell in header:
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k >= len(lines) or lines[k].strip() != cell:
            return 0
        k += 1
    return k


def _header_goes_on(lines: list[str], j: int) -> bool:
    """Whether the paragraphs after ``j`` are still short header cells up to the first 序号 ``1``.

    A chapter row spanning the table (``一、…``) may stand between the header and row ``1``.
    """
    for k in range(j + 1, min(len(lines), j + 12)):
        s = lines[k].strip()
        if not s:
            continue
        if s == "1":
            return True
        if len(s) > 8:
            return bool(_GROUP_ROW.match(s)) and _next_paragraph(lines, k) == "1"
    return False


def _group_row_between(lines: list[str], j: int, number: str, cols: dict[str, list[int]], ncols: int) -> bool:
    """Whether line ``j`` is a group row spanning the table right before the row after ``number``.

    A chapter row (``二、…``); or, in a table whose last column holds the units, a short phrase
    that names no unit where the row's units cell would stand (``建立健全“光伏+”推进机制``).
    """
    if not number.isdigit() or _next_paragraph(lines, j) != str(int(number) + 1):
        return False
    s = lines[j].strip()
    if _GROUP_ROW.match(s):
        return True
    unit_cols = [i for role in ("lead", "responsible", "cooperating") for i in cols.get(role, [])]
    return (
        bool(unit_cols)
        and max(unit_cols) == ncols - 1
        and len(s) <= 30
        and not re.search(r"[，。；,;：:]|\d", s)
        and not _starts_with_department(s)
    )


_NEXT_ATTACHMENT = re.compile(r"^附\s*[件表]\s*\d{0,2}\s*[:：]?")


def _next_row_follows(lines: list[str], j: int, number: str) -> bool:
    """Whether the row after ``number`` starts within the next four paragraphs after line ``j``."""
    if not number.isdigit():
        return False
    want = str(int(number) + 1)
    seen = 0
    for k in range(j + 1, min(len(lines), j + 8)):
        s = lines[k].strip()
        if not s:
            continue
        if s in (want, "序号"):
            return True  # the next row, or the header printed again before it
        seen += 1
        if seen >= 4:
            break
    return False


def _short_piece(text: str) -> bool:
    """A piece of a short cell (a category, a type) rather than of a sentence."""
    return len(text) <= 10 and not re.search(r"[，。；,;：:]", text) and not looks_like_department(text)


def _starts_with_department(text: str) -> bool:
    """Whether a paragraph is (the start of) a units cell: every name in it looks like a unit."""
    names = [n for n in re.split(r"[、，,；;]", text.strip().rstrip("。")) if n]
    return bool(names) and all(looks_like_department(n) for n in names)


def _fit_row(row: list[str], ncols: int, cols: dict[str, list[int]]) -> list[str]:
    """A row with more paragraphs than columns: the extra ones continue the last unit column."""
    content = max(cols.get("task", [1]))
    if len(row) > ncols:
        row = _join_numbered_paragraphs(row)
    if len(row) > ncols and content >= 1:
        # a short cell broken over paragraphs before the measure ("海绵城市" / "建设管理"): the
        # measure, the longest cell, keeps its column and the pieces before it are rejoined
        longest = max(range(1, len(row)), key=lambda k: len(row[k]))
        if longest > content:
            before = row[1:longest]
            short = 0
            while short < len(before) and _short_piece(before[short]):
                short += 1
            if content >= 2 and content - 1 <= short:
                # the measure itself broken over paragraphs: its pieces before the longest join it
                k = short - (content - 1) + 1
                measure = "".join(before[short:]) + row[longest]
                rest = row[longest + 1 :]
                # and its pieces after the longest, up to the units cell
                first_units = next((k for k, cell in enumerate(rest) if _starts_with_department(cell)), None)
                unit_at = min(
                    (i for role in ("lead", "responsible", "cooperating") for i in cols.get(role, [])),
                    default=ncols,
                )
                if first_units is not None and unit_at > content:
                    between = unit_at - content - 1  # columns between the measure and the units
                    for _ in range(max(0, first_units - between)):
                        measure += rest.pop(0)
                else:
                    while len(rest) > ncols - content - 1 and not _starts_with_department(rest[0]):
                        measure += rest.pop(0)
                row = [row[0], "".join(before[:k]), *before[k:short], measure, *rest]
            elif not any(looks_like_department(piece) for piece in before[1:]):
                # a department among the pieces means a unit column holding several paragraphs
                k = len(before) - (content - 1) + 1
                row = [row[0], "".join(before[:k]), *before[k:], *row[longest:]]
    extra = len(row) - ncols
    unit_cols = sorted(i for role in ("lead", "responsible", "cooperating") for i in cols.get(role, []))
    if extra > 0 and unit_cols:
        # a unit cell holding one department per paragraph: the names after it are its own
        last = unit_cols[-1]
        spill = row[last + 1 : last + 1 + extra]
        if len(spill) == extra and all(_starts_with_department(name) for name in spill):
            joined = "、".join(c.rstrip("、") for c in row[last : last + extra + 1])
            return [*row[:last], joined, *row[last + extra + 1 :]]
    if extra > 0 and not any(ncols - 1 in idx for idx in cols.values()):
        # the last column is one the importer does not read (参考文件): the overflow is its text
        return [*row[: ncols - 1], "".join(row[ncols - 1 :])]
    if extra <= 0 or not unit_cols:
        return row
    last = unit_cols[-1]
    if last >= len(row) - extra:
        return row[:ncols]
    joined = "、".join(c.rstrip("、") for c in row[last : last + extra + 1])
    return [*row[:last], joined, *row[last + extra + 1 :]]


_SUB_ITEM = re.compile(r"^(\d{1,2})[.、．]\D")
_SUB_NUMBER = re.compile(r"^(\d{1,2})[.、．]")


def _join_numbered_paragraphs(row: list[str]) -> list[str]:
    """A cell holding its own numbered list (1.… 2.… 3.…), one paragraph per item, is one cell.

    Its items are renumbered （1）（2）… so that the task line does not read them as the table's
    next rows (a mid-line ``2.`` after a task ``1.`` starts task 2).
    """
    cells: list[list[str]] = [[row[0]]] if row else []
    chain = 0  # the number of the last sub-item of the cell being built
    for cell in row[1:]:
        m = _SUB_ITEM.match(cell)
        number = int(m.group(1)) if m else 0
        if number and chain and number == chain + 1:
            cells[-1].append(cell)
            chain = number
            continue
        cells.append([cell])
        chain = 1 if number == 1 else 0
    out: list[str] = []
    for parts in cells:
        if len(parts) == 1:
            out.append(parts[0])
        else:
            out.append("".join(_SUB_NUMBER.sub(lambda m: f"（{m.group(1)}）", p, count=1) for p in parts))
    return out


def _plain_width(row: list[str]) -> int:
    """How many cells a row has once a cell's own numbered list and a units cell of several
    paragraphs (one department each) count as one cell each."""
    cells = _join_numbered_paragraphs(row)
    width = 0
    for k, cell in enumerate(cells):
        if k > 1 and _starts_with_department(cell) and _starts_with_department(cells[k - 1]):
            continue
        width += 1
    return width


def _fill_merged(rows: list[list[str]]) -> list[list[str]]:
    """Rows one cell short of the header lost a cell merged with the row above (任务名称 over rows).

    Flattened text keeps a merged cell once, in its first row; the rows below it have fewer cells,
    and the missing ones are the leftmost after 序号 (a group name spanning its rows). Those take the
    text of the row above, so each row's units and dates stay in their own columns.
    """
    cols = header_map(rows[0]) or {}
    header = rows[0]
    widths = [_plain_width(row) for row in rows[1:] if len(set(row)) > 1]
    read = {i for idx in cols.values() for i in idx}
    if len(header) - 1 not in read and widths and max(widths) == len(header) - 1:
        # a last column the importer does not read (备注) that no row fills prints nothing at all
        header = header[:-1]
    ncols = len(header)
    out = [header]
    prev: list[str] | None = None
    content = max(cols.get("task", [1]))
    for row in rows[1:]:
        if len(set(row)) == 1:
            out.append(row)  # a group row spanning the table
            continue
        row = _fit_row(row, ncols, cols)
        if prev is not None and len(prev) == ncols and content >= 2 and len(row) >= 3:
            # the measure (the longest cell) left of its column with units right after it: the
            # cells before it are merged with the row above, and a units cell spans paragraphs
            longest = max(range(1, len(row)), key=lambda k: len(row[k]))
            if longest < content and longest + 1 < len(row) and _starts_with_department(row[longest + 1]):
                shift = content - longest
                row = _fit_row([row[0], *prev[1 : 1 + shift], *row[1:]], ncols, cols)
        missing = ncols - len(row)
        last_unit = max(
            (i for r in ("lead", "responsible", "cooperating") for i in cols.get(r, [])), default=-1
        )
        if (
            missing > 0
            and last_unit + missing == ncols - 1
            and len(row) == last_unit + 1
            and _starts_with_department(row[-1])
            and not _starts_with_department(row[-2])
        ):
            row = row + [""] * missing  # the table ends before the row's last (unread) cells
            missing = 0
        if prev is not None and len(row) == 2 and missing > 0 and len(prev) == ncols:
            # only 序号 and the measure printed: every other cell is merged with the row above
            row = [row[0], *prev[1:content], row[1], *prev[content + 1 :]]
        elif prev is not None and 0 < missing < ncols - 2 and len(prev) == ncols:
            row = [row[0], *prev[1 : 1 + missing], *row[1:]]
        out.append(row)
        prev = row
    return out
