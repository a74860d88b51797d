"""Choices of the departments app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("地市级")
    COUNTY = "county", _("区县级")


class DepartmentKind(models.TextChoices):
    GOVERNMENT = "government", _("政府部门")
    PARTY = "party", _("党委部门")
    JUDICIAL = "judicial", _("司法机关")
    VERTICAL = "vertical", _("垂直管理机构")
    ZONE = "zone", _("园区管委会")
    DISTRICT = "district", _("区县镇街")
    GROUP = "group", _("单位群组")
    ORGANISATION = "organisation", _("社会组织与企业")
    OTHER = "other", _("其他")
