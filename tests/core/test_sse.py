"""The incremental SSE decoder: property-tested over every way a network may split a stream."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepseekapi_core.http._sse import DONE, ServerSentEvent, SSEDecoder

SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Text without line terminators, biased towards what the service sends: ASCII, "°C", emoji,
# CJK, JSON punctuation and colons.
_ALPHABET = st.one_of(
    st.sampled_from(list('abc XYZ{}[]":,0123456789°C€你好🎲🎉\\/')),
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
)
_TEXT = st.text(_ALPHABET, max_size=24)
_TERMINATORS = st.sampled_from(["\n", "\r\n", "\r"])


@dataclass(frozen=True)
class _Line:
    text: str
    end: str


@st.composite
def event_streams(draw: st.DrawFn) -> tuple[bytes, list[ServerSentEvent]]:
    """A valid byte stream and the events it must decode to."""
    lines: list[str] = []
    expected: list[ServerSentEvent] = []
    last_id: str | None = None  # the SSE "last event ID" carries over to later events
    for _ in range(draw(st.integers(0, 6))):
        # Noise before the event: comments (": keep-alive") and blank keep-alive lines.
        for _ in range(draw(st.integers(0, 2))):
            lines.append(
                draw(st.sampled_from([": keep-alive", ":", ""]))
                if draw(st.booleans())
                else ":" + draw(_TEXT)
            )
        data = draw(st.lists(_TEXT, min_size=1, max_size=3))
        event_name = draw(st.none() | st.sampled_from(["message", "error", "chunk"]))
        event_id = draw(st.none() | st.text("0123456789abcdef", min_size=1, max_size=6))
        fields = [f"data: {value}" if draw(st.booleans()) else f"data:{value}" for value in data]
        # A value that itself starts with a space keeps it only after the one optional space.
        fields = [
            f"data: {value}" if value.startswith(" ") else field
            for field, value in zip(fields, data, strict=True)
        ]
        if event_name is not None:
            fields.insert(draw(st.integers(0, len(fields))), f"event: {event_name}")
        if event_id is not None:
            fields.insert(draw(st.integers(0, len(fields))), f"id: {event_id}")
        if draw(st.booleans()):
            fields.insert(draw(st.integers(0, len(fields))), ": comment inside an event")
        if draw(st.booleans()):
            fields.insert(draw(st.integers(0, len(fields))), "retry: 3000")
        lines.extend(fields)
        lines.append("")  # dispatch
        last_id = event_id if event_id is not None else last_id
        expected.append(ServerSentEvent(data="\n".join(data), event=event_name, id=last_id))
    ends = [draw(_TERMINATORS) for _ in lines]
    # "\r" then an empty line ended by "\n" reads as one "\r\n": keep the stream unambiguous.
    for i in range(1, len(lines)):
        if ends[i - 1] == "\r" and lines[i] == "" and ends[i] == "\n":
            ends[i] = "\r\n"
    stream = "".join(line + end for line, end in zip(lines, ends, strict=True))
    return stream.encode("utf-8"), expected


def _cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(max(c, 0), len(data)) for c in cuts})
    pieces, start = [], 0
    for point in points:
        pieces.append(data[start:point])
        start = point
    pieces.append(data[start:])
    return pieces


def _decode(pieces: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.flush())
    return events


@SETTINGS
@given(event_streams(), st.lists(st.integers(0, 10_000), max_size=12))
def test_any_split_decodes_to_the_same_events(
    stream: tuple[bytes, list[ServerSentEvent]], cuts: list[int]
) -> None:
    data, expected = stream
    assert _decode([data]) == expected
    assert _decode(_cut(data, cuts)) == expected


@SETTINGS
@given(event_streams())
def test_byte_by_byte(stream: tuple[bytes, list[ServerSentEvent]]) -> None:
    data, expected = stream
    assert _decode([data[i : i + 1] for i in range(len(data))]) == expected


@SETTINGS
@given(event_streams(), st.lists(st.integers(0, 10_000), max_size=12))
def test_events_come_out_as_soon_as_complete(
    stream: tuple[bytes, list[ServerSentEvent]], cuts: list[int]
) -> None:
    """Feeding never holds back a finished event until flush (except a dangling "\\r")."""
    data, expected = stream
    decoder = SSEDecoder()
    events = []
    for piece in _cut(data, cuts):
        events.extend(decoder.feed(piece))
    assert events == expected
    assert decoder.flush() == []


def test_multibyte_character_split_inside() -> None:
    data = 'data: {"t":"15°C 🎲"}\n\n'.encode()
    degree = data.index("°".encode())
    dice = data.index("🎲".encode())
    pieces = [
        data[: degree + 1],
        data[degree + 1 : dice + 2],
        data[dice + 2 : dice + 3],
        data[dice + 3 :],
    ]
    assert _decode(pieces) == [ServerSentEvent(data='{"t":"15°C 🎲"}')]


def test_crlf_split_between_cr_and_lf() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n\r") == [ServerSentEvent(data="a")]
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [ServerSentEvent(data="b")]
    assert decoder.flush() == []


def test_done_sentinel_and_following_events() -> None:
    events = _decode([b'data: {"a":1}\n\ndata: [DONE]\n\n'])
    assert events == [ServerSentEvent(data='{"a":1}'), ServerSentEvent(data=DONE)]
    assert DONE == "[DONE]"


def test_multi_line_data_joined_with_newline() -> None:
    events = _decode([b"data: first\ndata:second\ndata:  third\n\n"])
    assert events == [ServerSentEvent(data="first\nsecond\n third")]


def test_flush_dispatches_unterminated_last_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a":1}\n\ndata: {"b":2}') == [ServerSentEvent(data='{"a":1}')]
    assert decoder.flush() == [ServerSentEvent(data='{"b":2}')]
    assert decoder.flush() == []
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\n") == []
    assert decoder.flush() == [ServerSentEvent(data="x")]


def test_comments_keepalives_and_blank_lines_only() -> None:
    assert _decode([b": keep-alive\n\n\n: keep-alive\r\n\r\n", b"\n\n"]) == []


def test_field_names_and_values() -> None:
    events = _decode([b"event: error\nid: 7\nretry: 10\nunknown: x\ndata\n\ndata: y\n\n"])
    # A bare "data" line is an empty data value; event/id reset after dispatch except id.
    assert events[0] == ServerSentEvent(data="", event="error", id="7")
    assert events[1].data == "y" and events[1].event is None


def test_event_without_data_is_not_dispatched() -> None:
    assert _decode([b"event: ping\n\ndata: z\n\n"]) == [ServerSentEvent(data="z")]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert _decode([b"data: \xff\xfe ok\n\n"]) == [ServerSentEvent(data="\ufffd\ufffd ok")]


def test_empty_feeds_are_harmless() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: a") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n\n") == [ServerSentEvent(data="a")]


@given(
    st.lists(st.text(_ALPHABET, min_size=1, max_size=3000), min_size=1, max_size=4),
    st.integers(1, 700),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_long_events_in_small_reads_decode_as_one_read(
    values: list[str], piece: int, terminator: str
) -> None:
    """Events far longer than a read, cut into equal reads, decode as the whole bytes do."""
    raw = "".join(f"data: {value}{terminator}{terminator}" for value in values).encode()
    whole = SSEDecoder()
    expected = whole.feed(raw) + whole.flush()
    decoder = SSEDecoder()
    got: list[ServerSentEvent] = []
    for start in range(0, len(raw), piece):
        got.extend(decoder.feed(raw[start : start + piece]))
    got.extend(decoder.flush())
    assert got == expected
    assert [event.data for event in got] == values


def test_a_read_inside_a_long_line_does_not_copy_the_line_so_far() -> None:
    """Linear decoding: feeding one more piece of a 1 MB line allocates about that piece,
    not a copy of the megabyte already received (which made one long event quadratic)."""
    import tracemalloc

    piece = b"x" * 1024
    decoder = SSEDecoder()
    decoder.feed(b"data: ")
    for _ in range(1024):
        decoder.feed(piece)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        decoder.feed(piece)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before < 64 * 1024, peak - before
    events = decoder.feed(b"\n\n")
    assert len(events) == 1
    assert len(events[0].data) == 1025 * 1024


@SETTINGS
@given(event_streams(), st.lists(st.integers(0, 10_000), max_size=12))
def test_the_data_only_forms_match_the_whole_events(
    stream: tuple[bytes, list[ServerSentEvent]], cuts: list[int]
) -> None:
    """``feed_data`` gives each event's data as text, ``feed_bytes`` as its UTF-8 bytes."""
    data, expected = stream
    texts, raws = SSEDecoder(), SSEDecoder()
    got_text: list[str] = []
    got_bytes: list[bytes] = []
    for piece in _cut(data, cuts):
        got_text.extend(texts.feed_data(piece))
        got_bytes.extend(raws.feed_bytes(piece))
    got_text.extend(texts.flush_data())
    got_bytes.extend(raws.flush_bytes())
    assert got_text == [event.data for event in expected]
    assert got_bytes == [event.data.encode() for event in expected]


def test_bytes_keep_invalid_utf8_as_it_came() -> None:
    decoder = SSEDecoder()
    assert decoder.feed_bytes(b"data: \xff ok\ndata:x\n\n") == [b"\xff ok\nx"]
