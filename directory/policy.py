"""How the kernel's permission policy scopes this app's models; handed over in
``DirectoryConfig.ready()``."""

from __future__ import annotations

from ipplan.permissions import Paths, register_paths


def register() -> None:
    register_paths(
        {
            "directory.directorygroupmapping": Paths(region="region__path"),
            "directory.directoryaccount": Paths(region="user__region__path", owner="user"),
        }
    )
