"""Redis calls the caller must not wait for, or not longer than its deadline: run on a few
threads of the limiter's own.

A blocking Redis call can only be given a deadline shorter than the client's socket timeout
from outside: the caller waits for the call's result at most until its deadline and leaves the
call to finish (or time out) on its thread. Giving a slot back never waits at all. A request
without a deadline pays for none of this: its calls run directly on its own thread.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Background", "Late"]

_T = TypeVar("_T")


class Late(Exception):
    """A call did not answer within the time it was given (it goes on on its thread)."""


_WORKERS = 4
"""Threads per limiter: releases and deadline-bound calls only, each bounded by a socket
timeout, so a few are plenty."""


class Background:
    """A limiter's few threads for Redis calls, rebuilt in a forked child (threads do not
    survive ``fork``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._pid = os.getpid()
        self._pending: set[concurrent.futures.Future[None]] = set()

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._pending = set()
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    _WORKERS, thread_name_prefix="deepseekapi-limiter"
                )
            return self._executor

    def call(
        self,
        work: Callable[[], _T],
        timeout: float,
        abandoned: Callable[[_T], None],
    ) -> _T:
        """``work()``'s result, waited for at most ``timeout`` seconds.

        Raises :class:`Late` when it is late; ``abandoned`` then gets the result if
        it comes (to give back a slot granted too late).
        """
        future = self._pool().submit(work)
        try:
            return future.result(timeout=max(timeout, 0.0))
        except concurrent.futures.TimeoutError:
            future.add_done_callback(lambda done: _hand_on(done, abandoned))
            raise Late from None

    def start(self, work: Callable[[], None]) -> None:
        """Run ``work()`` without waiting for it (at interpreter exit: now, on this thread)."""
        try:
            future = self._pool().submit(work)
        except RuntimeError:  # the interpreter is shutting down: no new threads
            # Best effort: what is not given back now expires by itself.
            with contextlib.suppress(Exception):
                work()
            return
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: concurrent.futures.Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def settle(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for the calls started so far to finish."""
        with self._lock:
            pending = list(self._pending)
        if pending:
            concurrent.futures.wait(pending, timeout=timeout)


def _hand_on(done: concurrent.futures.Future[_T], abandoned: Callable[[_T], None]) -> None:
    if not done.cancelled() and done.exception() is None:
        abandoned(done.result())
