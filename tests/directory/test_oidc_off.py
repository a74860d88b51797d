"""OIDC when it is off or its provider cannot be reached: no button, clear messages, nobody in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from directory.oidc import _client

from .conftest import free_port

pytestmark = pytest.mark.django_db


def test_off_by_default_no_button_and_the_views_go_back_to_the_login_page() -> None:
    client = Client()
    assert "使用统一身份认证登录" not in client.get(reverse("login")).content.decode()
    for name in ("directory:oidc_login", "directory:oidc_callback"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == reverse("login")


def test_an_unreachable_provider_gives_a_clear_message(settings: Any) -> None:
    settings.IPPLAN_OIDC_DISCOVERY_URL = f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"
    settings.IPPLAN_OIDC_CLIENT_ID = "ipplan"
    _client.cache_clear()
    client = Client()
    response = client.get(reverse("directory:oidc_login"), follow=True)
    assert "统一身份认证平台暂时无法访问" in response.content.decode()
    assert "_auth_user_id" not in client.session
