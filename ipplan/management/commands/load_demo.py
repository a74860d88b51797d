"""Load the demo regions, departments, accounts and plan. Safe to run any number of times."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from departments.models import Department, DepartmentAlias, Region, User
from departments.services import (
    department_alias_add,
    department_create,
    region_get_or_create,
    region_level_for_code,
    user_create,
)
from tasks.models import Plan
from tasks.services import plan_create, section_create, task_create

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "demo.json"

# Until the importer lands, the demo holds the first part of the Dongguan plan, entered by hand.
DEMO_PLAN: dict[str, Any] = {
    "region": "441900",
    "title": "2011-2012年实施东莞市知识产权战略纲要工作方案",
    "doc_number": "东府办〔2011〕114号",
    "issuer": "东莞市人民政府办公室",
    "issued_on": "2011-09-08",
    "period": [2011, 2012],
    "sections": [
        ["一", "基本原则", []],
        ["二", "主要任务和牵头部门", [["(一)", "创造自主知识产权"]]],
    ],
    "tasks": [
        [
            "二.(一).1",
            "加快培育发展战略性新兴产业,制定完善战略性新兴产业的扶持政策",
            ["市发改局"],
            ["市经信局", "市科技局"],
            -20,
        ],
        [
            "二.(一).2",
            "实施“战略性新兴产业知识产权战略”,鼓励企业增加知识产权积累",
            ["市科技局"],
            ["市知识产权局", "市发改局", "市经信局"],
            5,
        ],
        [
            "二.(一).3",
            "制定战略性新兴产业发展规划,明确发展思路目标和重点任务",
            ["市发改局"],
            ["市科技局", "市经信局", "市知识产权局"],
            40,
        ],
        ["二.(一).4", "组织实施重大科技专项,争取突破关键核心技术", ["市科技局"], ["市财政局"], 90],
    ],
}


class Command(BaseCommand):
    help = "Load demo regions, departments, one account per role and a demo plan (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        with transaction.atomic():
            created = self._load_registry(data)
            created += self._load_users(data)
            created += self._load_plan()
        self.stdout.write(self.style.SUCCESS(f"demo data ready ({created} objects created)"))

    def _load_registry(self, data: dict[str, Any]) -> int:
        created = 0
        for entry in data["regions"]:
            parent = Region.objects.get(code=entry["parent"]) if entry.get("parent") else None
            region = region_get_or_create(
                code=entry["code"],
                name=entry["name"],
                level=region_level_for_code(entry["code"]),
                parent=parent,
            )
            for item in entry["departments"]:
                department = Department.objects.filter(region=region, name=item["name"]).first()
                if department is None:
                    department = department_create(
                        actor=None, region=region, name=item["name"], kind=item["kind"]
                    )
                    created += 1
                for alias in item.get("aliases", []):
                    if not DepartmentAlias.objects.filter(region=region, name=alias).exists():
                        department_alias_add(actor=None, department=department, name=alias)
                        created += 1
        return created

    def _load_users(self, data: dict[str, Any]) -> int:
        created = 0
        for item in data["users"]:
            if User.objects.filter(username=item["username"]).exists():
                continue
            department = None
            if item.get("department"):
                code, name = item["department"]
                department = Department.objects.get(region__code=code, name=name)
            region = Region.objects.get(code=item["region"]) if item.get("region") else None
            user_create(
                actor=None,
                username=item["username"],
                password=data["password"],
                role=item["role"],
                department=department,
                region=region,
                display_name=item.get("display_name", ""),
                email=f"{item['username']}@demo.ipplan.local",
            )
            created += 1
        return created

    def _load_plan(self) -> int:
        spec = DEMO_PLAN
        region = Region.objects.get(code=spec["region"])
        if Plan.objects.filter(region=region, title=spec["title"]).exists():
            return 0
        plan = plan_create(
            actor=None,
            region=region,
            title=spec["title"],
            doc_number=spec["doc_number"],
            issuer=spec["issuer"],
            issued_on=dt.date.fromisoformat(spec["issued_on"]),
            period=tuple(spec["period"]),
        )
        sections = {}
        order = 0
        for label, title, children in spec["sections"]:
            order += 1
            top = section_create(plan=plan, label=label, title=title, order=order)
            sections[top.path] = top
            for child_label, child_title in children:
                order += 1
                child = section_create(
                    plan=plan, label=child_label, title=child_title, parent=top, order=order
                )
                sections[child.path] = child
        today = timezone.localdate()

        def departments(names: list[str]) -> list[Department]:
            return [Department.objects.get(region=region, name=name) for name in names]

        for order, (path, title, lead, responsible, due_in_days) in enumerate(spec["tasks"], start=1):
            section_path, number = path.rsplit(".", 1)
            task_create(
                actor=None,
                plan=plan,
                section=sections[section_path],
                path=path,
                number=int(number),
                order=order,
                title=title,
                full_text=title,
                due_date=today + dt.timedelta(days=due_in_days),
                lead=departments(lead),
                responsible=departments(responsible),
            )
        return 1
