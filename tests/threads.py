"""Running one piece of test code in several threads at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def guarded(errors: list[BaseException], body: Callable[..., Any]) -> Callable[..., None]:
    """``body`` made fit to run in a thread of a test: an exception it raises is kept in ``errors``
    (which the test asserts empty), and the thread's database connection is closed at the end."""

    def run(*args: Any) -> None:
        try:
            body(*args)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    return run


def in_threads(target: Callable[[], Any], n: int = 2) -> list[Any]:
    """Start ``n`` threads that call ``target`` together (released by a barrier); their results
    in order. Each thread closes its own database connection; any exception fails the test."""
    results: list[Any] = [None] * n
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = target()

    threads = [threading.Thread(target=guarded(errors, run), args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results
