"""The bureau's webhook pages: subscriptions, their secret, the test button and the delivery log.

Every page needs MANAGE_WEBHOOKS (403 without it); a subscription outside the user's regions
answers 404 like a missing one. Each POST calls one service.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.http import AuthenticatedRequest
from departments.models import User
from ipplan.exceptions import ConflictError
from ipplan.generic import NoInputForm, RestrictedListView, ServiceActionView, form_messages
from ipplan.permissions import Action, get_for, require

from . import services
from .choices import DeliveryState
from .forms import SubscriptionForm, VersionForm
from .models import Delivery, Subscription
from .selectors import deliveries_for, regions_for, with_last_delivery

LOG_PAGE_SIZE = 30


def _actor(request: AuthenticatedRequest) -> User:
    require(request.user, Action.MANAGE_WEBHOOKS)
    return request.user


def _subscription(request: AuthenticatedRequest, pk: int) -> Subscription:
    return get_for(
        request.user,
        Action.MANAGE_WEBHOOKS,
        Subscription.objects.select_related("region", "created_by"),
        pk=pk,
    )


class SubscriptionList(RestrictedListView):
    """The subscriptions the user manages (403 without MANAGE_WEBHOOKS)."""

    model = Subscription
    action = Action.MANAGE_WEBHOOKS
    template_name = "webhooks/subscription_list.html"
    context_object_name = "subscriptions"

    def narrow(self, queryset: QuerySet[Subscription]) -> QuerySet[Subscription]:
        return with_last_delivery(queryset)


subscription_list = SubscriptionList.as_view()


def _form_page(
    request: AuthenticatedRequest,
    form: SubscriptionForm,
    subscription: Subscription | None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "webhooks/subscription_form.html",
        {"form": form, "subscription": subscription},
        status=status,
    )


def _save(
    request: AuthenticatedRequest, form: SubscriptionForm, subscription: Subscription | None
) -> HttpResponse:
    actor = _actor(request)
    if not form.is_valid():
        return _form_page(request, form, subscription, status=400)
    data: dict[str, Any] = form.cleaned_data
    try:
        if subscription is None:
            saved = services.subscription_create(
                actor=actor,
                url=data["url"],
                events=data["events"],
                region=data["region"],
                description=data["description"],
                is_active=data["is_active"],
            )
            messages.success(request, _("已创建订阅。请将签名密钥提供给接收方,用于验证推送签名。"))
        else:
            saved = services.subscription_update(
                actor=actor,
                subscription=subscription,
                expected_version=data.get("version"),
                url=data["url"],
                events=data["events"],
                region=data["region"],
                description=data["description"],
                is_active=data["is_active"],
            )
            messages.success(request, _("已保存订阅。"))
    except ConflictError as conflict:
        form.add_error(None, conflict.message)
        return _form_page(request, form, subscription, status=409)
    except ValidationError as error:
        if hasattr(error, "error_dict") and set(error.error_dict) <= set(form.fields):
            form.add_error(None, error)
        else:
            form.add_error(None, error.messages)
        return _form_page(request, form, subscription, status=400)
    return redirect("webhooks:detail", saved.pk)


@login_required
def subscription_create(request: AuthenticatedRequest) -> HttpResponse:
    actor = _actor(request)
    regions = regions_for(actor)
    if request.method == "POST":
        return _save(request, SubscriptionForm(request.POST, regions=regions), None)
    form = SubscriptionForm(regions=regions, initial={"region": actor.region, "is_active": True})
    return _form_page(request, form, None)


@login_required
def subscription_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    subscription = _subscription(request, pk)
    regions = regions_for(actor)
    if request.method == "POST":
        return _save(request, SubscriptionForm(request.POST, regions=regions), subscription)
    form = SubscriptionForm(
        regions=regions,
        initial={
            "url": subscription.url,
            "description": subscription.description,
            "events": subscription.events,
            "region": subscription.region,
            "is_active": subscription.is_active,
            "version": subscription.version,
        },
    )
    return _form_page(request, form, subscription)


@login_required
def subscription_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _actor(request)
    subscription = _subscription(request, pk)
    recent = deliveries_for(request.user, subscription)[:5]
    return render(
        request,
        "webhooks/subscription_detail.html",
        {
            "subscription": subscription,
            "recent": recent,
            "now": timezone.now(),
            "rotation_hours": settings.IPPLAN_WEBHOOK_ROTATION_HOURS,
        },
    )


class SubscriptionAction(ServiceActionView):
    """A button of a subscription's page: MANAGE_WEBHOOKS (403), the subscription in the user's
    regions (404), one service; a stale version is said on the subscription's page."""

    request: AuthenticatedRequest
    model: ClassVar[type[models.Model]] = Subscription
    lookup_action = Action.MANAGE_WEBHOOKS
    required = Action.MANAGE_WEBHOOKS
    form_class: ClassVar[type[forms.BaseForm]] = VersionForm

    def lookup_queryset(self) -> QuerySet[Any]:
        return Subscription.objects.select_related("region", "created_by")

    def page(self, obj: Any) -> str:
        """Where a refusal is said: the subscription's page."""
        return reverse("webhooks:detail", args=[obj.pk])

    def conflict(self, error: ConflictError, form: forms.BaseForm, obj: Any) -> HttpResponse:
        messages.error(self.request, error.message)
        return redirect(self.page(obj))

    def form_invalid(self, form: forms.BaseForm, obj: Any) -> HttpResponse:
        for message in form_messages(form):
            messages.error(self.request, message)
        return redirect(self.page(obj))

    def success_url(self, obj: Any, result: Any) -> str:
        return self.page(obj)


class SubscriptionDelete(SubscriptionAction):
    """GET asks to confirm; POST deletes."""

    http_method_names = ["get", "post"]

    def get(self, request: AuthenticatedRequest, pk: int) -> HttpResponse:
        _actor(request)
        subscription = _subscription(request, pk)
        return render(request, "webhooks/subscription_confirm_delete.html", {"subscription": subscription})

    def perform(self, form: forms.BaseForm, obj: Subscription) -> Any:
        services.subscription_delete(
            actor=self.request.user, subscription=obj, expected_version=form.cleaned_data["version"]
        )

    def get_success_message(self, obj: Subscription, result: Any) -> str:
        return _("已删除订阅 %(url)s。") % {"url": obj.url}

    def success_url(self, obj: Subscription, result: Any) -> str:
        return reverse("webhooks:list")


class SubscriptionRotate(SubscriptionAction):
    success_message = gettext_lazy(
        "已更换签名密钥。请将新密钥提供给接收方;过渡期内推送同时附带旧密钥的签名。"
    )

    def perform(self, form: forms.BaseForm, obj: Subscription) -> Any:
        return services.subscription_rotate_secret(
            actor=self.request.user, subscription=obj, expected_version=form.cleaned_data["version"]
        )


class SubscriptionEnable(SubscriptionAction):
    success_message = gettext_lazy("已重新启用订阅,失败计数已清零。")

    def perform(self, form: forms.BaseForm, obj: Subscription) -> Any:
        return services.subscription_enable(
            actor=self.request.user, subscription=obj, expected_version=form.cleaned_data["version"]
        )


class SubscriptionTest(SubscriptionAction):
    form_class = NoInputForm

    def perform(self, form: forms.BaseForm, obj: Subscription) -> Delivery:
        return services.subscription_test_send(actor=self.request.user, subscription=obj)

    def get_success_message(self, obj: Subscription, result: Delivery) -> str:
        return _("测试消息 %(id)s 已排队发送,结果见下方推送记录。") % {"id": result.event_id}

    def success_url(self, obj: Subscription, result: Delivery) -> str:
        return reverse("webhooks:deliveries", args=[obj.pk])


subscription_delete = SubscriptionDelete.as_view()
subscription_rotate = SubscriptionRotate.as_view()
subscription_enable = SubscriptionEnable.as_view()
subscription_test = SubscriptionTest.as_view()


class DeliveryLog(RestrictedListView):
    """A subscription's delivery log, newest first; htmx polls its rows while some are waiting."""

    request: AuthenticatedRequest
    model = Delivery
    action = Action.MANAGE_WEBHOOKS
    paginate_by = LOG_PAGE_SIZE

    def narrow(self, queryset: QuerySet[Delivery]) -> QuerySet[Delivery]:
        self.subscription = _subscription(self.request, self.kwargs["pk"])
        return (
            queryset.filter(subscription=self.subscription)
            .select_related("event")
            .order_by("-created_at", "-pk")
        )

    def get_template_names(self) -> list[str]:
        if self.request.headers.get("HX-Request"):
            return ["webhooks/_delivery_rows.html"]
        return ["webhooks/delivery_log.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        waiting = any(d.state in (DeliveryState.PENDING, DeliveryState.SENDING) for d in context["page"])
        return {**context, "subscription": self.subscription, "waiting": waiting}


delivery_log = DeliveryLog.as_view()


class DeliveryRetry(SubscriptionAction):
    """Queue a delivery again; back to its subscription's log."""

    model = Delivery
    form_class = NoInputForm
    success_message = gettext_lazy("已重新排队发送。")

    def lookup_queryset(self) -> QuerySet[Any]:
        return Delivery.objects.all()

    def perform(self, form: forms.BaseForm, obj: Delivery) -> Any:
        return services.delivery_retry(actor=self.request.user, delivery=obj)

    def page(self, obj: Delivery) -> str:
        return reverse("webhooks:deliveries", args=[obj.subscription_id])


delivery_retry = DeliveryRetry.as_view()
