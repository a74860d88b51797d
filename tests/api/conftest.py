"""Helpers of the API tests: tokens and clients that present them."""

from __future__ import annotations

from typing import Any

import pytest

from ..factories import client_for


@pytest.fixture
def api(world: Any) -> Any:
    """``api("bureau")``: a client with a read-write token of that world user."""
    return lambda name, write=True: client_for(world.users[name], write=write)
