"""``/directory/``: OIDC sign-in (LDAP/AD uses the login form)."""

from django.urls import path

from . import oidc

app_name = "directory"
urlpatterns = [
    path("oidc/login/", oidc.oidc_login, name="oidc_login"),
    path("oidc/callback/", oidc.oidc_callback, name="oidc_callback"),
]
