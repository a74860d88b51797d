"""Choices of the security audit log."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventResult(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    REFUSED = "refused", _("拒绝")


class EventAction(models.TextChoices):
    """What happened. The codes are stable: a SIEM filters on them."""

    LOGIN = "auth.login", _("登录")
    LOGIN_FAILED = "auth.login_failed", _("登录失败")
    LOCKOUT = "auth.lockout", _("账号锁定")
    LOGOUT = "auth.logout", _("退出登录")
    PASSWORD_CHANGE = "auth.password_change", _("修改密码")
    TWO_FACTOR_CHANGE = "auth.2fa_change", _("变更双因素认证")
    SESSION_EXPIRED = "auth.session_expired", _("会话超时")
    USER_CREATE = "user.create", _("创建账号")
    USER_DEACTIVATE = "user.deactivate", _("停用账号")
    ROLE_CHANGE = "user.role_change", _("变更角色")
    ACCESS_REFUSED = "access.refused", _("越权访问被拒绝")
    TOKEN_CREATE = "token.create", _("创建 API 令牌")
    TOKEN_REVOKE = "token.revoke", _("吊销 API 令牌")
    TOKEN_USE = "token.use", _("使用 API 令牌")
    EXPORT = "data.export", _("导出数据")
    FILE_DOWNLOAD = "file.download", _("下载附件")
    ADMIN_ADD = "admin.add", _("后台新增")
    ADMIN_CHANGE = "admin.change", _("后台修改")
    ADMIN_DELETE = "admin.delete", _("后台删除")
    LOG_EXPORT = "audit.export", _("导出审计日志")
    LOG_PRUNED = "audit.pruned", _("清理过期审计日志")
    DIRECTORY_MAPPING = "directory.mapping", _("变更目录组映射")
