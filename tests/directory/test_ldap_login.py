"""LDAP sign-in end to end: a real slapd on loopback, the login form, the group mapping."""

from __future__ import annotations

from typing import Any

import ldap
import pytest
from django.test import Client
from django.urls import reverse
from django_auth_ldap.config import GroupOfNamesType, LDAPSearch
from django_otp.plugins.otp_totp.models import TOTPDevice

from departments.models import User
from directory.models import DirectoryAccount, DirectoryGroupMapping
from directory.services import group_mapping_save
from ipplan.roles import Role
from ipplan.security.choices import EventAction, EventResult
from ipplan.security.models import SecurityEvent
from tests.conftest import PASSWORD, World

from .conftest import SUFFIX, Slapd

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ldap_on(settings: Any, slapd: Slapd) -> Slapd:
    settings.AUTH_LDAP_SERVER_URI = slapd.uri
    settings.AUTH_LDAP_BIND_DN = ""
    settings.AUTH_LDAP_BIND_PASSWORD = ""
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(f"ou=people,{SUFFIX}", ldap.SCOPE_SUBTREE, "(uid=%(user)s)")
    settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
        f"ou=groups,{SUFFIX}", ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)"
    )
    settings.AUTH_LDAP_GROUP_TYPE = GroupOfNamesType()
    return slapd


@pytest.fixture
def mappings(world: World, ldap_on: Slapd) -> dict[str, DirectoryGroupMapping]:
    security = world.users["security"]
    return {
        "staff": group_mapping_save(
            actor=security,
            source="ldap",
            group=ldap_on.group_dn("kjj-staff"),
            role=Role.DEPT_STAFF,
            region=world.city,
            department=world.lead_dept,
            priority=100,
        ),
        "heads": group_mapping_save(
            actor=security,
            source="any",
            # written in another case than the directory: group DNs compare case-insensitively
            group=ldap_on.group_dn("KJJ-Heads").upper(),
            role=Role.DEPT_HEAD,
            region=world.city,
            department=world.lead_dept,
            priority=10,
        ),
    }


def login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, follow=True)


def test_first_login_creates_the_user_with_the_mapped_role_and_department(
    world: World, mappings: dict[str, DirectoryGroupMapping]
) -> None:
    client = Client()
    response = login(client, "zhangsan", "zhangsan-pass")
    assert response.redirect_chain and response.redirect_chain[-1][0] == reverse("home")
    user = User.objects.get(username="zhangsan")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert (user.role, user.department, user.region) == (Role.DEPT_STAFF, world.lead_dept, world.city)
    assert user.display_name == "张三" and user.email == "zhangsan@ipplan.test"
    assert not user.has_usable_password() and not user.must_change_password
    account = DirectoryAccount.objects.get(user=user)
    assert (account.source, account.subject) == ("ldap", f"uid=zhangsan,ou=people,{SUFFIX}")
    assert account.mapping == mappings["staff"]
    created = SecurityEvent.objects.filter(action=EventAction.USER_CREATE, object_id=str(user.pk)).get()
    assert created.actor_name == "directory:ldap"
    assert SecurityEvent.objects.filter(action=EventAction.LOGIN, actor_id=user.pk).exists()


def test_lowest_priority_number_wins_and_each_login_follows_the_directory(
    world: World, mappings: dict[str, DirectoryGroupMapping]
) -> None:
    login(Client(), "wangwu", "wangwu-pass")
    wangwu = User.objects.get(username="wangwu")
    assert wangwu.role == Role.DEPT_HEAD  # in both groups: kjj-heads has priority 10
    # The security administrator moves the heads group to another department of the city.
    group_mapping_save(
        actor=world.users["security"],
        mapping=mappings["heads"],
        source="any",
        group=mappings["heads"].group,
        role=Role.DEPT_HEAD,
        region=world.city,
        department=world.other_dept,
        priority=10,
    )
    wangwu.refresh_from_db()
    assert wangwu.department == world.lead_dept  # nothing changes before the next login
    login(Client(), "wangwu", "wangwu-pass")
    wangwu.refresh_from_db()
    assert (wangwu.role, wangwu.department) == (Role.DEPT_HEAD, world.other_dept)
    change = SecurityEvent.objects.filter(action=EventAction.ROLE_CHANGE, object_id=str(wangwu.pk)).get()
    assert change.detail["old"]["department"] == world.lead_dept.pk
    assert change.detail["new"]["department"] == world.other_dept.pk


def test_groups_that_map_to_nothing_are_refused_and_create_nobody(
    world: World, mappings: dict[str, DirectoryGroupMapping]
) -> None:
    client = Client()
    response = login(client, "lisi", "lisi-pass")
    assert "_auth_user_id" not in client.session
    assert "未映射到本系统的角色" in response.content.decode()
    assert not User.objects.filter(username="lisi").exists()
    refusal = SecurityEvent.objects.get(
        action=EventAction.LOGIN_FAILED, result=EventResult.REFUSED, actor_name="lisi"
    )
    assert refusal.detail["reason"] == "no_mapping"
    assert refusal.detail["groups"] == [f"cn=canteen,ou=groups,{SUFFIX}"]


def test_wrong_directory_password_signs_nobody_in(
    world: World, mappings: dict[str, DirectoryGroupMapping]
) -> None:
    client = Client()
    login(client, "zhangsan", "not-the-password")
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username="zhangsan").exists()


def test_local_accounts_keep_working_and_a_same_named_directory_entry_takes_nothing_over(
    world: World, mappings: dict[str, DirectoryGroupMapping]
) -> None:
    client = Client()
    login(client, "staff", PASSWORD)  # the local password of the local account
    assert int(client.session["_auth_user_id"]) == world.users["staff"].pk
    other = Client()
    response = login(other, "staff", "staff-directory-pass")  # the directory's "staff" entry
    assert "_auth_user_id" not in other.session
    assert "同名的本地账号" in response.content.decode()
    assert not DirectoryAccount.objects.exists()


def test_a_directory_user_has_no_local_password_to_fall_back_on(
    world: World, mappings: dict[str, DirectoryGroupMapping], settings: Any
) -> None:
    login(Client(), "zhangsan", "zhangsan-pass")
    settings.AUTH_LDAP_SERVER_URI = ""  # directory switched off: the local form cannot sign them in
    client = Client()
    response = login(client, "zhangsan", "zhangsan-pass")
    assert "_auth_user_id" not in client.session
    assert "目录服务未配置" in response.content.decode()


def test_second_factor_still_applies_to_directory_users(
    world: World, mappings: dict[str, DirectoryGroupMapping]
) -> None:
    login(Client(), "zhangsan", "zhangsan-pass")
    user = User.objects.get(username="zhangsan")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    response = client.post(reverse("login"), {"username": "zhangsan", "password": "zhangsan-pass"})
    assert response.status_code == 302 and response["Location"] == reverse("login_verify")
    assert "_auth_user_id" not in client.session


def test_benchmark_ldap_login(world: World, mappings: dict[str, DirectoryGroupMapping]) -> None:
    """Prints how long a directory login through the form takes (bind, group search, mapping)."""
    import statistics
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(Client(), "zhangsan", "zhangsan-pass")  # the first login creates the account
    times, queries = [], []
    for _ in range(20):
        client = Client()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.post(reverse("login"), {"username": "zhangsan", "password": "zhangsan-pass"})
            times.append((time.perf_counter() - started) * 1000)
        assert "_auth_user_id" in client.session
        queries.append(len(captured))
    times.sort()
    print(
        f"\nLDAP login through the form, 20 runs: median {statistics.median(times):.1f} ms, "
        f"max {times[-1]:.1f} ms, {max(queries)} SQL queries"
    )
