"""An incremental server-sent-events decoder: bytes in, events out.

Network chunks may split a stream anywhere: mid-line, between ``\\r`` and ``\\n``, inside a
multi-byte UTF-8 character. Lines are split on bytes (the line terminators are ASCII, so no UTF-8
sequence contains them) and decoded only once complete, which makes every split decode alike.
Comment lines (``: keep-alive``) and stray blank lines are skipped, as the service documents.

The work is linear in the bytes fed: a line still incomplete is kept as a list of pieces and
joined once, when its end arrives, so a multi-megabyte event arriving in small reads is not
re-copied and re-scanned on every read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["DONE", "SSEDecoder", "ServerSentEvent"]

DONE = "[DONE]"
"""The data of the event that ends a chat-completions stream."""

_T = TypeVar("_T")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event. ``data`` joins multi-line data with ``\\n``."""

    data: str
    event: str | None = None
    id: str | None = None


def _data_only(data: str, event: str | None, id: str | None) -> str:
    return data


class SSEDecoder:
    """Feed bytes with :meth:`feed`; collect the events each call completes.

    Call :meth:`flush` at the end of the stream: an event whose closing blank line never
    arrived is still returned, since a truncated last event is more useful than a lost one.

    :meth:`feed_data` and :meth:`flush_data` are the same decoding for a caller that needs only
    each event's data (the chat-completions stream): they skip building a
    :class:`ServerSentEvent` per event, which is a fair share of a streamed chunk's cost.
    """

    __slots__ = ("_data", "_event", "_first_line", "_id", "_partial", "_pending_cr")

    def __init__(self) -> None:
        self._partial: list[bytes] = []
        """The pieces of a line whose terminator has not arrived yet."""
        self._pending_cr = False
        self._first_line = True
        self._data: list[str] = []
        """The data lines of the event being read (one list, cleared at each dispatch)."""
        self._event: str | None = None
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk`` and return the events it completes (possibly none)."""
        lines = self._lines(chunk)
        return self._events(lines, ServerSentEvent) if lines else []

    def feed_data(self, chunk: bytes) -> list[str]:
        """As :meth:`feed`, returning only the data of each event."""
        lines = self._lines(chunk)
        return self._events(lines, _data_only) if lines else []

    def flush(self) -> list[ServerSentEvent]:
        """End the stream: process a last unterminated line and dispatch a pending event."""
        return self._flush(ServerSentEvent)

    def flush_data(self) -> list[str]:
        """As :meth:`flush`, returning only the data of each event."""
        return self._flush(_data_only)

    def _lines(self, chunk: bytes) -> list[bytes]:
        """The lines ``chunk`` completes, without their terminators."""
        if not chunk:
            return []
        if self._pending_cr:
            self._pending_cr = False
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                # The \n of a \r\n may be in the next chunk: end the line here, drop that \n later.
                self._pending_cr = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in chunk:
            if chunk:
                self._partial.append(chunk)
            return []
        lines = chunk.split(b"\n")
        if self._partial:
            self._partial.append(lines[0])
            lines[0] = b"".join(self._partial)
            self._partial = []
        rest = lines.pop()
        if rest:
            self._partial.append(rest)
        if self._first_line:
            # The first complete line is always lines[0] here (or flush's last line).
            self._first_line = False
            lines[0] = lines[0].removeprefix(_BOM)  # the SSE spec drops a leading BOM
        return lines

    def _events(
        self, lines: list[bytes], make: Callable[[str, str | None, str | None], _T]
    ) -> list[_T]:
        events: list[_T] = []
        data = self._data
        for raw in lines:
            # The hot path, inlined: a chat-completions event is one "data: " line and a blank.
            if raw.startswith(b"data: "):
                data.append(raw[6:].decode("utf-8", errors="replace"))
            elif not raw:
                if data:
                    events.append(make("\n".join(data), self._event, self._id))
                    data.clear()
                self._event = None
            else:
                self._field(raw)
        return events

    def _flush(self, make: Callable[[str, str | None, str | None], _T]) -> list[_T]:
        lines: list[bytes] = []
        if self._partial:
            lines.append(b"".join(self._partial))
            self._partial = []
            if self._first_line:
                self._first_line = False
                lines[0] = lines[0].removeprefix(_BOM)
        lines.append(b"")  # dispatch a pending event, as a blank line would
        return self._events(lines, make)

    def _field(self, raw: bytes) -> None:
        """Apply a line that is neither blank nor ``data: ...``."""
        if raw[0] == 0x3A:  # ":" starts a comment, e.g. ": keep-alive"
            return
        line = raw.decode("utf-8", errors="replace")
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        # "retry" and unknown fields are ignored, as the SSE spec says.
