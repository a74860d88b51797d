"""The mixed load: department liaisons, the bureau and the province at work (locust).

Run by ``benchmarks.mixed_load``, which signs the users in beforehand and passes their session
cookies and API tokens in ``BENCH_USERS`` (a JSON file). Each simulated user is one liaison:
mostly the inbox and task pages, sometimes the API list, the dashboard, and a progress update
over the API with ``If-Match`` (a 412, someone else changed the task first, is counted apart).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

PEOPLE: list[dict[str, Any]] = json.loads(Path(os.environ["BENCH_USERS"]).read_text(encoding="utf-8"))
CONFLICTS = {"n": 0}


@events.quitting.add_listener
def _report(environment: Any, **_kwargs: Any) -> None:
    print(f"412 conflicts (counted apart, not errors): {CONFLICTS['n']}")


class Liaison(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.person = random.choice(PEOPLE)
        self.client.cookies.set(self.person["cookie_name"], self.person["session"])
        self.api = {"Authorization": f"Bearer {self.person['token']}"}

    @task(5)
    def inbox(self) -> None:
        self.client.get("/my/", name="/my/")

    @task(4)
    def task_page(self) -> None:
        self.client.get(f"/tasks/{random.choice(self.person['tasks'])}/", name="/tasks/<id>/")

    @task(2)
    def api_list(self) -> None:
        page = random.randint(1, 5)
        self.client.get(f"/api/v1/tasks/?page_size=100&page={page}", headers=self.api, name="/api/v1/tasks/")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/dashboard/", name="/dashboard/")

    @task(1)
    def update_progress(self) -> None:
        pk = random.choice(self.person["led"])
        got = self.client.get(f"/api/v1/tasks/{pk}/", headers=self.api, name="/api/v1/tasks/<id>/")
        etag = got.headers.get("ETag")
        if not etag:
            return
        headers = {**self.api, "If-Match": etag}
        body = {"progress": random.randint(1, 99)}
        with self.client.patch(
            f"/api/v1/tasks/{pk}/",
            json=body,
            headers=headers,
            name="PATCH /api/v1/tasks/<id>/",
            catch_response=True,
        ) as response:
            if response.status_code == 412:
                CONFLICTS["n"] += 1
                response.success()  # type: ignore[attr-defined]
            elif response.status_code in (200, 409):  # 409: the status table refuses (a closed task)
                response.success()  # type: ignore[attr-defined]
