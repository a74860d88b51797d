"""Field encryption for personal data (商用密码): SM4-GCM through OpenSSL, with key rotation.

A stored value is ``sm4gcm:<key id>:<base64(nonce | ciphertext | tag)>``. The key ring comes from
``IPPLAN_FIELD_KEYS`` (``id:base64-key`` pairs, comma separated, the first one encrypts, every one
decrypts), so a new key is put in front, the ``reencrypt_fields`` command rewrites every value under
it, and the old key can then leave the ring. The field's name is bound in as associated data, so a
ciphertext copied into another column does not decrypt.

Encrypted columns cannot be searched; where a lookup is needed (a user's e-mail address for the
password reset) a blind index sits beside the value: an HMAC-SM3 of the normalised value under
``IPPLAN_FIELD_INDEX_KEY``, a key of its own so that rotating the encryption keys leaves lookups
working.

Everything runs in OpenSSL through ``cryptography`` (SM4-GCM) and ``ipplan/sm3.py`` (SM3):
nothing cryptographic is written here.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import validate_email
from django.db import models

from .sm3 import hmac_sm3

PREFIX = "sm4gcm"
NONCE_BYTES = 12
TAG_BYTES = 16


class FieldDecryptionError(ValueError):
    """A stored value that no key of the ring opens (unknown key id, or tampered with)."""


@dataclass(frozen=True)
class KeyRing:
    """The encryption keys, newest first, and the blind-index key."""

    keys: tuple[tuple[str, bytes], ...]
    index_key: bytes

    @property
    def current(self) -> tuple[str, bytes]:
        return self.keys[0]

    def key(self, key_id: str) -> bytes:
        for kid, key in self.keys:
            if kid == key_id:
                return key
        raise FieldDecryptionError(f"no field key with id {key_id!r} in IPPLAN_FIELD_KEYS")


def parse_keys(spec: str) -> tuple[tuple[str, bytes], ...]:
    """``"k2:BASE64,k1:BASE64"`` -> ((k2, key), (k1, key)); each key is 16 bytes (SM4-128)."""
    keys: list[tuple[str, bytes]] = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, encoded = item.partition(":")
        if not sep or not kid or ":" in kid:
            raise ImproperlyConfigured("IPPLAN_FIELD_KEYS: each key is written id:base64")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"IPPLAN_FIELD_KEYS: key {kid!r} is not base64") from exc
        if len(key) != 16:
            raise ImproperlyConfigured(f"IPPLAN_FIELD_KEYS: key {kid!r} must be 16 bytes (SM4)")
        if any(kid == known for known, _ in keys):
            raise ImproperlyConfigured(f"IPPLAN_FIELD_KEYS: key id {kid!r} appears twice")
        keys.append((kid, key))
    if not keys:
        raise ImproperlyConfigured("IPPLAN_FIELD_KEYS holds no key")
    return tuple(keys)


def new_key_spec(key_id: str) -> str:
    """A fresh ``id:base64`` entry for IPPLAN_FIELD_KEYS."""
    return f"{key_id}:{base64.b64encode(os.urandom(16)).decode()}"


@cache
def _ring(keys_spec: str, index_key_spec: str) -> KeyRing:
    index_key = base64.b64decode(index_key_spec) if index_key_spec else b""
    if len(index_key) < 16:
        raise ImproperlyConfigured("IPPLAN_FIELD_INDEX_KEY must be at least 16 bytes, base64")
    return KeyRing(parse_keys(keys_spec), index_key)


def ring() -> KeyRing:
    """The key ring of the current settings (parsed once per distinct setting)."""
    return _ring(settings.IPPLAN_FIELD_KEYS, settings.IPPLAN_FIELD_INDEX_KEY)


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX + ":")


def key_id_of(value: str) -> str | None:
    """The id of the key that encrypted ``value`` (None for a value stored in clear)."""
    if not is_encrypted(value):
        return None
    return value.split(":", 2)[1]


def encrypt(plaintext: str, *, context: str) -> str:
    """``plaintext`` under the newest key; ``context`` (the field) is authenticated with it."""
    kid, key = ring().current
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(context.encode())
    body = encryptor.update(plaintext.encode()) + encryptor.finalize()
    blob = base64.b64encode(nonce + body + encryptor.tag).decode()
    return f"{PREFIX}:{kid}:{blob}"


def decrypt(value: str, *, context: str) -> str:
    """The plaintext of a stored value; a value stored in clear (before encryption) as it is."""
    if not is_encrypted(value):
        return value
    try:
        _, kid, blob = value.split(":", 2)
        raw = base64.b64decode(blob, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise FieldDecryptionError("malformed encrypted value") from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise FieldDecryptionError("malformed encrypted value")
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(ring().key(kid)), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(context.encode())
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode()
    except InvalidTag as exc:
        raise FieldDecryptionError(f"encrypted value does not authenticate under key {kid!r}") from exc


def blind_index(value: str) -> str:
    """HMAC-SM3 of the normalised value (hex); '' for ''."""
    normalised = value.strip().lower()
    if not normalised:
        return ""
    return hmac_sm3(ring().index_key, normalised.encode()).hex()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column stored SM4-GCM encrypted; Python code sees the plaintext.

    Only equality with '' can be queried (an empty value is stored empty, so ``blank`` works);
    search through a ``BlindIndexField`` instead.
    """

    def _context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value, context=self._context())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "" or is_encrypted(value):
            return value
        return encrypt(value, context=self._context())


class EncryptedEmailField(EncryptedTextField):
    """An encrypted e-mail address, validated and edited as one."""

    default_validators = [validate_email]

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().formfield(
            **{"form_class": forms.EmailField, "max_length": 254, "widget": None, **kwargs}
        )


class EncryptedCharField(EncryptedTextField):
    """A short encrypted text (a phone number), edited in a one-line input."""

    def __init__(self, *args: Any, form_max_length: int = 60, **kwargs: Any) -> None:
        self.form_max_length = form_max_length
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["form_max_length"] = self.form_max_length
        return name, path, args, kwargs

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().formfield(
            **{"form_class": forms.CharField, "max_length": self.form_max_length, "widget": None, **kwargs}
        )


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """The blind index of another field of the same row, kept in step when the row is saved.

    Computing it in ``pre_save`` (as ``auto_now`` does) means no write path can store a value
    without its index; it is derived data, not business logic.
    """

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = blind_index(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted columns, and those columns' names."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def reencrypt_all(*, batch: int = 500) -> dict[str, int]:
    """Rewrite every encrypted value not under the newest key (or still in clear) with it.

    Returns the number of rows rewritten per model. Each row is one small UPDATE, so the
    command can run while the site is up and be run again after an interruption.
    """
    from django.db import transaction
    from django.db.models import F
    from django.db.models.functions import Cast

    current = ring().current[0]
    done: dict[str, int] = {}
    for model, names in encrypted_fields():
        raw = {f"raw_{name}": Cast(F(name), output_field=models.TextField()) for name in names}
        rows = model._default_manager.annotate(**raw).values_list("pk", *raw.keys())
        count = 0
        for pk, *values in rows.iterator(chunk_size=batch):
            if all(not value or key_id_of(value) == current for value in values):
                continue
            instance = model._default_manager.get(pk=pk)
            with transaction.atomic():
                # update() sends each value through get_prep_value: encrypted under the newest key.
                model._default_manager.filter(pk=pk).update(
                    **{name: getattr(instance, name) for name in names}
                )
            count += 1
        done[model._meta.label] = count
    return done
