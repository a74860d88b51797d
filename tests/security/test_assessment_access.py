"""Hole 6: the assessment (考核) ranking and its export are for the bureau, leaders and
administrators (README); department liaisons and heads are refused, through the policy."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from ipplan.permissions import Action, can

from ..conftest import World

pytestmark = pytest.mark.django_db

PAGES = ["tasks:assessment", "tasks:assessment_export"]


@pytest.mark.parametrize("who", ["staff", "head", "other_staff"])
def test_department_users_are_refused(world: World, who: str) -> None:
    client = Client()
    client.force_login(world.users[who])
    for page in PAGES:
        response = client.get(reverse(page))
        assert response.status_code == 403, (who, page)
        assert b"PK" not in response.content[:2]  # no workbook
    assert not can(world.users[who], Action.VIEW_ASSESSMENT)


@pytest.mark.parametrize("who", ["bureau", "leader", "admin", "province"])
def test_bureau_leaders_and_admins_see_it(world: World, who: str) -> None:
    client = Client()
    client.force_login(world.users[who])
    assert can(world.users[who], Action.VIEW_ASSESSMENT)
    assert client.get(reverse("tasks:assessment")).status_code == 200
    export = client.get(reverse("tasks:assessment_export"))
    assert export.status_code == 200 and b"".join(export.streaming_content)[:2] == b"PK"  # type: ignore[attr-defined]
