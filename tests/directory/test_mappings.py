"""Group mappings: kept by the security administrator on the admin site through the services,
audited, scoped to their region; 三员分立 for the administrator roles."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from departments.models import User
from directory.models import DirectoryAccount, DirectoryGroupMapping
from directory.services import (
    DirectoryRefusal,
    directory_user_sync,
    group_mapping_delete,
    group_mapping_save,
)
from ipplan.roles import Role
from ipplan.security.choices import EventAction
from ipplan.security.models import SecurityEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/directory/directorygroupmapping/add/"


def form(world: World, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "source": "ldap",
        "group": "cn=kjj,ou=groups,dc=example,dc=cn",
        "role": Role.DEPT_STAFF,
        "region": world.city.pk,
        "department": world.lead_dept.pk,
        "priority": 100,
        "note": "",
    }
    data.update(changes)
    return data


def test_the_security_administrator_adds_a_mapping_on_the_admin_page_and_it_is_audited(world: World) -> None:
    client = Client()
    client.force_login(world.users["security"])
    assert client.get("/admin/directory/directorygroupmapping/").status_code == 200
    response = client.post(ADD_URL, form(world))
    assert response.status_code == 302, response.content.decode()[:2000]
    mapping = DirectoryGroupMapping.objects.get()
    assert (mapping.role, mapping.department, mapping.region) == (
        Role.DEPT_STAFF,
        world.lead_dept,
        world.city,
    )
    event = SecurityEvent.objects.get(action=EventAction.DIRECTORY_MAPPING)
    assert event.actor_id == world.users["security"].pk
    assert event.detail["new"]["group"] == "cn=kjj,ou=groups,dc=example,dc=cn" and event.detail["old"] is None


@pytest.mark.parametrize("who", ["bureau", "admin", "auditor", "staff"])
def test_others_cannot_change_mappings(world: World, who: str) -> None:
    client = Client()
    client.force_login(world.users[who])
    assert client.post(ADD_URL, form(world)).status_code in (302, 403)
    assert not DirectoryGroupMapping.objects.exists()
    with pytest.raises(PermissionDenied):
        group_mapping_save(
            actor=world.users[who], source="ldap", group="g", role=Role.LEADER, region=world.city
        )


def test_administrator_roles_need_the_explicit_flag(world: World) -> None:
    client = Client()
    client.force_login(world.users["security"])
    response = client.post(ADD_URL, form(world, role=Role.SECURITY_ADMIN, department=""))
    assert response.status_code == 200 and "三员分立" in response.content.decode()
    assert not DirectoryGroupMapping.objects.exists()
    mapping = group_mapping_save(
        actor=world.users["security"],
        source="ldap",
        group="cn=secadm,ou=groups",
        role=Role.SECURITY_ADMIN,
        region=world.city,
        grants_administrator=True,
    )
    user = directory_user_sync(source="ldap", subject="uid=x", username="x", groups=["CN=SecAdm,ou=groups"])
    assert user.role == Role.SECURITY_ADMIN and mapping.grants_administrator
    # the database holds the rule too
    with pytest.raises(IntegrityError), transaction.atomic():
        DirectoryGroupMapping.objects.filter(pk=mapping.pk).update(grants_administrator=False)


def test_bad_mappings_are_refused_with_the_field_named(world: World) -> None:
    security = world.users["security"]
    with pytest.raises(ValidationError) as missing:
        group_mapping_save(actor=security, source="ldap", group="g", role=Role.DEPT_STAFF, region=world.city)
    assert "department" in missing.value.message_dict
    with pytest.raises(ValidationError) as foreign:
        group_mapping_save(
            actor=security,
            source="ldap",
            group="g",
            role=Role.DEPT_STAFF,
            region=world.city,
            department=world.foreign_dept,
        )
    assert "department" in foreign.value.message_dict
    group_mapping_save(actor=security, source="ldap", group="G1", role=Role.LEADER, region=world.city)
    with pytest.raises(ValidationError) as twice:
        group_mapping_save(actor=security, source="ldap", group="g1", role=Role.LEADER, region=world.city)
    assert "group" in twice.value.message_dict
    assert DirectoryGroupMapping.objects.count() == 1


def test_deleting_a_mapping_refuses_its_members_at_the_next_login(world: World) -> None:
    security = world.users["security"]
    mapping = group_mapping_save(
        actor=security, source="any", group="leaders", role=Role.LEADER, region=world.city
    )
    user = directory_user_sync(source="oidc", subject="iss|1", username="boss", groups=["leaders"])
    assert user.role == Role.LEADER and user.region == world.city
    group_mapping_delete(actor=security, mapping=mapping)
    with pytest.raises(DirectoryRefusal):
        directory_user_sync(source="oidc", subject="iss|1", username="boss", groups=["leaders"])
    user.refresh_from_db()
    assert user.role == Role.LEADER  # unchanged: the refused login wrote nothing
    assert DirectoryAccount.objects.get(user=user).mapping is None
    assert SecurityEvent.objects.filter(action=EventAction.DIRECTORY_MAPPING).count() == 2


def test_a_deactivated_directory_user_is_refused(world: World) -> None:
    group_mapping_save(
        actor=world.users["security"], source="oidc", group="g", role=Role.LEADER, region=world.city
    )
    user = directory_user_sync(source="oidc", subject="iss|2", username="gone", groups=["g"])
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(DirectoryRefusal) as refusal:
        directory_user_sync(source="oidc", subject="iss|2", username="gone", groups=["g"])
    assert refusal.value.reason == "inactive"


def test_account_details_the_user_model_refuses_are_a_refusal_not_an_error(world: World) -> None:
    group_mapping_save(
        actor=world.users["security"], source="oidc", group="g", role=Role.LEADER, region=world.city
    )
    with pytest.raises(DirectoryRefusal) as refusal:
        directory_user_sync(source="oidc", subject="iss|3", username="has space", groups=["g"])
    assert refusal.value.reason == "invalid_account"
    assert not User.objects.filter(username="has space").exists()
    assert not DirectoryAccount.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_logins_at_once_give_one_account(world: World) -> None:
    from tests.threads import in_threads

    group_mapping_save(
        actor=world.users["security"], source="oidc", group="g", role=Role.LEADER, region=world.city
    )
    users = in_threads(
        lambda: directory_user_sync(source="oidc", subject="iss|9", username="twice", groups=["g"]).pk, n=4
    )
    assert len(set(users)) == 1
    assert User.objects.filter(username="twice").count() == 1 and DirectoryAccount.objects.count() == 1
