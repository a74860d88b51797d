"""The English translation is complete and the compiled catalogue matches its source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from .conftest import World

PO = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
# msgid "…" (continued on "…" lines) then msgstr "…" (likewise); plural entries are left out.
ENTRY = re.compile(
    r'^(?:msgctxt "([^\n]*)"\n)?msgid ((?:"[^\n]*"\n)+)msgstr ((?:"[^\n]*"\n?)+)', re.MULTILINE
)


def _joined(quoted: str) -> str:
    return "".join(re.findall(r'"(.*)"', quoted))


def entries(*, with_context: bool = False) -> list[tuple[str, str]]:
    """(msgid, msgstr) of the catalogue; entries with a context (msgctxt) only when asked, as
    ("context\x04msgid", msgstr), the key gettext files them under."""
    text = PO.read_text(encoding="utf-8")
    found = [
        ((f"{m.group(1)}\x04" if m.group(1) else "") + _joined(m.group(2)), _joined(m.group(3)), m.group(1))
        for m in ENTRY.finditer(text)
    ]
    # the header has an empty msgid
    return [(msgid, msgstr) for msgid, msgstr, context in found if msgid and (with_context or not context)]


def test_every_string_has_an_english_translation() -> None:
    found = entries(with_context=True)
    assert len(found) > 300
    missing = [msgid for msgid, msgstr in found if not msgstr]
    assert missing == []
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


def test_compiled_catalogue_matches_the_source() -> None:
    def unescape(value: str) -> str:
        return value.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")

    with translation.override("en"):
        stale = [
            msgid for msgid, msgstr in entries() if translation.gettext(unescape(msgid)) != unescape(msgstr)
        ]
    assert stale == [], "run: msgfmt -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po"


# --- pages, notifications and e-mails in English -------------------------------------------------

HAN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]+")


def _visible_text(html: str) -> str:
    """What a reader sees: the page without scripts, styles and tags (attributes included, since
    titles, placeholders and labels are read too)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    attributes = " ".join(re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', html))
    return re.sub(r"<[^>]+>", " ", html) + " " + attributes


def _user_data(world: object) -> list[str]:
    """Names and titles people typed (plans, tasks, departments, regions): these stay as written."""
    from departments.models import Department, DepartmentAlias, Region, User
    from tasks.models import Plan, Section, Task

    data: list[str] = []
    data += [p.title for p in Plan.objects.all()]
    data += [t.title for t in Task.objects.all()] + [t.path for t in Task.objects.all()]
    data += [f"{s.label}{s.title}" for s in Section.objects.all()] + [s.title for s in Section.objects.all()]
    data += [s.label for s in Section.objects.all()]
    data += [d.name for d in Department.objects.all()] + [r.name for r in Region.objects.all()]
    data += [a.name for a in DepartmentAlias.objects.all()]
    data += [str(u) for u in User.objects.all()]
    data += [f"{s.label}、{s.title}" for s in Section.objects.all()]
    data += ["中文", "简体中文"]  # the language switch names the other language in that language
    return sorted(set(data), key=len, reverse=True)


#: Chinese quoted on purpose in English: the import rules name the markers found in documents.
QUOTED = {"/plans/import/": {"一、", "一是、", "是", "牵头", "配合", "协同"}}


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["bureau", "staff", "head", "leader"])
def test_pages_in_english_have_no_chinese_outside_user_data(
    client: Client, world: World, username: str
) -> None:
    from departments.models import User
    from tasks.services import workflow

    User.objects.update(language="en")  # as the language switch sets it: notifications in English too
    workflow.task_urge(actor=world.users["bureau"], task=world.task, message="Please speed up")
    workflow.completion_request(
        actor=world.users["staff"], task=world.task, expected_version=world.task.version, reason="done"
    )
    client.force_login(world.users[username])
    client.cookies["django_language"] = "en"
    urls = [
        reverse("home"),
        reverse("tasks:inbox"),
        reverse("tasks:task_detail", args=[world.task.pk]),
        reverse("tasks:task_detail", args=[world.other_task.pk]),
        reverse("tasks:task_list"),
        reverse("notifications:list"),
        reverse("account_notifications"),
        reverse("tasks:plan_detail", args=[world.plan.pk]),
    ]
    if username == "bureau":
        urls += [
            reverse("tasks:review"),
            reverse("tasks:import_start"),
            reverse("tasks:task_maintain", args=[world.task.pk]),
            reverse("tasks:plan_maintain", args=[world.plan.pk]),
        ]
    if username in ("bureau", "leader"):
        urls += [
            reverse("tasks:dashboard"),
            reverse("tasks:indicator_list"),
            reverse("tasks:assessment"),
        ]
    data = _user_data(world)
    leftovers = {}
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        text = _visible_text(response.content.decode())
        for value in data:
            text = text.replace(value, " ")
        found = set(HAN.findall(text)) - QUOTED.get(url, set())
        if found:
            leftovers[url] = sorted(set(found))
    assert leftovers == {}


@pytest.mark.django_db
def test_notifications_are_written_in_the_recipients_language(world: World) -> None:
    from departments.models import User
    from notifications.models import Notification
    from tasks.services import workflow

    User.objects.filter(pk=world.users["staff"].pk).update(language="en")
    workflow.task_urge(actor=world.users["bureau"], task=world.task, message="请加快")
    english = Notification.objects.get(recipient=world.users["staff"]).message
    chinese = Notification.objects.get(recipient=world.users["head"]).message
    assert english.startswith("Urge: task 二.(一).1") and not english.startswith("催办")
    assert chinese.startswith("催办:任务 二.(一).1")


@pytest.mark.django_db
def test_emails_greet_by_name_in_the_recipients_language(world: World) -> None:
    from departments.models import User
    from notifications.models import Notification
    from notifications.services.delivery import email_render
    from tasks.services import workflow

    User.objects.filter(pk=world.users["head"].pk).update(display_name="李主任", email="head@example.gov.cn")
    User.objects.filter(pk=world.users["staff"].pk).update(
        display_name="王联络", email="staff@example.gov.cn", language="en"
    )
    workflow.task_urge(actor=world.users["bureau"], task=world.task, message="请加快")
    head_mail = email_render(Notification.objects.get(recipient=world.users["head"]))
    staff_mail = email_render(Notification.objects.get(recipient=world.users["staff"]))
    assert head_mail.body.startswith("李主任,您好") and "head" not in head_mail.body.split("\n")[0]
    assert staff_mail.body.startswith("Dear 王联络,")
    assert staff_mail.subject.startswith("[ipplan]") and "View the task" in staff_mail.alternatives[0][0]


@pytest.mark.django_db
def test_the_language_switch_sets_the_notification_language(client: Client, world: World) -> None:
    staff = world.users["staff"]
    client.force_login(staff)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.language == "en"
    client.post(reverse("account_notifications"), {"email_notifications": "on", "language": "zh-hans"})
    staff.refresh_from_db()
    assert staff.language == "zh-hans"
