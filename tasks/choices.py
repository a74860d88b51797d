"""Choices of the work-plan domain."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("实施中")
    COMPLETED = "completed", _("已完成")
    ARCHIVED = "archived", _("已归档")


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    IN_PROGRESS = "in_progress", _("进行中")
    COMPLETION_REQUESTED = "completion_requested", _("申请办结")
    COMPLETED = "completed", _("已办结")
    BLOCKED = "blocked", _("受阻")
    CANCELLED = "cancelled", _("已取消")


#: Statuses in which a task no longer counts as open work.
CLOSED_STATUSES = (TaskStatus.COMPLETED, TaskStatus.CANCELLED)


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("牵头单位")
    RESPONSIBLE = "responsible", _("责任单位")
    COOPERATING = "cooperating", _("配合单位")


class Comparator(models.TextChoices):
    AT_LEAST = ">=", _("不低于")
    AT_MOST = "<=", _("不高于")
    ABOUT = "~", _("左右")
    EQUAL = "=", _("等于")
    ABOVE = ">", _("高于")
    BELOW = "<", _("低于")


class IndicatorBasis(models.TextChoices):
    """How an indicator's target value relates to where the plan starts."""

    LEVEL = "level", _("达到")  # the level to reach (达到/提高到/下降到/控制在)
    INCREMENT = "increment", _("新增")  # from zero: readings are what was added
    CUMULATIVE = "cumulative", _("累计")  # a running total, from the baseline
    RISE = "rise", _("提高")  # 提高5个百分点 / 提高20%: above the baseline by it
    FALL = "fall", _("降低")  # 降低10% / 下降2个百分点: below the baseline by it


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("已审核")
    RETURNED = "returned", _("已退回")


class RequestKind(models.TextChoices):
    COMPLETION = "completion", _("办结申请")
    EXTENSION = "extension", _("延期申请")


class RequestState(models.TextChoices):
    AWAITING_SIGNOFF = "awaiting_signoff", _("待单位负责人签批")
    AWAITING_REVIEW = "awaiting_review", _("待知识产权局审核")
    APPROVED = "approved", _("已批准")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


#: Request states in which nobody needs to act any more.
DECIDED_REQUEST_STATES = (RequestState.APPROVED, RequestState.RETURNED, RequestState.WITHDRAWN)


class Light(models.TextChoices):
    """The traffic light: derived from due date, progress and reporting, never stored."""

    RED = "red", _("红灯")
    YELLOW = "yellow", _("黄灯")
    GREEN = "green", _("绿灯")
    DONE = "done", _("已办结")


class ReportCadence(models.TextChoices):
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    NONE = "none", _("不定期")


class ImportState(models.TextChoices):
    PARSING = "parsing", _("读取中")
    PREVIEWED = "previewed", _("待确认")
    COMMITTING = "committing", _("导入中")
    FAILED = "failed", _("读取失败")
    COMMITTED = "committed", _("已导入")
    DISCARDED = "discarded", _("已放弃")
