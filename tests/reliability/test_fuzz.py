"""Bad input, tried systematically with hypothesis.

Malformed messages of every shape, out-of-range parameters, unknown roles, tool schemas that
are not JSON schema, tool results without a call, through the core and both adapters; and SSE
streams split at random points, with comments, CRLF and non-UTF-8 bytes, through the clients.
Each must end in a clear error that names the problem (a ``DeepSeekAPIError`` subclass, or the
framework's own validation error where the framework validates first) or a correct reply:
never a bare ``KeyError``/``TypeError``/``AttributeError``, never a hang (each example runs
under a hard time limit).

``RELIABILITY_FUZZ_SCALE=10`` multiplies the number of examples.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import traceback
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepseekapi_core import (
    AsyncDeepSeekClient,
    DeepSeekAPIError,
    DeepSeekClient,
    InvalidRequestError,
)
from deepseekapi_core.testing import Emulator

from .conftest import FIGURES
from .harness import API_KEY, MODEL

SCALE = float(os.environ.get("RELIABILITY_FUZZ_SCALE", "1"))
HARD_LIMIT = 5.0
"""Seconds one example may take before it counts as a hang."""
FORBIDDEN = (KeyError, TypeError, AttributeError, IndexError, UnicodeError, RecursionError)


def examples(n: int) -> Any:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def count(name: str) -> None:
    FIGURES["fuzz"][name] = FIGURES["fuzz"].get(name, 0) + 1


class Hang(BaseException):
    """An example ran past its hard time limit."""


@contextlib.contextmanager
def hard_limit(seconds: float = HARD_LIMIT) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no result within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def assert_clear(error: BaseException, *, framework: bool = False) -> None:
    """``error`` is one a caller can act on: ours (or the framework's validation error)."""
    if isinstance(error, DeepSeekAPIError):
        assert str(error).strip(), repr(error)
        return
    assert framework, f"not a DeepSeekAPIError: {error!r}"
    if _raised_by_framework_alone(error):
        return  # the framework's own input conversion, before any of our code ran
    assert not isinstance(error, FORBIDDEN), repr(error)
    assert isinstance(error, ValueError | NotImplementedError), repr(error)
    assert str(error).strip(), repr(error)


OURS = ("deepseekapi_core", "langchain_deepseekapi", "llama_index_deepseekapi")
FRAMEWORKS = ("langchain_core", "llama_index")


def _raised_by_framework_alone(error: BaseException) -> bool:
    """Whether ``error`` came from the framework with no frame of ours on the way (e.g.
    LangChain's ``convert_to_messages`` refusing an input shape: its bug to fix, not ours)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames or not any(name in frames[-1].filename for name in FRAMEWORKS):
        return False
    return not any(part in frame.filename for frame in frames for part in OURS)


# --------------------------------------------------------------------------------------------
# Strategies

ROLES = ["system", "user", "assistant", "tool"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)
roles = st.one_of(st.sampled_from(ROLES), st.text(max_size=10), scalars)
contents = st.one_of(
    st.text(max_size=40),
    json_values,
    st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "image_url", "tool_use", "x"])},
            optional={"text": json_values, "image_url": json_values},
        ),
        max_size=3,
    ),
    # lone surrogates, NULs, control characters
    st.text(alphabet=st.characters(codec=None, categories=["Cs", "Cc", "Co"]), max_size=8),
)
tool_calls = st.one_of(
    json_values,
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "id": json_values,
                "type": st.sampled_from(["function", "x"]),
                "function": st.one_of(
                    json_values,
                    st.fixed_dictionaries(
                        {}, optional={"name": json_values, "arguments": json_values}
                    ),
                ),
            },
        ),
        max_size=3,
    ),
)
messages = st.one_of(
    json_values,
    st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"role": roles},
                optional={
                    "content": contents,
                    "name": json_values,
                    "tool_calls": tool_calls,
                    "tool_call_id": json_values,
                    "reasoning_content": json_values,
                    "prefix": json_values,
                },
            ),
        ),
        max_size=5,
    ),
)
not_schemas = st.one_of(
    st.text(max_size=10),
    st.integers(),
    st.lists(json_values, max_size=3),
    st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(["array", "string", "integer", "null"]), st.integers())}
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("object"),
            "properties": st.one_of(
                st.lists(json_values, min_size=1, max_size=2),
                st.text(min_size=1, max_size=5),
                st.dictionaries(
                    st.text(min_size=1, max_size=5),
                    st.one_of(st.integers(), st.text(), st.lists(st.integers())),
                    min_size=1,
                    max_size=2,
                ),
            ),
        }
    ),
)
tools = st.one_of(
    json_values,
    st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {
                    "type": st.just("function"),
                    "function": st.fixed_dictionaries(
                        {
                            "name": st.one_of(
                                st.from_regex(r"[a-z_]{1,10}", fullmatch=True), json_values
                            )
                        },
                        optional={"parameters": st.one_of(json_values, not_schemas)},
                    ),
                }
            ),
        ),
        max_size=3,
    ),
)
out_of_range = st.one_of(
    st.tuples(st.just("temperature"), st.floats(min_value=2.0001, allow_infinity=True)),
    st.tuples(st.just("temperature"), st.floats(max_value=-0.0001, allow_infinity=True)),
    st.tuples(st.just("temperature"), st.just(math.nan)),
    st.tuples(st.just("top_p"), st.floats(min_value=1.0001) | st.floats(max_value=-0.0001)),
    st.tuples(
        st.sampled_from(["presence_penalty", "frequency_penalty"]),
        st.floats(min_value=2.0001) | st.floats(max_value=-2.0001),
    ),
    st.tuples(st.just("max_tokens"), st.integers(max_value=0)),
    st.tuples(st.just("top_logprobs"), st.integers(min_value=21) | st.integers(max_value=-1)),
)
request_params = st.fixed_dictionaries(
    {"model": st.one_of(st.just(MODEL), json_values), "messages": messages},
    optional={
        "temperature": json_values,
        "top_p": json_values,
        "max_tokens": json_values,
        "presence_penalty": json_values,
        "stop": json_values,
        "tools": tools,
        "tool_choice": json_values,
        "response_format": json_values,
        "stream_options": json_values,
        "thinking": json_values,
        "reasoning_effort": json_values,
        "logprobs": json_values,
        "top_logprobs": json_values,
    },
)
HELLO = [{"role": "user", "content": "Hello"}]


def _client(emulator: Emulator) -> DeepSeekClient:
    return DeepSeekClient(api_key=API_KEY, transport=emulator.transport(), max_retries=0)


# --------------------------------------------------------------------------------------------
# The core: requests


@given(params=request_params, stream=st.booleans())
@examples(400)
def test_core_any_request_gets_a_reply_or_a_clear_error(
    params: dict[str, Any], stream: bool
) -> None:
    count("core: arbitrary requests (sync)")
    client = _client(Emulator())
    with hard_limit():
        try:
            if stream:
                list(client.stream_chat(**params))
            else:
                client.chat(**params)
        except Exception as error:
            assert_clear(error)


@given(params=request_params, stream=st.booleans())
@examples(150)
def test_core_async_any_request_gets_a_reply_or_a_clear_error(
    params: dict[str, Any], stream: bool
) -> None:
    count("core: arbitrary requests (async)")

    async def main() -> None:
        async with AsyncDeepSeekClient(
            api_key=API_KEY, transport=Emulator().transport(), max_retries=0
        ) as client:
            if stream:
                async for _ in client.stream_chat(**params):
                    pass
            else:
                await client.chat(**params)

    with hard_limit():
        try:
            asyncio.run(main())
        except Exception as error:
            assert_clear(error)


@given(case=out_of_range)
@examples(150)
def test_core_out_of_range_parameter_named_before_sending(case: tuple[str, Any]) -> None:
    count("core: out-of-range parameters")
    name, value = case
    emulator = Emulator()
    with hard_limit(), pytest.raises(InvalidRequestError) as caught:
        _client(emulator).chat(model=MODEL, messages=HELLO, **{name: value})
    assert name in str(caught.value)
    assert emulator.request_count == 0


@given(role=st.one_of(st.text(max_size=12), scalars).filter(lambda r: r not in ROLES))
@examples(100)
def test_core_unknown_role_named_before_sending(role: Any) -> None:
    count("core: unknown roles")
    emulator = Emulator()
    with hard_limit(), pytest.raises(InvalidRequestError) as caught:
        _client(emulator).chat(model=MODEL, messages=[{"role": role, "content": "x"}])
    assert "role" in str(caught.value)
    assert emulator.request_count == 0


@given(parameters=not_schemas)
@examples(150)
def test_core_tool_schema_that_is_not_json_schema_named_before_sending(parameters: Any) -> None:
    count("core: tool schemas that are not JSON schema")
    emulator = Emulator()
    tool = {"type": "function", "function": {"name": "lookup", "parameters": parameters}}
    with hard_limit(), pytest.raises(InvalidRequestError) as caught:
        _client(emulator).chat(model=MODEL, messages=HELLO, tools=[tool])
    assert "tools.0.function.parameters" in str(caught.value)
    assert emulator.request_count == 0


@given(
    call_id=st.text(min_size=1, max_size=12),
    before=st.lists(
        st.sampled_from(
            [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
                {"role": "system", "content": "Be brief"},
            ]
        ),
        max_size=3,
    ),
    answered=st.booleans(),
)
@examples(150)
def test_core_tool_result_without_a_call_named_before_sending(
    call_id: str, before: list[dict[str, Any]], answered: bool
) -> None:
    count("core: tool results without a call")
    emulator = Emulator()
    history = [*before]
    if answered:  # a call was made, but under another id
        history.append(
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": call_id + "-other",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{}"},
                    }
                ],
            }
        )
    history.append({"role": "tool", "content": "42", "tool_call_id": call_id})
    with hard_limit(), pytest.raises(InvalidRequestError) as caught:
        _client(emulator).chat(model=MODEL, messages=history)
    assert "tool" in str(caught.value)
    assert emulator.request_count == 0


# --------------------------------------------------------------------------------------------
# The core: SSE streams split anywhere, with comments, CRLF and bytes that are not UTF-8


class _Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


class PiecesTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers every request with a 200 SSE body delivered in the given pieces."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def _response(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=_Pieces(self.pieces),
            request=request,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._response(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._response(request)


def _event(content: bytes, *, finish: bool = False) -> bytes:
    head = (
        b'{"id":"x","object":"chat.completion.chunk","created":1,"model":"deepseek-chat",'
        b'"choices":[{"index":0,"delta":{"content":"'
    )
    tail = b'"},"finish_reason":' + (b'"stop"' if finish else b"null") + b"}]}"
    return b"data: " + head + content + tail


text_pieces = st.lists(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters='"\\', exclude_categories=["Cc"]),
        min_size=1,
        max_size=8,
    ),
    min_size=1,
    max_size=8,
)
bad_bytes = st.sampled_from([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\x80\x80", b"\xfe"])


@st.composite
def sse_bodies(draw: st.DrawFn, *, broken: bool) -> tuple[list[bytes], str]:
    """(body pieces, the content the client must yield) for a stream with comments, blank
    lines, CRLF or LF, and (``broken``) invalid UTF-8 inside the content strings."""
    pieces = draw(text_pieces)
    newline = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    events: list[bytes] = []
    expected = []
    for index, text in enumerate(pieces):
        raw = text.encode()
        if broken and draw(st.booleans()):
            cut = draw(st.integers(0, len(raw)))
            raw = raw[:cut] + draw(bad_bytes) + raw[cut:]
        expected.append(raw.decode("utf-8", errors="replace"))
        if draw(st.booleans()):
            events.append(b": keep-alive" + newline)
        events.append(_event(raw, finish=index == len(pieces) - 1) + newline)
    events.append(b"data: [DONE]" + newline)
    body = newline.join(events)
    cuts = sorted(draw(st.sets(st.integers(1, len(body) - 1), max_size=12)))
    split = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    return split, "".join(expected)


def _stream_text(pieces: list[bytes], mode: str) -> str:
    transport = PiecesTransport(pieces)
    if mode == "sync":
        client = DeepSeekClient(api_key=API_KEY, transport=transport, max_retries=0)
        return "".join(
            c.choices[0].delta.content or ""
            for c in client.stream_chat(model=MODEL, messages=HELLO)
            if c.choices
        )

    async def main() -> str:
        async with AsyncDeepSeekClient(api_key=API_KEY, transport=transport, max_retries=0) as c:
            return "".join(
                [
                    chunk.choices[0].delta.content or ""
                    async for chunk in c.stream_chat(model=MODEL, messages=HELLO)
                    if chunk.choices
                ]
            )

    return asyncio.run(main())


@pytest.mark.parametrize("mode", ["sync", "async"])
@given(body=sse_bodies(broken=False))
@examples(150)
def test_sse_split_anywhere_yields_the_same_text(mode: str, body: tuple[list[bytes], str]) -> None:
    count(f"SSE: random splits, comments, CR/LF ({mode})")
    pieces, expected = body
    with hard_limit():
        assert _stream_text(pieces, mode) == expected


@pytest.mark.parametrize("mode", ["sync", "async"])
@given(body=sse_bodies(broken=True))
@examples(150)
def test_sse_invalid_utf8_in_content_is_replaced_not_fatal(
    mode: str, body: tuple[list[bytes], str]
) -> None:
    count(f"SSE: non-UTF-8 bytes in content ({mode})")
    pieces, expected = body
    with hard_limit():
        assert _stream_text(pieces, mode) == expected


@given(
    body=sse_bodies(broken=False),
    junk=st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=4)), max_size=4),
    truncate=st.one_of(st.none(), st.integers(0, 10_000)),
)
@examples(300)
def test_sse_garbage_anywhere_gives_text_or_a_clear_error(
    body: tuple[list[bytes], str], junk: list[tuple[int, bytes]], truncate: int | None
) -> None:
    count("SSE: random bytes inserted anywhere, truncation")
    whole = bytearray(b"".join(body[0]))
    for position, data in junk:
        whole[position % (len(whole) + 1) : position % (len(whole) + 1)] = data
    if truncate is not None:
        del whole[truncate % (len(whole) + 1) :]
    pieces = [bytes(whole[i : i + 7]) for i in range(0, len(whole), 7)]
    with hard_limit():
        try:
            _stream_text(pieces, "sync")
        except Exception as error:
            assert_clear(error)


# --------------------------------------------------------------------------------------------
# The adapters


def _langchain(emulator: Emulator, **options: Any) -> Any:
    from langchain_deepseekapi import ChatDeepSeekAPI

    return ChatDeepSeekAPI(
        model=MODEL, api_key=API_KEY, transport=emulator.transport(), max_retries=0, **options
    )


def _llama_index(emulator: Emulator, **options: Any) -> Any:
    from llama_index_deepseekapi import DeepSeekAPI

    return DeepSeekAPI(
        MODEL, api_key=API_KEY, transport=emulator.transport(), max_retries=0, **options
    )


lc_inputs = st.one_of(
    st.text(max_size=20),
    messages,
    st.lists(
        st.one_of(
            st.tuples(roles, contents),
            st.fixed_dictionaries({"role": roles, "content": contents}),
        ),
        max_size=4,
    ),
)
call_options = st.dictionaries(
    st.sampled_from(
        [
            "temperature",
            "top_p",
            "max_tokens",
            "stop",
            "tool_choice",
            "response_format",
            "presence_penalty",
            "thinking",
            "logprobs",
            "tools",
        ]
    ),
    json_values,
    max_size=3,
)


@given(value=lc_inputs, options=call_options, stream=st.booleans())
@examples(250)
def test_langchain_any_input_gets_a_reply_or_a_clear_error(
    value: Any, options: dict[str, Any], stream: bool
) -> None:
    count("LangChain: arbitrary inputs and call options")
    llm = _langchain(Emulator())
    with hard_limit():
        try:
            if stream:
                list(llm.stream(value, **options))
            else:
                llm.invoke(value, **options)
        except Exception as error:
            assert_clear(error, framework=True)


@given(case=out_of_range)
@examples(80)
def test_langchain_out_of_range_parameter_named(case: tuple[str, Any]) -> None:
    count("LangChain: out-of-range parameters")
    name, value = case
    emulator = Emulator()
    with hard_limit(), pytest.raises((InvalidRequestError, pydantic.ValidationError)) as caught:
        _langchain(emulator).invoke("Hello", **{name: value})
    assert name in str(caught.value)
    assert emulator.request_count == 0


@given(parameters=not_schemas)
@examples(80)
def test_langchain_bad_tool_schema_named(parameters: Any) -> None:
    count("LangChain: tool schemas that are not JSON schema")
    emulator = Emulator()
    tool = {"type": "function", "function": {"name": "lookup", "parameters": parameters}}
    with hard_limit(), pytest.raises((InvalidRequestError, ValueError)) as caught:
        _langchain(emulator).bind_tools([tool]).invoke("Hello")
    assert_clear(caught.value, framework=True)
    assert "parameters" in str(caught.value) or "tool" in str(caught.value)
    assert emulator.request_count == 0


@given(call_id=st.text(min_size=1, max_size=12))
@examples(60)
def test_langchain_tool_result_without_a_call_named(call_id: str) -> None:
    from langchain_core.messages import HumanMessage, ToolMessage

    count("LangChain: tool results without a call")
    emulator = Emulator()
    with hard_limit(), pytest.raises(InvalidRequestError) as caught:
        _langchain(emulator).invoke(
            [HumanMessage("Hi"), ToolMessage(content="42", tool_call_id=call_id)]
        )
    assert "tool" in str(caught.value)
    assert emulator.request_count == 0


li_messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.one_of(st.sampled_from([*ROLES, "function", "chatbot", "developer"]), roles)},
        optional={
            "content": contents,
            "additional_kwargs": st.one_of(
                json_values,
                st.fixed_dictionaries(
                    {}, optional={"tool_calls": tool_calls, "tool_call_id": json_values}
                ),
            ),
        },
    ),
    max_size=4,
)


@given(raw=li_messages, options=call_options, stream=st.booleans())
@examples(250)
def test_llama_index_any_input_gets_a_reply_or_a_clear_error(
    raw: list[dict[str, Any]], options: dict[str, Any], stream: bool
) -> None:
    from llama_index.core.llms import ChatMessage

    count("LlamaIndex: arbitrary messages and call options")
    llm = _llama_index(Emulator())
    with hard_limit():
        try:
            chat = [ChatMessage(**fields) for fields in raw]
        except Exception as error:  # llama-index validates its own messages first
            assert_clear(error, framework=True)
            return
        try:
            if stream:
                list(llm.stream_chat(chat, **options))
            else:
                llm.chat(chat, **options)
        except Exception as error:
            assert_clear(error, framework=True)


@given(case=out_of_range)
@examples(80)
def test_llama_index_out_of_range_parameter_named(case: tuple[str, Any]) -> None:
    from llama_index.core.llms import ChatMessage

    count("LlamaIndex: out-of-range parameters")
    name, value = case
    emulator = Emulator()
    with hard_limit(), pytest.raises((InvalidRequestError, pydantic.ValidationError)) as caught:
        llm = _llama_index(
            emulator, **({name: value} if name in ("temperature", "max_tokens") else {})
        )
        llm.chat([ChatMessage(role="user", content="Hello")], **{name: value})
    assert name in str(caught.value)
    assert emulator.request_count == 0


@given(call_id=st.text(min_size=1, max_size=12))
@examples(60)
def test_llama_index_tool_result_without_a_call_named(call_id: str) -> None:
    from llama_index.core.llms import ChatMessage

    count("LlamaIndex: tool results without a call")
    emulator = Emulator()
    messages_ = [
        ChatMessage(role="user", content="Hi"),
        ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": call_id}),
    ]
    with hard_limit(), pytest.raises(InvalidRequestError) as caught:
        _llama_index(emulator).chat(messages_)
    assert "tool" in str(caught.value)
    assert emulator.request_count == 0


# Regressions found by the fuzzers above (adapter bugs, reported to their owners).


def test_langchain_stop_that_is_not_a_list_is_a_clear_error() -> None:
    """``invoke(..., stop=True)`` crashed with a bare TypeError in ``_get_ls_params``."""
    emulator = Emulator()
    with pytest.raises((InvalidRequestError, ValueError)) as caught:
        _langchain(emulator).invoke("Hello", stop=True)
    assert_clear(caught.value, framework=True)
    assert "stop" in str(caught.value)
    assert emulator.request_count == 0


def test_llama_index_malformed_tool_call_is_a_clear_error() -> None:
    """An assistant message whose ``additional_kwargs["tool_calls"]`` holds ``None`` crashed
    with a bare AttributeError in ``_messages`` (the tool-call conversion)."""
    from llama_index.core.llms import ChatMessage

    emulator = Emulator()
    message = ChatMessage(role="assistant", additional_kwargs={"tool_calls": [None]})
    with pytest.raises((InvalidRequestError, ValueError)) as caught:
        _llama_index(emulator).chat([ChatMessage(role="user", content="Hi"), message])
    assert_clear(caught.value, framework=True)
    assert emulator.request_count == 0


def test_figures_are_json() -> None:
    json.dumps(FIGURES)
