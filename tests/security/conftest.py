"""The API client fixture of tests/api, for the security tests that go through the API."""

from __future__ import annotations

from ..api.conftest import api

__all__ = ["api"]
