"""Close what belongs to an event loop when that loop shuts down, quietly.

``asyncio.run``, ``asyncio.Runner`` and pytest-asyncio call the loop's ``shutdown_asyncgens()``
before closing it, which resumes every async generator the loop has seen. A generator parked
at its ``yield`` for the life of the loop therefore gets to run its ``finally`` while the loop
still runs: the async clients' pools and the Redis limiter's per-loop clients close there,
instead of leaving open sockets (or pending tasks) to the garbage collector.

Light on purpose (standard library only): the HTTP clients, the adapters' holder and the
limiter all use it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable

# The first step of each watcher, kept referenced until it has run (the loop keeps tasks only
# weakly, and asyncio asks callers to hold them).
_parking: set[asyncio.Future[None]] = set()


def close_with_loop(
    close: Callable[[], Awaitable[None]], loop: asyncio.AbstractEventLoop | None = None
) -> AsyncGenerator[None, None]:
    """An async generator parked for the life of ``loop`` (the running loop by default) that
    awaits ``close()`` when the loop shuts down. The caller keeps the generator: the loop holds
    it only weakly."""

    async def watch() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await close()

    watcher = watch()
    # Asking for the first step registers the generator with the loop.
    parking = asyncio.ensure_future(watcher.__anext__(), loop=loop)
    _parking.add(parking)
    parking.add_done_callback(_parking.discard)
    return watcher


def finish_quietly(watcher: AsyncGenerator[None, None] | None) -> None:
    """End the watcher of a loop that was closed without shutting its generators down (a loop
    closed by hand): what it would have closed went with the loop, and a watcher left
    unfinished would make the garbage collector ask the closed loop to finish it (an ignored
    error on stderr)."""
    if watcher is None:
        return
    closing = watcher.aclose()
    with contextlib.suppress(BaseException):
        closing.send(None)  # runs the finally; the closed loop refuses, and that ends it
    closing.close()
