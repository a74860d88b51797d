"""What the kernel knows of a user, without importing the app that defines the model.

The user model is ``departments.User`` (``settings.AUTH_USER_MODEL``); the kernel reads only the
attributes below, so it types users with these protocols (and finds the model at run time with
``django.contrib.auth.get_user_model()`` where it needs one).
"""

from __future__ import annotations

from typing import Any, Protocol


class RegionLike(Protocol):
    """A region as the policy sees it: its materialised path (``/44/4419/``)."""

    @property
    def pk(self) -> Any: ...

    @property
    def path(self) -> str: ...


class Person(Protocol):
    """A signed-in user: a role, maybe a region and a department."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def role(self) -> str: ...

    @property
    def region(self) -> RegionLike | None: ...

    @property
    def department_id(self) -> int | None: ...

    def get_username(self) -> str: ...
