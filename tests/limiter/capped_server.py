"""The emulator on loopback with the service's per-key in-flight cap, and a fixed latency.

Above ``cap`` requests in flight for one key the emulator answers 429 with ``Retry-After``, as
the service does (deepseek-wire.md 1.16); each request takes ``latency`` seconds. The counts
the fleet tests report (admitted, refused, peak in flight) are the emulator's own.
"""

from __future__ import annotations

from types import TracebackType

from deepseekapi_core.testing import Emulator, EmulatorServer


class CappedServer:
    """An :class:`EmulatorServer` whose emulator caps each key at ``cap`` requests in flight."""

    def __init__(self, *, cap: int, latency: float, retry_after: float = 1.0) -> None:
        self.cap = cap
        self.latency = latency
        self.emulator = Emulator(
            record_requests=False, max_in_flight_per_key=cap, in_flight_retry_after=retry_after
        )
        if latency:
            self.emulator.faults.latency(latency, rate=1.0)
        self._server = EmulatorServer(self.emulator)
        self._counted_from = 0

    @property
    def base_url(self) -> str:
        """The URL to give a client: ``http://127.0.0.1:PORT/v1``."""
        return self._server.base_url

    @property
    def refused(self) -> int:
        """Requests answered 429 since :meth:`reset_counts`."""
        return self.emulator.in_flight.rejected

    @property
    def admitted(self) -> int:
        """Requests served (not refused) since :meth:`reset_counts`."""
        return self.emulator.request_count - self._counted_from - self.refused

    @property
    def peak(self) -> int:
        """The most requests one key had in flight at once since :meth:`reset_counts`."""
        return self.emulator.in_flight.max_seen

    def reset_counts(self) -> None:
        """Start a new measurement (nothing may be in flight)."""
        self.emulator.in_flight.reset_counters()
        self._counted_from = self.emulator.request_count

    def __enter__(self) -> CappedServer:
        self._server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.stop()
