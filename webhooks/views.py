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


class SubscriptionSave(ServiceActionView):
    """GET: a subscription's form. POST: save it. Refused input shows the form again with the
    errors (400), a stale one with the conflict (409); success shows the subscription."""

    request: AuthenticatedRequest
    http_method_names = ["get", "head", "post"]
    required = Action.MANAGE_WEBHOOKS
    form_class = SubscriptionForm

    def get_form_kwargs(self, obj: Subscription | None) -> dict[str, Any]:
        return {"regions": regions_for(self.request.user)}

    def initial(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: AuthenticatedRequest, **kwargs: Any) -> HttpResponse:
        require(request.user, Action.MANAGE_WEBHOOKS)
        obj = self.get_object()
        return self.form_page(SubscriptionForm(initial=self.initial(obj), **self.get_form_kwargs(obj)), obj)

    def form_page(self, form: forms.BaseForm, obj: Subscription | None, status: int = 200) -> HttpResponse:
        context = {"form": form, "subscription": obj}
        return render(self.request, "webhooks/subscription_form.html", context, status=status)

    def form_invalid(self, form: forms.BaseForm, obj: Subscription | None) -> HttpResponse:
        return self.form_page(form, obj, status=400)

    def conflict(self, error: ConflictError, form: forms.BaseForm, obj: Subscription | None) -> HttpResponse:
        form.add_error(None, error.message)
        return self.form_page(form, obj, status=409)

    def success_url(self, obj: Subscription | None, result: Subscription) -> str:
        return reverse("webhooks:detail", args=[result.pk])


class SubscriptionCreate(SubscriptionSave):
    success_message = gettext_lazy("已创建订阅。请将签名密钥提供给接收方,用于验证推送签名。")

    def get_object(self) -> None:
        return None

    def initial(self, obj: None) -> dict[str, Any]:
        return {"region": self.request.user.region, "is_active": True}

    def service_kwargs(self, form: forms.BaseForm, obj: None) -> dict[str, Any]:
        data = super().service_kwargs(form, obj)
        del data["version"]  # a new subscription has none yet
        return data


class SubscriptionEdit(SubscriptionSave):
    model = Subscription
    lookup_action = Action.MANAGE_WEBHOOKS
    object_name = "subscription"
    service_names = {"version": "expected_version"}
    success_message = gettext_lazy("已保存订阅。")

    def lookup_queryset(self) -> QuerySet[Subscription]:
        return Subscription.objects.select_related("region", "created_by")

    def initial(self, obj: Subscription) -> dict[str, Any]:
        fields = ("url", "description", "events", "region", "is_active", "version")
        return {name: getattr(obj, name) for name in fields}


subscription_create = SubscriptionCreate.as_view(service=services.subscription_create)
subscription_edit = SubscriptionEdit.as_view(service=services.subscription_update)


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
    object_name = "subscription"
    service_names = {"version": "expected_version"}

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

    def get_success_message(self, obj: Subscription, result: Any) -> str:
        return _("已删除订阅 %(url)s。") % {"url": obj.url}

    def success_url(self, obj: Subscription, result: Any) -> str:
        return reverse("webhooks:list")


class SubscriptionTest(SubscriptionAction):
    form_class = NoInputForm

    def get_success_message(self, obj: Subscription, result: Delivery) -> str:
        return _("测试消息 %(id)s 已排队发送,结果见下方推送记录。") % {"id": result.event_id}

    def success_url(self, obj: Subscription, result: Delivery) -> str:
        return reverse("webhooks:deliveries", args=[obj.pk])


subscription_delete = SubscriptionDelete.as_view(service=services.subscription_delete)
subscription_rotate = SubscriptionAction.as_view(
    service=services.subscription_rotate_secret,
    success_message=gettext_lazy("已更换签名密钥。请将新密钥提供给接收方;过渡期内推送同时附带旧密钥的签名。"),
)
subscription_enable = SubscriptionAction.as_view(
    service=services.subscription_enable, success_message=gettext_lazy("已重新启用订阅,失败计数已清零。")
)
subscription_test = SubscriptionTest.as_view(service=services.subscription_test_send)


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
    object_name = "delivery"
    success_message = gettext_lazy("已重新排队发送。")

    def lookup_queryset(self) -> QuerySet[Any]:
        return Delivery.objects.all()

    def page(self, obj: Delivery) -> str:
        return reverse("webhooks:deliveries", args=[obj.subscription_id])


delivery_retry = DeliveryRetry.as_view(service=services.delivery_retry)
