"""Fixtures of the workflow tests, on top of the shared ``world``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from departments.models import User
from departments.services import user_create
from ipplan.roles import Role
from tasks.models import TaskRequest
from tasks.services import completion_request, completion_sign_off

from ..conftest import PASSWORD, World


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """Uploaded files go to a fresh directory, so a test can see exactly what was stored."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def other_head(world: World) -> User:
    """The head of 市财政局, which is only responsible for ``world.task``."""
    return user_create(
        actor=None, username="other_head", password=PASSWORD, role=Role.DEPT_HEAD, department=world.other_dept
    )


@pytest.fixture
def awaiting_signoff(world: World) -> TaskRequest:
    """A completion request of ``world.task`` by the liaison, waiting for the head."""
    return completion_request(
        actor=world.users["staff"], task=world.task, expected_version=1, reason="已完成"
    )


@pytest.fixture
def awaiting_review(world: World, awaiting_signoff: TaskRequest) -> TaskRequest:
    """The same request signed off by the head, waiting for the bureau."""
    return completion_sign_off(actor=world.users["head"], request=awaiting_signoff)
