"""Every department name of a document mapped to a department of the registry, or refused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from departments.kinds import guess_kind
from departments.models import Department, Region, User
from departments.resolution import Resolution
from departments.services import department_alias_add, department_create


@dataclass(frozen=True)
class Choices:
    """The coordinator's answers for the names the registry does not know."""

    mapping: dict[str, int] = field(default_factory=dict)  # name -> department id
    create_names: tuple[str, ...] = ()  # names to create as new departments
    create_missing: bool = False  # create every name still unknown
    save_aliases: bool = False  # keep each mapped name as an alias of its department

    @classmethod
    def of(
        cls,
        *,
        mapping: dict[str, int] | None = None,
        create_names: Iterable[str] = (),
        create_missing: bool = False,
        save_aliases: bool = False,
    ) -> Choices:
        return cls(dict(mapping or {}), tuple(str(n) for n in create_names), create_missing, save_aliases)


#: no answers: every name must be known to the registry
NO_CHOICES = Choices()


def _mapping_refused(name: str) -> ValidationError:
    return ValidationError({"mapping": _("“%(name)s”映射到的单位不存在或不属于本区划。") % {"name": name}})


def check_mapping(
    *, region: Region, resolutions: dict[str, Resolution], choices: Choices
) -> dict[str, Department]:
    """The departments the mapping names, each in the region or above it; a ValidationError for a
    mapping outside it or for a name left neither resolved, mapped nor to be created. Writes nothing."""
    mapping, to_create = choices.mapping, set(choices.create_names)
    visible = {r.pk for r in region.ancestors_and_self()}
    found = Department.objects.filter(pk__in=set(mapping.values()), region__in=visible).in_bulk()
    for name, pk in mapping.items():
        if pk not in found:
            raise _mapping_refused(name)
    missing = [
        name
        for name, resolution in resolutions.items()
        if not resolution.resolved
        and name not in mapping
        and name not in to_create
        and not choices.create_missing
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
    given = mapping or {}
    # a mapping for a name the document does not give is not used, so not checked
    choices = Choices.of(
        mapping={name: given[name] for name in resolutions if name in given},
        create_names=create_names,
        create_missing=create_missing,
    )
    mapped = check_mapping(region=region, resolutions=resolutions, choices=choices)
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
