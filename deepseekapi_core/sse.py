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

from dataclasses import dataclass

__all__ = ["DONE", "SSEDecoder", "ServerSentEvent"]

DONE = "[DONE]"
"""The data of the event that ends a chat-completions stream."""


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event. ``data`` joins multi-line data with ``\\n``."""

    data: str
    event: str | None = None
    id: str | None = None


class SSEDecoder:
    """Feed bytes with :meth:`feed`; collect the events each call completes.

    Call :meth:`flush` at the end of the stream: an event whose closing blank line never
    arrived is still returned, since a truncated last event is more useful than a lost one.
    """

    __slots__ = ("_data", "_event", "_first_line", "_id", "_partial", "_pending_cr")

    def __init__(self) -> None:
        self._partial: list[bytes] = []
        """The pieces of a line whose terminator has not arrived yet."""
        self._pending_cr = False
        self._first_line = True
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk`` and return the events it completes (possibly none)."""
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
        events: list[ServerSentEvent] = []
        for raw in lines:
            event = self._process_line(raw)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[ServerSentEvent]:
        """End the stream: process a last unterminated line and dispatch a pending event."""
        events: list[ServerSentEvent] = []
        if self._partial:
            raw = b"".join(self._partial)
            self._partial = []
            event = self._process_line(raw)
            if event is not None:
                events.append(event)
        event = self._dispatch()
        if event is not None:
            events.append(event)
        return events

    def _process_line(self, raw: bytes) -> ServerSentEvent | None:
        if self._first_line:
            self._first_line = False
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # the SSE spec drops a leading BOM
        if not raw:
            return self._dispatch()
        if raw[0] == 0x3A:  # ":" starts a comment, e.g. ": keep-alive"
            return None
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
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = None
            return None
        event = ServerSentEvent(data="\n".join(self._data), event=self._event, id=self._id)
        self._data = []
        self._event = None
        return event
