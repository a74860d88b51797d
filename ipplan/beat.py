"""Celery beat that sends its schedule only while it holds a lock, so beat runs once.

Every ``celery beat`` (and a worker's embedded ``-B`` beat) uses :class:`LockedScheduler`
(``CELERY_BEAT_SCHEDULER``). At each tick it takes or renews the lock; without it, it sends
nothing and asks again a few seconds later, so a second beat started by mistake stands by and
takes over when the first one stops.

- **redis** (``REDIS_URL`` set, any number of hosts): redis-py's ``Lock`` with a time-out
  (``IPPLAN_BEAT_LOCK_SECONDS``), renewed every third of it; a holder that dies frees it when
  the time-out runs out. Works behind PgBouncer, unlike a PostgreSQL session advisory lock.
- **file** (the embedded start, one host): ``flock`` on ``IPPLAN_DATA_DIR/celerybeat.lock``; the
  kernel frees it the moment the holder exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import uuid
from pathlib import Path
from typing import Any, Protocol

from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger("ipplan.beat")


class BeatLock(Protocol):
    name: str

    def hold(self) -> bool:
        """Take the lock, or renew it when already held; True while this process holds it."""

    def release(self) -> None: ...


class FileBeatLock:
    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def hold(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{socket.gethostname()} {os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class RedisBeatLock:
    name = "redis"
    key = "ipplan:celery-beat-lock"

    def __init__(self, url: str, seconds: int) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.lock = self.client.lock(self.key, timeout=seconds, thread_local=False)
        # who holds it, for the operator reading the key
        self.lock.local.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}".encode()
        self._token = self.lock.local.token
        self._held = False

    def hold(self) -> bool:
        import redis

        try:
            if self._held and self.lock.owned():
                self.lock.reacquire()  # the time-out starts again
                return True
            self._held = bool(self.lock.acquire(blocking=False, token=self._token))
        except redis.RedisError as error:
            logger.warning("beat lock: Redis unreachable (%r); sending nothing until it answers", error)
            self._held = False
        return self._held

    def release(self) -> None:
        import redis

        if self._held:
            # expired or unreachable: the time-out frees it anyway
            with contextlib.suppress(redis.RedisError, redis.exceptions.LockError):
                self.lock.release()
            self._held = False


def make_lock() -> BeatLock | None:
    kind = settings.IPPLAN_BEAT_LOCK
    if kind == "off":
        return None
    if kind == "redis" or (kind == "auto" and settings.REDIS_URL):
        if not settings.REDIS_URL:
            raise RuntimeError("IPPLAN_BEAT_LOCK=redis needs REDIS_URL")
        return RedisBeatLock(settings.REDIS_URL, settings.IPPLAN_BEAT_LOCK_SECONDS)
    return FileBeatLock(Path(settings.DATA_DIR) / "celerybeat.lock")


class LockedScheduler(PersistentScheduler):
    """A PersistentScheduler that ticks only while it holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.beat_lock = make_lock()
        self.holding = False
        self.standing_by = False
        seconds = settings.IPPLAN_BEAT_LOCK_SECONDS
        # renew well inside the time-out; a stand-by asks again as often
        self.lock_interval = max(1.0, min(seconds / 3, 20.0)) if self.beat_lock else None
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self.beat_lock is not None and not self.beat_lock.hold():
            if self.holding:
                logger.warning("beat lost the %s lock: sending nothing until it is free", self.beat_lock.name)
            elif not self.standing_by:
                logger.warning(
                    "another beat holds the %s lock: this one sends nothing and stands by",
                    self.beat_lock.name,
                )
            self.holding, self.standing_by = False, True
            return float(self.lock_interval or 5.0)
        if self.beat_lock is not None and not self.holding:
            logger.info("beat holds the %s lock: this beat sends the schedule", self.beat_lock.name)
            self.holding, self.standing_by = True, False
        interval = super().tick(*args, **kwargs)
        return min(interval, self.lock_interval) if self.lock_interval else interval

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.beat_lock is not None:
                self.beat_lock.release()
