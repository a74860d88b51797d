"""What every read-only admin page of the project shares; a leaf module, so that the admin of any
package of the kernel (the security log's too) can build on it without an import circle."""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest


class NoWritesMixin:
    """No add, change or delete in the admin site: the rows are written elsewhere."""

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
