"""商用密码 readiness: the PBKDF2-HMAC-SM3 hasher and SM4-GCM field encryption with rotation."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from departments.models import User
from departments.services import user_update
from ipplan import fieldcrypto
from ipplan.hashers import PBKDF2SM3PasswordHasher
from tests.conftest import PASSWORD, World

SM3_FIRST = ["ipplan.hashers.PBKDF2SM3PasswordHasher", "django.contrib.auth.hashers.MD5PasswordHasher"]
KEY_1 = "k1:" + base64.b64encode(b"1" * 16).decode()
KEY_2 = "k2:" + base64.b64encode(b"2" * 16).decode()
INDEX_KEY = base64.b64encode(b"i" * 32).decode()


def test_sm3_hasher_matches_an_independent_pbkdf2_sm3() -> None:
    hasher = PBKDF2SM3PasswordHasher()
    encoded = hasher.encode("Some-password-1", "fixedsalt", iterations=1000)
    algorithm, iterations, salt, digest = encoded.split("$")
    assert (algorithm, iterations, salt) == ("pbkdf2_sm3", "1000", "fixedsalt")
    # the same derivation through cryptography's own PBKDF2 with SM3 (both run in OpenSSL)
    kdf = PBKDF2HMAC(algorithm=hashes.SM3(), length=32, salt=b"fixedsalt", iterations=1000)
    assert base64.b64decode(digest) == kdf.derive(b"Some-password-1")
    assert hasher.verify("Some-password-1", encoded) and not hasher.verify("Some-password-2", encoded)


def test_sm3_through_hashlib_and_through_cryptography_agree() -> None:
    from ipplan import sm3

    # the GB/T 32905 example, SM3("abc"), through cryptography's OpenSSL
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"abc")
    assert digest.finalize().hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    # this machine's Python OpenSSL has SM3 (Debian's does), and both paths give the same bytes,
    # so a hash or index made on a machine without it verifies here and the other way round
    assert sm3.hashlib_has_sm3()
    for key, data in ((b"k" * 32, b"someone@example.cn"), (b"", b""), (b"x" * 100, "张三".encode())):
        assert sm3.hmac_sm3(key, data, use_hashlib=True) == sm3.hmac_sm3(key, data, use_hashlib=False)
    assert sm3.pbkdf2_sm3(b"pw", b"salt", 50, use_hashlib=True) == sm3.pbkdf2_sm3(
        b"pw", b"salt", 50, use_hashlib=False
    )


def test_rounds_default_to_djangos_and_are_a_setting() -> None:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    assert PBKDF2SM3PasswordHasher().iterations == PBKDF2PasswordHasher.iterations
    with override_settings(IPPLAN_PASSWORD_SM3_ITERATIONS=1200):
        hasher = PBKDF2SM3PasswordHasher()
        encoded = hasher.encode("Some-password-1", hasher.salt())
        assert encoded.split("$")[1] == "1200" and not hasher.must_update(encoded)
        assert hasher.must_update(hasher.encode("Some-password-1", hasher.salt(), iterations=1000))


def test_existing_hashes_upgrade_to_sm3_at_next_sign_in(world: World) -> None:
    from django.contrib.auth.hashers import MD5PasswordHasher

    staff = world.users["staff"]
    legacy = MD5PasswordHasher().encode(PASSWORD, "legacysalt")  # a hash made before the switch
    User.objects.filter(pk=staff.pk).update(password=legacy)
    with override_settings(PASSWORD_HASHERS=SM3_FIRST):
        client = Client()
        response = client.post(reverse("login"), {"username": "staff", "password": PASSWORD})
        assert response.status_code == 302
        staff.refresh_from_db()
        assert staff.password.startswith("pbkdf2_sm3$")
        assert staff.check_password(PASSWORD)
        # and new passwords are SM3 from the start
        assert make_password("Another-pass-1").startswith("pbkdf2_sm3$")


def test_settings_select_the_hasher() -> None:
    import os
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup();"
            "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])",
        ],
        env={**os.environ, "IPPLAN_PASSWORD_HASHER": "sm3"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "ipplan.hashers.PBKDF2SM3PasswordHasher"


def raw(user: User, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM departments_user WHERE id = %s", [user.pk])
        value: str = cursor.fetchone()[0]
    return value


@override_settings(IPPLAN_FIELD_KEYS=KEY_1, IPPLAN_FIELD_INDEX_KEY=INDEX_KEY)
def test_email_and_phone_are_stored_sm4_gcm_encrypted(world: World) -> None:
    staff = user_update(
        actor=world.users["security"],
        user=world.users["staff"],
        email="Li.Si@example.cn",
        phone="13800138000",
    )
    stored_email, stored_phone = raw(staff, "email"), raw(staff, "phone")
    assert stored_email.startswith("sm4gcm:k1:") and "example" not in stored_email
    assert stored_phone.startswith("sm4gcm:k1:") and "138" not in stored_phone
    assert fieldcrypto.key_id_of(stored_email) == "k1"
    fresh = User.objects.get(pk=staff.pk)
    assert (fresh.email, fresh.phone) == ("Li.Si@example.cn", "13800138000")
    # the same value encrypts differently each time (random nonce) ...
    assert fieldcrypto.encrypt("x", context="c") != fieldcrypto.encrypt("x", context="c")
    # ... and is bound to its column: moved into another column it does not open
    with pytest.raises(fieldcrypto.FieldDecryptionError):
        fieldcrypto.decrypt(stored_email, context="departments.user.phone")
    # the blind index is an HMAC of the normalised address, not the address
    assert raw(staff, "email_index") == fieldcrypto.blind_index("li.si@example.cn")
    assert "example" not in raw(staff, "email_index")


@override_settings(IPPLAN_FIELD_KEYS=KEY_1, IPPLAN_FIELD_INDEX_KEY=INDEX_KEY)
def test_a_tampered_value_is_refused(world: World) -> None:
    staff = user_update(actor=world.users["security"], user=world.users["staff"], email="a@example.cn")
    stored = raw(staff, "email")
    blob = bytearray(base64.b64decode(stored.split(":", 2)[2]))
    blob[14] ^= 1
    tampered = "sm4gcm:k1:" + base64.b64encode(bytes(blob)).decode()
    User.objects.filter(pk=staff.pk).update(email_index="x")  # any write, then the raw edit
    with connection.cursor() as cursor:
        cursor.execute("UPDATE departments_user SET email = %s WHERE id = %s", [tampered, staff.pk])
    with pytest.raises(fieldcrypto.FieldDecryptionError):
        User.objects.get(pk=staff.pk)


def test_key_rotation_with_the_reencrypt_command(world: World) -> None:
    with override_settings(IPPLAN_FIELD_KEYS=KEY_1, IPPLAN_FIELD_INDEX_KEY=INDEX_KEY):
        staff = user_update(actor=world.users["security"], user=world.users["staff"], email="rot@example.cn")
        assert fieldcrypto.key_id_of(raw(staff, "email")) == "k1"
    with override_settings(IPPLAN_FIELD_KEYS=f"{KEY_2},{KEY_1}", IPPLAN_FIELD_INDEX_KEY=INDEX_KEY):
        assert User.objects.get(pk=staff.pk).email == "rot@example.cn"  # old key still opens
        out = io.StringIO()
        call_command("reencrypt_fields", stdout=out)
        assert "departments.User: 1 rows re-encrypted under key k2" in out.getvalue()
        assert fieldcrypto.key_id_of(raw(staff, "email")) == "k2"
        again = io.StringIO()
        call_command("reencrypt_fields", stdout=again)
        assert "departments.User: 0 rows" in again.getvalue()
    with override_settings(IPPLAN_FIELD_KEYS=KEY_2, IPPLAN_FIELD_INDEX_KEY=INDEX_KEY):
        # the old key can leave the ring
        assert User.objects.get(pk=staff.pk).email == "rot@example.cn"
    with (
        override_settings(IPPLAN_FIELD_KEYS=KEY_1, IPPLAN_FIELD_INDEX_KEY=INDEX_KEY),
        pytest.raises(fieldcrypto.FieldDecryptionError),
    ):
        User.objects.get(pk=staff.pk)


def test_new_key_entry_is_printed() -> None:
    out = io.StringIO()
    call_command("reencrypt_fields", "--new-key", "k9", stdout=out)
    kid, key = fieldcrypto.parse_keys(out.getvalue().strip())[0]
    assert kid == "k9" and len(key) == 16


def test_bad_key_configuration_is_refused() -> None:
    from django.core.exceptions import ImproperlyConfigured

    for spec in ("", "k1", "k1:notbase64!", "k1:" + base64.b64encode(b"short").decode(), f"{KEY_1},{KEY_1}"):
        with pytest.raises(ImproperlyConfigured):
            fieldcrypto.parse_keys(spec)


@override_settings(IPPLAN_FIELD_KEYS=KEY_1, IPPLAN_FIELD_INDEX_KEY=INDEX_KEY)
def test_password_reset_finds_the_user_through_the_blind_index(world: World) -> None:
    user_update(actor=world.users["security"], user=world.users["staff"], email="Reset.Me@example.cn")
    client = Client()
    response = client.post(reverse("password_reset"), {"email": "reset.me@EXAMPLE.cn"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Reset.Me@example.cn"]
    client.post(reverse("password_reset"), {"email": "nobody@example.cn"})
    assert len(mail.outbox) == 1


@override_settings(IPPLAN_FIELD_KEYS=KEY_1, IPPLAN_FIELD_INDEX_KEY=INDEX_KEY)
def test_password_reset_link_sets_the_password_through_the_service(world: World) -> None:
    import re

    user_update(actor=world.users["security"], user=world.users["staff"], email="r2@example.cn")
    client = Client()
    client.post(reverse("password_reset"), {"email": "r2@example.cn"})
    link = re.search(r"http://\S+/accounts/reset/\S+/", mail.outbox[0].body)
    assert link is not None
    page = client.get(link.group(0).split("testserver", 1)[-1], follow=True)
    form_url = page.redirect_chain[-1][0]
    reused = client.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert reused.status_code == 200  # the history rule applies here too
    done = client.post(form_url, {"new_password1": "Reset-link-pass-3", "new_password2": "Reset-link-pass-3"})
    assert done.status_code == 302
    staff = User.objects.get(pk=world.users["staff"].pk)
    assert staff.check_password("Reset-link-pass-3") and staff.password_history.count() == 2
