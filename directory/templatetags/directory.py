"""``{% directory_sign_in next %}``: the 统一身份认证 button on the login page, when configured."""

from __future__ import annotations

from typing import Any

from django import template

from ..backends import oidc_enabled

register = template.Library()


@register.inclusion_tag("directory/sign_in_button.html")
def directory_sign_in(next_url: str = "") -> dict[str, Any]:
    return {"oidc_enabled": oidc_enabled(), "next": next_url}
