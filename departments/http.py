"""Requests whose user is known to be signed in, typed as such.

A view behind ``login_required`` (or a DRF view behind ``IsAuthenticated``) annotates its request
with these, so ``request.user`` is a ``User`` for the type checker instead of "a user or an
anonymous one", and the services' ``actor: User`` needs no cast."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from .models import User


class AuthedHttpRequest(HttpRequest):
    user: User


class AuthedRequest(Request):
    user: User
