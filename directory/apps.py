from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    label = "directory"
    verbose_name = _("目录登录")

    def ready(self) -> None:
        from departments.accounts.signin import LOGOUT_ELSEWHERE

        from .oidc import oidc_logout_url
        from .policy import register

        register()

        if oidc_logout_url not in LOGOUT_ELSEWHERE:
            LOGOUT_ELSEWHERE.append(oidc_logout_url)
