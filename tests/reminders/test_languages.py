"""The set-based sweep writes every reminder and digest in its recipient's language: each text
once per task, kind and language (not per recipient), with the same queries as a sweep in one
language, and the Chinese ones exactly as before."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from departments.models import Department, Region, User
from departments.services import user_create
from ipplan.roles import Role
from notifications.models import Notification
from tasks.models import Plan, Task
from tasks.services import reminders
from tasks.services.reminders import reminders_sweep

from ..conftest import PASSWORD, World
from .test_queries import TODAY, _add_tasks, _plans

#: Chinese characters and full-width punctuation: none may be left in an English text once the
#: names people typed are taken out.
HAN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]+")
ENGLISH = ("staff", "staff_en", "head", "bureau")


def _names() -> list[str]:
    """What people typed (plans, tasks, departments, regions), longest first."""
    names = [
        *Plan.objects.values_list("title", flat=True),
        *Department.objects.values_list("name", flat=True),
    ]
    names += [*Region.objects.values_list("name", flat=True)]
    for path, title in Task.objects.values_list("path", "title"):
        names += [path, title]
    return sorted(set(names), key=len, reverse=True)


def _sweep() -> tuple[int, dict[str, tuple[int, str]]]:
    """Sweep TODAY from scratch: (queries, dedup key → (recipient, message))."""
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        reminders_sweep(today=TODAY)
    rows = Notification.objects.values_list("dedup_key", "recipient_id", "message")
    return len(queries), {key: (recipient, message) for key, recipient, message in rows}


@pytest.mark.django_db
def test_each_recipient_reads_the_sweep_in_their_language(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    plans = _plans(world)
    for name in ("staff_en", "staff_zh"):  # the lead department's liaisons: two English, one Chinese
        world.users[name] = user_create(
            actor=None, username=name, password=PASSWORD, role=Role.DEPT_STAFF, department=world.lead_dept
        )
    _add_tasks(world, plans, 0, 18)
    chinese_queries, chinese = _sweep()

    english = {world.users[name].pk for name in ENGLISH}
    User.objects.filter(pk__in=english).update(language="en")
    written: list[str] = []
    message = reminders._message

    def counted(kind: str, label: str, *args: object, **kwargs: str) -> str:
        written.append(kind)
        return message(kind, label, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reminders, "_message", counted)
    mixed_queries, mixed = _sweep()

    assert mixed.keys() == chinese.keys()
    assert mixed_queries == chinese_queries  # a second language costs no query
    kinds = {key.split(":")[1] for key, (recipient, _m) in mixed.items() if recipient in english}
    assert {"due_soon", "overdue", "escalation_head", "escalation_bureau", "report_due", "weekly"} <= kinds
    names = _names()
    for key, (recipient, text) in mixed.items():
        if recipient in english:
            assert text != chinese[key][1]
            for name in names:
                text = text.replace(name, " ")
            assert not HAN.findall(text), (key, text)
        else:
            assert text == chinese[key][1], key  # the Chinese texts are unchanged
    # one text per task, kind (and department, for report reminders) and language read
    groups = set()
    for key, (recipient, _text) in mixed.items():
        parts = key.split(":")
        if parts[0] == "rem":
            department = parts[3] if parts[1] == "report_due" else ""
            groups.add((parts[1], parts[2], department, recipient in english))
    assert len(written) == len(groups)
    assert len(written) < sum(1 for key in mixed if key.startswith("rem:"))
