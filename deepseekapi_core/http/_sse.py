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
from typing import Any

DONE = "[DONE]"
"""The data of the event that ends a chat-completions stream."""

_BOM = b"\xef\xbb\xbf"
_WHOLE, _TEXT, _BYTES = 0, 1, 2
"""What the decoder returns per event: a ServerSentEvent, its data as text, or as bytes."""


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

    :meth:`feed_data` and :meth:`flush_data` are the same decoding for a caller that needs only
    each event's data (the chat-completions stream): they skip building a
    :class:`ServerSentEvent` per event, which is a fair share of a streamed chunk's cost.
    """

    __slots__ = (
        "_data",
        "_event",
        "_first_line",
        "_id",
        "_max_line",
        "_partial",
        "_partial_size",
        "_pending_cr",
    )

    def __init__(self, max_line: int | None = None) -> None:
        self._max_line = max_line
        """The longest line accepted, in bytes (None: any); a longer one raises ValueError
        before it is buffered whole."""
        self._partial: list[bytes] = []
        """The pieces of a line whose terminator has not arrived yet."""
        self._partial_size = 0
        self._pending_cr = False
        self._first_line = True
        self._data: list[bytes] = []
        """The data lines of the event being read (one list, cleared at each dispatch)."""
        self._event: str | None = None
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk`` and return the events it completes (possibly none)."""
        lines = self._lines(chunk)
        return self._events(lines, _WHOLE) if lines else []

    def feed_data(self, chunk: bytes) -> list[str]:
        """As :meth:`feed`, returning only the data of each event."""
        lines = self._lines(chunk)
        return self._events(lines, _TEXT) if lines else []

    def feed_bytes(self, chunk: bytes) -> list[bytes]:
        """As :meth:`feed_data`, each event's data left as UTF-8 bytes (a JSON parser reads
        them without a decoded copy); invalid UTF-8 is passed on as it came."""
        lines = self._lines(chunk)
        return self._events(lines, _BYTES) if lines else []

    def flush(self) -> list[ServerSentEvent]:
        """End the stream: process a last unterminated line and dispatch a pending event."""
        return self._flush(_WHOLE)

    def flush_data(self) -> list[str]:
        """As :meth:`flush`, returning only the data of each event."""
        return self._flush(_TEXT)

    def flush_bytes(self) -> list[bytes]:
        """As :meth:`flush_data`, with the data as bytes (see :meth:`feed_bytes`)."""
        return self._flush(_BYTES)

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
                self._partial_size += len(chunk)
                if self._max_line is not None and self._partial_size > self._max_line:
                    self._too_long()
            return []
        lines = chunk.split(b"\n")
        if self._partial:
            self._partial.append(lines[0])
            self._partial_size += len(lines[0])
            if self._max_line is not None and self._partial_size > self._max_line:
                self._too_long()
            lines[0] = b"".join(self._partial)
            self._partial = []
            self._partial_size = 0
        rest = lines.pop()
        if rest:
            # A line within one network read is bounded by the read; one spread over many
            # reads is counted as it grows (above).
            self._partial.append(rest)
            self._partial_size = len(rest)
        if self._first_line:
            # The first complete line is always lines[0] here (or flush's last line).
            self._first_line = False
            lines[0] = lines[0].removeprefix(_BOM)  # the SSE spec drops a leading BOM
        return lines

    def _too_long(self) -> None:
        self._partial, self._partial_size = [], 0
        raise ValueError(f"a stream line is longer than {self._max_line} bytes")

    def _events(self, lines: list[bytes], kind: int) -> list[Any]:
        """The events ``lines`` complete: whole events, or their data as text or bytes (as
        ``kind`` says; the public methods name the type)."""
        events: list[Any] = []
        data = self._data
        as_bytes = kind == _BYTES
        for raw in lines:
            # The hot path, inlined: a chat-completions event is one "data: " line and a blank
            # (tested first: no call for it).
            if not raw:
                if data:
                    # One data line is the rule: no join for it. Lines end at an ASCII byte,
                    # so decoding them joined or one by one is the same.
                    joined = data[0] if len(data) == 1 else b"\n".join(data)
                    if as_bytes:
                        events.append(joined)
                    else:
                        text = joined.decode("utf-8", errors="replace")
                        events.append(text if kind == _TEXT else self._event_of(text))
                    data.clear()
                self._event = None
            elif raw.startswith(b"data: "):
                data.append(raw[6:])
            else:
                self._field(raw)
        return events

    def _event_of(self, data: str) -> ServerSentEvent:
        return ServerSentEvent(data, self._event, self._id)

    def _flush(self, kind: int) -> list[Any]:
        lines: list[bytes] = []
        if self._partial:
            lines.append(b"".join(self._partial))
            self._partial, self._partial_size = [], 0
            if self._first_line:
                self._first_line = False
                lines[0] = lines[0].removeprefix(_BOM)
        lines.append(b"")  # dispatch a pending event, as a blank line would
        return self._events(lines, kind)

    def _field(self, raw: bytes) -> None:
        """Apply a line that is neither blank nor ``data: ...``."""
        if raw[0] == 0x3A:  # ":" starts a comment, e.g. ": keep-alive"
            return
        line = raw.decode("utf-8", errors="replace")
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value.encode())
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        # "retry" and unknown fields are ignored, as the SSE spec says.
