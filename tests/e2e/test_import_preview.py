"""In a real browser (Debian's Chromium): import a document, correct three tasks in the preview
(departments through the registry picker, a deadline, a merge), reload, commit; the plan has the
corrections and its audit trail shows them (issue 13, done-when)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from tasks.models import Plan, PlanImport

from ..conftest import PASSWORD, World
from ..imports.docs import PLAN_V1
from ..imports.files import docx_bytes
from .conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _open_task_form(page: Any, path: str) -> Any:
    row = page.locator(f'li[data-path="{path}"]')
    row.locator(".task-edit-open").click()
    form = row.locator(".task-edit")
    form.wait_for()
    return form


def test_correct_three_tasks_reload_and_commit(
    browser: Any,
    site: tuple[str, World],
    screenshot_dir: Path,
) -> None:
    base, _world = site
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "bureau")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/**")

    page.goto(f"{base}/plans/import/")
    page.set_input_files(
        "#id_file",
        files=[{"name": "方案.docx", "mimeType": "application/octet-stream", "buffer": docx_bytes(PLAN_V1)}],
    )
    page.click("#import-form button[type=submit]")
    page.wait_for_url(f"{base}/plans/import/*/")
    record = PlanImport.objects.get()
    assert "2 项任务需要核对" in page.inner_text("#needs-look")  # tasks 1 and 3 name no lead

    # 1. departments: 市财政局 leads 二.(一).1 instead of 市科技局, found with the picker
    form = _open_task_form(page, "二.(一).1")
    form.locator('input[name="lead"]').fill("")
    form.locator('input[name="responsible"]').fill("市科技局")
    form.locator('input[type="search"]').fill("财政")
    form.locator('.dept-pick[data-name="市财政局"][data-role="lead"]').click()
    assert form.locator('input[name="lead"]').input_value() == "市财政局"
    form.locator(".task-edit-form button[type=submit]").click()
    page.wait_for_selector("text=已保存修改")

    # 2. a deadline for 二.(一).2
    form = _open_task_form(page, "二.(一).2")
    form.locator('input[name="deadline"]').fill("2026-06-30")
    form.locator(".task-edit-form button[type=submit]").click()
    page.wait_for_selector("text=已保存修改")

    # 3. 二.(二).3 merged into 二.(一).2
    form = _open_task_form(page, "二.(二).3")
    form.locator('select[name="into"]').select_option("二.(一).2")
    form.locator(".task-merge-form button[type=submit]").click()
    page.wait_for_selector("text=已保存修改")

    # the corrections are stored with the import: a reload shows them
    page.reload()
    assert page.locator('li[data-path="二.(二).3"]').count() == 0
    edited_row = page.locator('li[data-path="二.(一).1"]')
    assert "市财政局" in edited_row.inner_text() and "已修改" in edited_row.inner_text()
    second_row = page.locator('li[data-path="二.(一).2"]').inner_text()
    assert "2026年6月30日" in second_row or "2026-06-30" in second_row
    screenshot(page, screenshot_dir / "import-preview-corrected.png")

    page.click("button:has-text('确认导入')")
    page.wait_for_url(re.compile(r"/plans/\d+/(#.*)?$"))
    record.refresh_from_db()
    plan = Plan.objects.get(pk=record.plan_id)
    assert sorted(plan.tasks.values_list("path", flat=True)) == ["二.(一).1", "二.(一).2"]
    first, second = plan.tasks.get(path="二.(一).1"), plan.tasks.get(path="二.(一).2")
    assert list(first.assignments.filter(role="lead").values_list("department__name", flat=True)) == [
        "市财政局"
    ]
    assert second.due_date == dt.date(2026, 6, 30) and "执法专项行动" in second.full_text
    reasons = " ".join(r or "" for r in plan.history.values_list("history_change_reason", flat=True))  # type: ignore[attr-defined]
    assert (
        "lead=市财政局" in reasons
        and "deadline=2026-06-30" in reasons
        and "merge 二.(二).3 into 二.(一).2" in reasons
    )

    # the task page's audit trail says what was corrected before the commit
    page.goto(f"{base}/tasks/{first.pk}/")
    history = page.inner_text("#history")
    assert "导入预览中修改" in history and "lead=市财政局" in history
