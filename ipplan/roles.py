"""The roles the permission policy knows. The kernel defines them because the policy's matrix is
keyed by them; ``departments`` gives them to its users (``User.role``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a user may do; the permission policy (ipplan/permissions.py) maps roles to actions."""

    ADMIN = "admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")
    BUREAU = "bureau", _("知识产权局督办人员")
    LEADER = "leader", _("领导")
    DEPT_HEAD = "dept_head", _("单位负责人")
    DEPT_STAFF = "dept_staff", _("单位联络员")


#: Roles that act for one department and therefore must belong to one.
DEPARTMENT_ROLES = (Role.DEPT_HEAD, Role.DEPT_STAFF)
#: Roles whose scope is a region (and the regions under it).
REGION_ROLES = (Role.BUREAU, Role.LEADER)
#: 三员分立 (等保 2.0 level 3): the system, security and audit administrators. One account holds
#: one role, so no account is two of them; the superuser flag belongs to the system administrator.
ADMINISTRATOR_ROLES = (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
