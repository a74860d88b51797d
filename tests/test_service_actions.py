"""Every HTML action is a form driven by ``ipplan.generic.ServiceActionView`` (issue 16, "What to
build" 4): no view outside the allow-list below reads ``request.POST`` by hand. The form reads the
input, the base view calls the service; a new action that parses the POST itself fails here."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "ipplan", "departments", "notifications", "tasks", "webhooks", "directory")

#: Where reading ``request.POST`` stays, and why (``path:function``).
ALLOWED = {
    # the machinery itself
    "ipplan/generic.py:ServiceActionView.get_form": "the base view hands the POST to the form",
    "ipplan/generic.py:ServiceActionView.post": "the base view follows a posted `next` into this site",
    "ipplan/middleware.py:RequestBodyLimitMiddleware._parse_form": "parses the body early to bound "
    "its size; reads no field",
    # Django's own flows, wrapped
    "departments/admin.py:UserAdmin.user_change_password": "a Django admin view (the admin's form flow)",
    "departments/accounts/account.py:set_language": "wraps Django's set_language, which reads the POST "
    "itself; the view only mirrors the language it chose onto the user",
    # sign-in and secrets: their answers are not a redirect after one service call
    "departments/accounts/signin.py:login_verify": "sign-in step two: the visitor is not signed in yet "
    "(ServiceActionView needs a signed-in user); the code is checked against the session's pending "
    "sign-in, with a count of attempts",
    "departments/accounts/signin.py:two_factor": "one page for enrolment and renewal: a success answers "
    "with the recovery codes shown once (a page, never a redirect)",
    "departments/accounts/tokens.py:token_list": "the created token's secret is shown once in the POST's "
    "own answer (no redirect, not cached)",
    # a page more than an action: the preview
    "tasks/views/imports.py:import_preview_view": "the preview page and its commit in one: a posted "
    "region is stored with the import (one service call) and the preview read again for it before "
    "the form exists, whose choices come from that preview; the commit then is a second service "
    "call, and a refusal answers with the whole preview page",
}


def _reads_post(node: ast.AST) -> bool:
    """``request.POST`` or ``self.request.POST``."""
    if not (isinstance(node, ast.Attribute) and node.attr == "POST"):
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id == "request") or (
        isinstance(owner, ast.Attribute) and owner.attr == "request"
    )


def _readers(tree: ast.AST) -> Iterator[str]:
    """The qualified names of the functions that read ``request.POST``."""

    def walk(node: ast.AST, scope: list[str]) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(child, [*scope, child.name])
            elif _reads_post(child):
                yield ".".join(scope) or "<module>"
            else:
                yield from walk(child, scope)

    yield from walk(tree, [])


def post_readers() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found |= {f"{path.relative_to(ROOT).as_posix()}:{name}" for name in _readers(tree)}
    return found


def test_no_view_reads_the_post_by_hand() -> None:
    stray = sorted(post_readers() - set(ALLOWED))
    assert not stray, "read the input with a form on ServiceActionView (ipplan/generic.py): " + ", ".join(
        stray
    )


def test_the_allow_list_names_only_places_that_still_read_the_post() -> None:
    stale = sorted(set(ALLOWED) - post_readers())
    assert not stale, "no longer read the POST, take them off ALLOWED: " + ", ".join(stale)


def test_the_check_finds_a_view_that_parses_the_post() -> None:
    source = "def view(request):\n    return int(request.POST.get('n', 0))\n"
    assert list(_readers(ast.parse(source))) == ["view"]
