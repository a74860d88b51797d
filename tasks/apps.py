from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("工作方案")

    def ready(self) -> None:
        from .figures_cache import connect
        from .policy import register

        register()
        connect()
