"""Helpers of the API tests: tokens and clients that present them."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from ipplan.services import api_token_create


def token_for(user: Any, *, write: bool = True, days: int = 30, allowed_ips: str = "") -> str:
    _token, secret = api_token_create(
        actor=user, name=f"{user.username}-client", can_write=write, days=days, allowed_ips=allowed_ips
    )
    return secret


def client_for(user: Any, *, write: bool = True) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, write=write)}")
    return client


@pytest.fixture
def api(world: Any) -> Any:
    """``api("bureau")``: a client with a read-write token of that world user."""
    return lambda name, write=True: client_for(world.users[name], write=write)
