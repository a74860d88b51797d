"""Serializers of the department registry: the references other apps' serializers embed (region,
department, user) and the department resource itself."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ipplan.api.etag import version_of

from ..models import Department, Region


class RegionRefSerializer(serializers.ModelSerializer[Region]):
    class Meta:
        model = Region
        fields = ["id", "code", "name"]


class DepartmentRefSerializer(serializers.ModelSerializer[Department]):
    class Meta:
        model = Department
        fields = ["id", "name"]


class UserRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return str(user.get_full_name() or user.username)


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    region = RegionRefSerializer()
    version = serializers.SerializerMethodField()

    class Meta:
        model = Department
        fields = ["id", "name", "short_name", "kind", "region", "parent", "active", "version", "updated_at"]

    def get_version(self, obj: Department) -> int:
        return version_of(obj)
