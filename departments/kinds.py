"""What kind of unit a department name stands for, by a general rule.

A **group** (``DepartmentKind.GROUP``) stands for several units at once: 各镇街, 各区县人民政府,
市知识产权办公会议各成员单位, 有关部门, 市科技局等单位. Groups are listed with their tasks but never
ranked (``tasks.reporting.scores``).
"""

from __future__ import annotations

import re

from .choices import DepartmentKind

#: Collective words: starts with 各 (各镇街, 各有关部门), or a 各 inside a name followed by a
#: collective noun (办公会议各成员单位), 成员单位, 有关/相关 部门/单位, or a trailing 等 (…等单位).
_COLLECTIVE = re.compile(
    r"^各|各(成员|有关|相关|级|区|县|镇|街|市|部门|单位)|成员单位|(有关|相关)(部门|单位)|等(部门|单位|机构)?$"
)

#: Other kinds by a word in the name (the first that matches wins).
_HINTS = (
    ("海关", DepartmentKind.VERTICAL),
    ("税务", DepartmentKind.VERTICAL),
    ("银行", DepartmentKind.VERTICAL),
    ("管委会", DepartmentKind.ZONE),
    ("法院", DepartmentKind.JUDICIAL),
    ("检察院", DepartmentKind.JUDICIAL),
    ("宣传部", DepartmentKind.PARTY),
)


def is_collective(name: str) -> bool:
    """Does ``name`` stand for several units (a group) rather than one department?"""
    return bool(_COLLECTIVE.search(name.strip()))


def guess_kind(name: str) -> str:
    """The kind a new department of this name gets: group for collectives, else by a hint word,
    else government. The bureau can change it on the department page."""
    if is_collective(name):
        return DepartmentKind.GROUP
    for hint, kind in _HINTS:
        if hint in name:
            return kind
    return DepartmentKind.GOVERNMENT
