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
import queue
import threading
import weakref
from collections.abc import Callable
from typing import TypeVar

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
        self._idle = threading.Condition(self._lock)
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._worker_pid = os.getpid()
        self._unfinished = 0

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                self._pid = os.getpid()
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
        """Run ``work()`` on the limiter's release thread, without waiting for it (at
        interpreter exit, when no thread can start: now, on this thread)."""
        with self._lock:
            if self._worker is None or self._worker_pid != os.getpid():
                try:
                    self._start_worker()
                except RuntimeError:  # the interpreter is shutting down
                    # Best effort: what is not given back now expires by itself.
                    with contextlib.suppress(Exception):
                        work()
                    return
            self._unfinished += 1
        self._jobs.put(work)

    def _start_worker(self) -> None:
        jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        worker = threading.Thread(
            target=_work_through,
            args=(jobs, weakref.ref(self)),
            name="deepseekapi-limiter-release",
            daemon=True,
        )
        worker.start()
        # A forked child inherits the parent's queue and count but not its thread.
        self._worker, self._worker_pid, self._jobs, self._unfinished = (
            worker,
            os.getpid(),
            jobs,
            0,
        )

    def _finished(self) -> None:
        with self._lock:
            self._unfinished -= 1
            if not self._unfinished:
                self._idle.notify_all()

    def settle(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for the work started so far to finish."""
        with self._lock:
            self._idle.wait_for(lambda: not self._unfinished, timeout=timeout)

    def drain(self) -> None:
        """Run what is still queued, here and now (at interpreter exit, when the release
        thread, a daemon, is about to stop)."""
        while True:
            try:
                work = self._jobs.get_nowait()
            except queue.Empty:
                return
            with contextlib.suppress(Exception):
                work()
            self._finished()


def _work_through(
    jobs: queue.SimpleQueue[Callable[[], None]], owner: weakref.ref[Background]
) -> None:
    """The release thread: runs queued work for as long as its limiter lives."""
    while True:
        work = jobs.get()
        with contextlib.suppress(Exception):  # each job logs its own failure
            work()
        background = owner()
        if background is None:
            return
        background._finished()
        del background


def _hand_on(done: concurrent.futures.Future[_T], abandoned: Callable[[_T], None]) -> None:
    if not done.cancelled() and done.exception() is None:
        abandoned(done.result())
