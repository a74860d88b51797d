"""URLs of the department registry pages."""

from django.urls import path

from . import views

app_name = "departments"

urlpatterns = [
    path("", views.department_list, name="list"),
    path("<int:pk>/", views.department_detail, name="detail"),
    path("<int:pk>/rename/", views.department_rename_view, name="rename"),
    path("<int:pk>/merge/", views.department_merge_view, name="merge"),
    path("<int:pk>/retire/", views.department_retire_view, name="retire"),
    path("<int:pk>/kind/", views.department_kind_view, name="kind"),
]
