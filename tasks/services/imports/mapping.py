"""Every department name of a document mapped to a department of the registry, or refused."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from departments.kinds import guess_kind
from departments.models import Department, Region, User
from departments.resolution import Resolution
from departments.services import department_alias_add, department_create


def _mapping_refused(name: str) -> ValidationError:
    return ValidationError({"mapping": _("“%(name)s”映射到的单位不存在或不属于本区划。") % {"name": name}})


def check_mapping(
    *,
    region: Region,
    resolutions: dict[str, Resolution],
    mapping: dict[str, int],
    create_names: Iterable[str] = (),
    create_missing: bool = False,
) -> dict[str, Department]:
    """The departments ``mapping`` names, each in the region or above it; a ValidationError for a
    mapping outside it or for a name left neither resolved, mapped nor to be created. Writes nothing."""
    visible = {r.pk for r in region.ancestors_and_self()}
    found = Department.objects.filter(pk__in=set(mapping.values()), region__in=visible).in_bulk()
    for name, pk in mapping.items():
        if pk not in found:
            raise _mapping_refused(name)
    to_create = set(create_names)
    missing = [
        name
        for name, resolution in resolutions.items()
        if not resolution.resolved and name not in mapping and name not in to_create and not create_missing
    ]
    if missing:
        raise ValidationError(
            _("以下单位尚未对应到单位库,请映射或新建:%(names)s") % {"names": "、".join(missing)},
            code="unresolved_departments",
            params={"names": missing},
        )
    return {name: found[pk] for name, pk in mapping.items()}


def resolve_departments(
    *,
    actor: User | None,
    region: Region,
    resolutions: dict[str, Resolution],
    mapping: dict[str, int] | None = None,
    save_aliases: bool = False,
    create_missing: bool = False,
    create_names: Iterable[str] = (),
) -> dict[str, Department]:
    """Every name read from the document mapped to a department, or a ValidationError listing
    the names still unknown. ``mapping`` names a department for an unknown name (saved as an
    alias when ``save_aliases``); ``create_missing`` creates the rest in the plan's region."""
    # a mapping for a name the document does not give is not used, so not checked
    mapping = {name: (mapping or {})[name] for name in resolutions if name in (mapping or {})}
    mapped = check_mapping(
        region=region,
        resolutions=resolutions,
        mapping=mapping,
        create_names=create_names,
        create_missing=create_missing,
    )
    result: dict[str, Department] = {}
    for name, resolution in resolutions.items():
        if name in mapped:
            department = mapped[name]
            if save_aliases and name != department.name:
                department_alias_add(actor=actor, department=department, name=name)
            result[name] = department
        elif resolution.department is not None:
            result[name] = resolution.department
        else:  # check_mapping let it through: it is to be created
            result[name] = department_create(actor=actor, region=region, name=name, kind=guess_kind(name))
    return result
