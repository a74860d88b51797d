"""Dashboard figures against values computed by hand, drill-down, roles, query counts, ledger."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.dashboards import dashboard_scope, department_ranking, plan_figures, ranking_departments
from tasks.models import Task
from tasks.services import task_create

from ..conftest import World
from ..support.matrix import world_once  # noqa: F401 (``world``, built once for the module)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def scene(world: World) -> World:
    """task: completed on time; other_task: overdue; a third task, cancelled; a formula-like title."""
    Task.objects.filter(pk=world.task.pk).update(
        status="completed", progress=100, completed_at=timezone.now()
    )
    Task.objects.filter(pk=world.other_task.pk).update(due_date=TODAY - dt.timedelta(days=3), progress=10)
    task_create(
        actor=None, plan=world.plan, path="二.(一).3", number=3, title="=HYPERLINK(\"http://x\")取消的任务",
        lead=[world.lead_dept],
    )  # fmt: skip
    Task.objects.filter(plan=world.plan, path="二.(一).3").update(status="cancelled")
    return world


def test_plan_figures_by_hand(scene: World) -> None:
    plans, _ = dashboard_scope(scene.users["bureau"])
    [figures] = plan_figures(plans, TODAY)
    assert figures.plan == scene.plan
    assert figures.total == 3
    assert (
        figures.by_status["completed"],
        figures.by_status["not_started"],
        figures.by_status["cancelled"],
    ) == (1, 1, 1)
    assert figures.lights == {"red": 1, "yellow": 0, "green": 0, "done": 2}
    assert figures.overdue == 1
    assert figures.completion_rate == 50.0  # 1 completed of 2 not cancelled
    assert figures.on_time_rate == 100.0


def test_late_completion_lowers_the_on_time_rate(scene: World) -> None:
    Task.objects.filter(pk=scene.task.pk).update(due_date=TODAY - dt.timedelta(days=10))
    plans, _ = dashboard_scope(scene.users["bureau"])
    [figures] = plan_figures(plans, TODAY)
    assert figures.on_time_rate == 0.0 and figures.completion_rate == 50.0


def test_department_ranking_by_hand(scene: World) -> None:
    departments = ranking_departments(scene.users["bureau"])
    ranking = {row.department.name: row for row in department_ranking(departments, TODAY)}
    science, finance = ranking["市科技局"], ranking["市财政局"]
    # 市科技局: leads 二.(一).1 (completed today, due in 30 days: not due yet, so no on-time data)
    # and the cancelled 二.(一).3 (left out); owes this month's report on 二.(一).1: 0/1.
    assert (science.led, science.shared, science.due, science.on_time, science.overdue_now) == (1, 0, 0, 0, 0)
    assert (science.reports_owed, science.reports_filed, science.reports_missing) == (1, 0, 0)
    assert (science.on_time_rate, science.report_rate, science.clean_rate, science.score) == (
        None,
        0.0,
        None,
        0.0,
    )
    # 市财政局: leads the overdue 二.(一).2, responsible for 二.(一).1; this month's report on
    # both is owed (0/2) and missing on the open one.
    assert (finance.led, finance.shared, finance.due, finance.on_time, finance.overdue_now) == (1, 1, 1, 0, 1)
    assert (finance.reports_owed, finance.reports_filed, finance.reports_missing) == (2, 0, 1)
    assert (finance.on_time_rate, finance.report_rate, finance.clean_rate, finance.score) == (
        0.0,
        0.0,
        0.0,
        0.0,
    )
    assert (science.rank, finance.rank) == (1, 2)  # equal scores: fewer overdue first


def test_department_roles_see_their_own_department(client: Client, scene: World) -> None:
    client.force_login(scene.users["other_staff"])  # 市财政局
    response = client.get(reverse("tasks:dashboard"))
    assert response.status_code == 200
    assert [row.department.name for row in response.context["ranking"]] == ["市财政局"]
    [figures] = response.context["figures"]
    assert figures.total == 2  # the two tasks 市财政局 is on, not the plan's three


@pytest.mark.parametrize(
    ("username", "plans"), [("bureau", 1), ("province", 2), ("other_bureau", 1), ("leader", 1), ("admin", 2)]
)
def test_dashboard_scope_by_role(client: Client, scene: World, username: str, plans: int) -> None:
    client.force_login(scene.users[username])
    response = client.get(reverse("tasks:dashboard"))
    assert response.status_code == 200
    assert len(response.context["figures"]) == plans


def test_light_cards_open_their_list_narrowed_to_the_viewed_department(client: Client, scene: World) -> None:
    client.force_login(scene.users["bureau"])
    page = client.get(reverse("tasks:dashboard"), {"department": scene.other_dept.pk}).content.decode()
    list_url = reverse("tasks:task_list")
    for light in ("red", "yellow", "green", "done"):
        assert f'href="{list_url}?light={light}&amp;department={scene.other_dept.pk}"' in page
    whole = client.get(reverse("tasks:dashboard")).content.decode()
    assert (
        f'href="{list_url}?light=red"' in whole
        and "&amp;department=" not in whole.split('id="dashboard-lights"')[1][:2000]
    )


def test_dashboard_needs_login(client: Client) -> None:
    assert client.get(reverse("tasks:dashboard")).status_code == 302


def test_drill_down_lists_the_tasks_behind_a_figure(client: Client, scene: World) -> None:
    client.force_login(scene.users["bureau"])
    red = client.get(reverse("tasks:task_list"), {"plan": scene.plan.pk, "light": "red"})
    assert [t.pk for t in red.context["page"]] == [scene.other_task.pk]
    led = client.get(reverse("tasks:task_list"), {"department": scene.other_dept.pk, "role": "lead"})
    assert [t.pk for t in led.context["page"]] == [scene.other_task.pk]
    # a plan of another city is not listed even when asked for
    foreign = client.get(reverse("tasks:task_list"), {"plan": scene.foreign_plan.pk})
    assert foreign.status_code == 200 and list(foreign.context["page"]) == []


def add_plan_tasks(world: World, count: int, start: int) -> None:
    for i in range(start, start + count):
        task_create(
            actor=None, plan=world.plan, path=f"五.{i}", number=i, title=f"任务{i}", due_date=TODAY + dt.timedelta(days=i % 40),
            lead=[world.lead_dept if i % 2 else world.other_dept], responsible=[world.other_dept if i % 2 else world.lead_dept],
        )  # fmt: skip


def test_dashboard_query_count_does_not_grow(client: Client, scene: World) -> None:
    from tasks.services import plan_create

    client.force_login(scene.users["province"])
    url = reverse("tasks:dashboard")
    add_plan_tasks(scene, 5, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add_plan_tasks(scene, 60, 100)
    for n in range(3):
        plan_create(actor=None, region=scene.city, title=f"新方案{n}")
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["figures"]) == 5
    assert len(large) == len(small), [q["sql"][:100] for q in large.captured_queries]


def read_xlsx(content: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]


def test_ledger_export_one_row_per_task_and_formulas_as_text(client: Client, scene: World) -> None:
    client.force_login(scene.users["bureau"])
    response = client.get(reverse("tasks:ledger_export"), {"plan": scene.plan.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = read_xlsx(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert [row[2] for row in rows] == ["二.(一).1", "二.(一).2", "二.(一).3"]
    first = rows[0]
    assert (first[4], first[5], first[8], first[9], first[11]) == (
        "市科技局",
        "市财政局",
        "已办结",
        1,
        "已办结",
    )
    formula_like = rows[2][3]
    assert isinstance(formula_like, str) and formula_like.startswith("=HYPERLINK")
    sheet = openpyxl.load_workbook(
        io.BytesIO(
            b"".join(client.get(reverse("tasks:ledger_export"), {"plan": scene.plan.pk}).streaming_content)
        )
    ).active  # type: ignore[attr-defined]
    assert sheet.cell(row=6, column=4).data_type == "s"  # stored as a string, not a formula


def test_ledger_export_follows_the_export_scope(client: Client, scene: World) -> None:
    client.force_login(scene.users["other_staff"])  # 市财政局: on two of the three tasks
    rows = read_xlsx(b"".join(client.get(reverse("tasks:ledger_export")).streaming_content))  # type: ignore[attr-defined]
    assert sorted(row[2] for row in rows) == ["二.(一).1", "二.(一).2"]
    client.force_login(scene.users["foreign_staff"])
    rows = read_xlsx(
        b"".join(client.get(reverse("tasks:ledger_export"), {"plan": scene.plan.pk}).streaming_content)
    )  # type: ignore[attr-defined]
    assert rows == []


def test_export_ledger_command(scene: World, tmp_path: Path) -> None:
    from django.core.management import call_command

    out = tmp_path / "ledger.xlsx"
    call_command("export_ledger", "--plan", str(scene.plan.pk), "--out", str(out))
    rows = read_xlsx(out.read_bytes())
    assert len(rows) == 3


@pytest.mark.embedded
@pytest.mark.slow
def test_ledger_of_twenty_thousand_rows_streams_in_bounded_memory(tmp_path: Path) -> None:
    """Writes 20,000 rows through write_ledger in a child process and prints time and peak memory."""
    script = tmp_path / "bench.py"
    script.write_text(
        "import resource, time, sys\n"
        "import django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from tests.conftest import make_world\n"
        "from tasks.models import Task\n"
        "from tasks.exports import write_ledger\n"
        "w = make_world()\n"
        "Task.objects.bulk_create([Task(plan=w.plan, path=f'X.{i}', number=i, order=i, title='任务'*20) for i in range(20000)])\n"
        "start = time.monotonic()\n"
        "n = write_ledger(Task.objects.filter(plan=w.plan), sys.argv[1])\n"
        "print(n, round(time.monotonic() - start, 2), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
    )
    env = {
        **__import__("os").environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        "IPPLAN_DATA_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "big.xlsx")], cwd=Path(__file__).resolve().parents[2],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    rows, seconds, peak_mb = result.stdout.split()[-3:]
    print(f"\nledger: {rows} rows in {seconds} s, peak RSS {peak_mb} MB")
    assert int(rows) == 20002


def read_docx(content: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_briefing_names_the_overdue_tasks_urges_and_off_track_targets(client: Client, scene: World) -> None:
    from tasks.services import indicator_create, indicator_reading_record
    from tasks.services.workflow import task_urge

    bureau = scene.users["bureau"]
    task_urge(actor=bureau, task=scene.other_task, message="请本周内报送")
    indicator = indicator_create(
        actor=None,
        plan=scene.plan,
        name="专利授权量",
        target_value=100,
        target_year=TODAY.year + 1,
        baseline=0,
        baseline_year=TODAY.year - 1,
    )
    indicator_reading_record(actor=bureau, indicator=indicator, value=1, observed_on=TODAY)
    client.force_login(bureau)
    response = client.get(reverse("tasks:briefing_export"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    text = read_docx(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert (
        "二.(一).2 完善政策" in text and "市财政局(1)" in text
    )  # the overdue task, under its lead department
    assert "本期共催办 1 次" in text and "请本周内报送" in text
    assert "专利授权量" in text  # far behind its line: off track
    assert "培育高价值专利" not in text.split("二、")[1]  # the completed task is not listed as overdue


def test_briefing_is_for_the_bureau_and_leaders(client: Client, scene: World) -> None:
    client.force_login(scene.users["leader"])
    assert client.get(reverse("tasks:briefing_export")).status_code == 200
    client.force_login(scene.users["bureau"])
    assert client.get(reverse("tasks:briefing_export"), {"start": "not-a-date"}).status_code == 404


def test_the_bureau_opens_one_departments_dashboard(client: Client, scene: World) -> None:
    client.force_login(scene.users["bureau"])
    response = client.get(reverse("tasks:dashboard"), {"department": scene.other_dept.pk})
    assert response.context["viewed_department"] == scene.other_dept
    [figures] = response.context["figures"]
    assert figures.total == 2 and [row.department for row in response.context["ranking"]] == [
        scene.other_dept
    ]
    # a department of another city is not found
    assert client.get(reverse("tasks:dashboard"), {"department": scene.foreign_dept.pk}).status_code == 404


def test_plan_page_shows_the_plan_dashboard(client: Client, scene: World) -> None:
    client.force_login(scene.users["leader"])
    figures = client.get(reverse("tasks:plan_detail", args=[scene.plan.pk])).context["figures"]
    assert (figures.total, figures.completion_rate, figures.on_time_rate) == (3, 50.0, 100.0)
