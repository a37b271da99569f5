"""DeepSeek's built-in web tools in the core: the declaration, the refusal before sending for a
model without them, the reply's server calls and results (whole and streamed), their counts,
and the round trip of the assistant message that carries them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from deepseekapi_core import (
    AsyncDeepSeekClient,
    ChatCompletion,
    ChatMessage,
    ChatRequest,
    DeepSeekClient,
    InvalidRequestError,
)
from deepseekapi_core.http._errors import UnsupportedParameterError
from deepseekapi_core.testing import Emulator
from deepseekapi_core.tools import read_url, tool_specs_from, web_search
from deepseekapi_core.wire import (
    BUILTIN_TOOL_TYPES,
    BuiltinToolSpec,
    ChatCompletionChunk,
    StreamAccumulator,
    build_request_body,
    builtin_tool_call_counts,
    builtin_tool_calls,
    builtin_tool_results,
    get_model_profile,
)
from deepseekapi_core.wire._stream import chunks_from_completion

from .helpers import API_KEY, BASE_URL

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
ASK = [{"role": "user", "content": "Who won the match yesterday?"}]


def _client(emulator: Emulator) -> DeepSeekClient:
    return DeepSeekClient(api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport())


def _request(model: str, tools: list[Any]) -> ChatRequest:
    return ChatRequest(model=model, messages=ASK, tools=tools)


# --------------------------------------------------------------------------------------------
# Declaring the tools


def test_builtin_tools_are_declared_beside_functions_as_the_docs_write_them() -> None:
    body = build_request_body(
        _request("deepseek-flash", [web_search(), {"type": "deepseek_read_url"}, WEATHER])
    )
    assert body["tools"] == [
        {"type": "deepseek_web_search"},
        {"type": "deepseek_read_url"},
        WEATHER,
    ]


def test_extra_keys_of_a_declaration_are_sent_as_given() -> None:
    # The Messages format writes {"type": ..., "name": ...}; whatever the caller adds goes out.
    spec = {"type": "deepseek_web_search", "name": "deepseek_web_search"}
    body = build_request_body(_request("deepseek-flash", [spec]))
    assert body["tools"] == [spec]
    assert web_search(name="deepseek_web_search").model_dump() == spec


def test_the_registry_gives_the_builtin_tools_to_deepseek_flash_alone() -> None:
    assert get_model_profile("deepseek-flash").builtin_tools == frozenset(BUILTIN_TOOL_TYPES)
    for model in (
        "deepseek-chat",
        "deepseek-reasoner",
        "deepseek-v4-flash",
        "deepseek-v4-flash-vision-exp",
        "deepseek-v4-pro",
    ):
        assert get_model_profile(model).builtin_tools == frozenset(), model


@pytest.mark.parametrize(
    ("model", "tool"),
    [
        ("deepseek-chat", web_search()),
        ("deepseek-reasoner", read_url()),
        ("deepseek-v4-pro", web_search()),
        ("deepseek-v4-flash", read_url()),
    ],
)
def test_a_model_without_the_tool_is_refused_before_sending(
    model: str, tool: BuiltinToolSpec
) -> None:
    emulator = Emulator()
    with _client(emulator) as client, pytest.raises(UnsupportedParameterError) as caught:
        client.chat(model=model, messages=ASK, tools=[tool, WEATHER])
    assert caught.value.param == "tools"
    assert model in str(caught.value)
    assert tool.type in str(caught.value)
    assert "deepseek-flash" in str(caught.value)
    assert emulator.chat_requests == []


def test_an_unknown_model_id_may_be_offered_the_builtin_tools() -> None:
    # The proxy may serve ids the registry does not know; it validates them itself.
    body = build_request_body(_request("deepseek-flash-next", [web_search()]))
    assert body["tools"] == [{"type": "deepseek_web_search"}]


def test_a_function_may_not_take_a_builtin_tools_name() -> None:
    clash = {"type": "function", "function": {"name": "deepseek_web_search"}}
    with pytest.raises(ValueError, match="name of a built-in tool"):
        _request("deepseek-flash", [clash])


def test_a_builtin_tool_is_declared_once() -> None:
    with pytest.raises(ValueError, match="two tools are named 'deepseek_read_url'"):
        _request("deepseek-flash", [read_url(), read_url()])


def test_tool_choice_may_not_name_a_builtin_tool() -> None:
    with pytest.raises(ValueError, match="not among the tools"):
        ChatRequest(
            model="deepseek-flash",
            messages=ASK,
            tools=[web_search()],
            tool_choice={"type": "function", "function": {"name": "deepseek_web_search"}},
        )


def test_tool_specs_from_keeps_builtin_tools_and_converts_the_rest() -> None:
    def get_time(city: str) -> str:
        """The time in a city."""
        return city

    specs = tool_specs_from([{"type": "deepseek_web_search"}, get_time, read_url()], strict=True)
    assert [type(spec).__name__ for spec in specs] == [
        "BuiltinToolSpec",
        "ToolSpec",
        "BuiltinToolSpec",
    ]
    assert specs[0] == web_search()
    assert specs[1].model_dump(exclude_none=True)["function"]["strict"] is True  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------
# The reply


SERVER_CALL = {"id": "srv_1", "type": "deepseek_web_search", "arguments": '{"query": "match"}'}
SERVER_RESULT = {
    "tool_call_id": "srv_1",
    "type": "deepseek_web_search",
    "content": [{"type": "web_search_result", "url": "https://example.com/a", "title": "A"}],
}


def _completion(message: dict[str, Any]) -> ChatCompletion:
    return ChatCompletion.model_validate(
        {
            "id": "c1",
            "model": "deepseek-flash",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}}],
        }
    )


def test_server_calls_and_results_are_read_typed_and_kept_raw() -> None:
    completion = _completion(
        {
            "content": "They won [1].",
            "server_tool_calls": [SERVER_CALL],
            "server_tool_results": [SERVER_RESULT],
        }
    )
    message = completion.message
    assert message.server_tool_calls == [SERVER_CALL]
    assert message.server_tool_results == [SERVER_RESULT]
    (call,) = builtin_tool_calls(message)
    assert (call.id, call.type, call.args) == ("srv_1", "deepseek_web_search", {"query": "match"})
    (result,) = builtin_tool_results(message)
    assert result.tool_call_id == "srv_1"
    assert result.status == "success"
    assert [source["url"] for source in result.sources] == ["https://example.com/a"]
    assert builtin_tool_call_counts(completion) == {"deepseek_web_search": 1}


def test_builtin_calls_in_tool_calls_never_reach_the_function_calls() -> None:
    # An undocumented shape this library also reads: the service's calls among tool_calls.
    typed = {"id": "s1", "type": "deepseek_read_url", "deepseek_read_url": {"url": "https://a.b"}}
    named = {
        "id": "s2",
        "type": "function",
        "function": {"name": "deepseek_web_search", "arguments": '{"query": "q"}'},
    }
    function = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    message = _completion({"content": "", "tool_calls": [typed, named, function]}).message
    assert [call.function.name for call in message.tool_calls or []] == ["f"]
    assert message.server_tool_calls == [typed, named]
    calls = builtin_tool_calls(message)
    assert [(c.type, c.args) for c in calls] == [
        ("deepseek_read_url", {"url": "https://a.b"}),
        ("deepseek_web_search", {"query": "q"}),
    ]


def test_counts_add_up_per_tool() -> None:
    calls = [
        {"id": "a", "type": "deepseek_web_search"},
        {"id": "b", "type": "deepseek_web_search"},
        {"id": "c", "type": "deepseek_read_url"},
    ]
    completion = _completion({"content": "x", "server_tool_calls": calls})
    assert builtin_tool_call_counts(completion) == {
        "deepseek_web_search": 2,
        "deepseek_read_url": 1,
    }
    assert builtin_tool_call_counts(_completion({"content": "x"})) == {}


def test_a_failed_result_reads_as_an_error() -> None:
    failed = {**SERVER_RESULT, "is_error": True}
    (result,) = builtin_tool_results({"server_tool_results": [failed]})
    assert result.status == "error"


def _chunk(delta: dict[str, Any], finish: str | None = None) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate(
        {"id": "c1", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    )


def test_stream_entries_fold_by_index_with_arguments_appended() -> None:
    accumulator = StreamAccumulator()
    accumulator.add(
        _chunk({"server_tool_calls": [{"index": 0, "id": "srv_1", "type": "deepseek_web_search"}]})
    )
    accumulator.add(_chunk({"server_tool_calls": [{"index": 0, "arguments": '{"query": '}]}))
    accumulator.add(_chunk({"server_tool_calls": [{"index": 0, "arguments": '"match"}'}]}))
    accumulator.add(_chunk({"server_tool_results": [{"index": 0, **SERVER_RESULT}]}))
    accumulator.add(_chunk({"content": "They won."}, finish="stop"))
    message = accumulator.to_completion().message
    assert message.server_tool_calls == [SERVER_CALL]
    assert message.server_tool_results == [SERVER_RESULT]
    assert builtin_tool_call_counts(accumulator) == {"deepseek_web_search": 1}


def test_a_builtin_call_streamed_in_tool_calls_is_moved_out() -> None:
    chunk = _chunk({"tool_calls": [{"index": 0, "id": "s", "type": "deepseek_web_search"}]})
    delta = chunk.delta
    assert delta is not None
    assert delta.tool_calls is None
    assert delta.server_tool_calls == [{"index": 0, "id": "s", "type": "deepseek_web_search"}]


def test_chunks_from_a_completion_fold_back_into_it() -> None:
    completion = _completion(
        {"content": "A", "server_tool_calls": [SERVER_CALL], "server_tool_results": [SERVER_RESULT]}
    )
    accumulator = StreamAccumulator()
    for chunk in chunks_from_completion(completion):
        accumulator.add(chunk)
    folded = accumulator.to_completion().message
    assert folded.server_tool_calls == [SERVER_CALL]
    assert folded.server_tool_results == [SERVER_RESULT]


# --------------------------------------------------------------------------------------------
# The next round


def test_the_assistant_message_sends_the_entries_back_unchanged() -> None:
    message = ChatMessage(
        role="assistant",
        content="They won [1].",
        server_tool_calls=[SERVER_CALL],
        server_tool_results=[SERVER_RESULT],
    )
    wire = message.to_wire()
    assert wire["server_tool_calls"] == [SERVER_CALL]
    assert wire["server_tool_results"] == [SERVER_RESULT]


def test_only_an_assistant_message_carries_server_entries() -> None:
    with pytest.raises(ValueError, match="belong to assistant messages"):
        ChatMessage(role="user", content="hi", server_tool_calls=[SERVER_CALL])


def test_client_round_trip_against_the_emulator() -> None:
    emulator = Emulator()
    emulator.script.reply_web_search("match result", answer="They won 2-1 [1].")
    with _client(emulator) as client:
        first = client.chat(model="deepseek-flash", messages=ASK, tools=[web_search()])
        assert first.message.content == "They won 2-1 [1]."
        (call,) = builtin_tool_calls(first.message)
        assert call.args == {"query": "match result"}
        history = [
            *ASK,
            {
                "role": "assistant",
                "content": first.message.content,
                "server_tool_calls": first.message.server_tool_calls,
                "server_tool_results": first.message.server_tool_results,
            },
            {"role": "user", "content": "By how much?"},
        ]
        client.chat(model="deepseek-flash", messages=history, tools=[web_search()])
    sent = emulator.chat_requests[-1].json["messages"][1]
    assert sent["server_tool_calls"] == first.message.server_tool_calls
    assert sent["server_tool_results"] == first.message.server_tool_results


def test_streamed_and_whole_replies_carry_the_same_entries() -> None:
    emulator = Emulator()
    with _client(emulator) as client:
        whole = client.chat(model="deepseek-flash", messages=ASK, tools=[web_search()])
        accumulator = StreamAccumulator()
        for chunk in client.stream_chat(model="deepseek-flash", messages=ASK, tools=[web_search()]):
            accumulator.add(chunk)
    streamed = accumulator.to_completion().message
    assert whole.message.server_tool_calls
    # The ids are drawn anew per request; everything else is the same.
    strip = lambda entries: [  # noqa: E731
        {k: v for k, v in e.items() if k not in ("id", "tool_call_id")} for e in entries or []
    ]
    assert strip(streamed.server_tool_calls) == strip(whole.message.server_tool_calls)
    assert strip(streamed.server_tool_results) == strip(whole.message.server_tool_results)
    assert streamed.content == whole.message.content


async def test_the_async_client_reads_the_entries_too() -> None:
    emulator = Emulator()
    emulator.script.reply_read_url("https://example.org/a", answer="The page says hi.")
    async with AsyncDeepSeekClient(
        api_key=API_KEY, base_url=BASE_URL, transport=emulator.transport()
    ) as client:
        reply = await client.chat(
            model="deepseek-flash",
            messages=[{"role": "user", "content": "Read https://example.org/a"}],
            tools=[read_url()],
        )
    (call,) = builtin_tool_calls(reply.message)
    assert (call.type, call.args) == ("deepseek_read_url", {"url": "https://example.org/a"})
    assert json.loads(emulator.chat_requests[-1].body)["tools"] == [{"type": "deepseek_read_url"}]


def test_a_leaked_call_is_recovered_only_for_function_tools() -> None:
    emulator = Emulator()
    leaked = '{"name": "get_weather", "arguments": {"city": "Paris"}}'
    emulator.script.reply_text(leaked)
    with _client(emulator) as client:
        reply = client.chat(model="deepseek-flash", messages=ASK, tools=[web_search(), WEATHER])
    assert [c.function.name for c in reply.message.tool_calls or []] == ["get_weather"]


def test_a_builtin_tool_is_not_a_function_spec_error() -> None:
    with pytest.raises(InvalidRequestError, match="only function tools"):
        from deepseekapi_core.tools import tool_spec_from

        tool_spec_from({"type": "web_search"})


# --------------------------------------------------------------------------------------------
# Fields this library does not model: kept and sent back (the shape may differ from ours)


UNKNOWN = {"search_results": [{"url": "https://example.com/x", "title": "X"}], "cite_map": {"1": 0}}


def _service(sent: list[dict[str, Any]]) -> httpx.MockTransport:
    """A service whose reply's message carries fields no model of ours declares."""

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        stream = sent[-1].get("stream", False)
        message = {"role": "assistant", "content": "Found it [1].", **UNKNOWN}
        if not stream:
            body = {
                "id": "c",
                "model": "deepseek-flash",
                "choices": [{"index": 0, "message": message}],
            }
            return httpx.Response(200, json=body)
        deltas = [
            {"role": "assistant", "content": "Found "},
            {"search_results": UNKNOWN["search_results"][:1], "cite_map": {"1": 0}},
            {"content": "it [1]."},
        ]
        frames = [
            {"id": "c", "choices": [{"index": 0, "delta": d, "finish_reason": None}]}
            for d in deltas
        ]
        frames.append({"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        text = "".join(f"data: {json.dumps(f)}\n\n" for f in frames) + "data: [DONE]\n\n"
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("stream", [False, True])
def test_unmodelled_reply_fields_are_kept_and_sent_back(stream: bool) -> None:
    from deepseekapi_core.wire._builtin_tools import unmodelled_fields

    sent: list[dict[str, Any]] = []
    transport = _service(sent)
    with DeepSeekClient(api_key=API_KEY, base_url=BASE_URL, transport=transport) as client:
        if stream:
            folded = StreamAccumulator()
            for chunk in client.stream_chat(model="deepseek-flash", messages=ASK):
                folded.add(chunk)
            message = folded.to_completion().message
        else:
            message = client.chat(model="deepseek-flash", messages=ASK).message
        kept = unmodelled_fields(message)
        assert kept == UNKNOWN
        history = [
            *ASK,
            ChatMessage(role="assistant", content=message.content, passthrough=kept),
            {"role": "user", "content": "More?"},
        ]
        client.chat(model="deepseek-flash", messages=history)
    assert sent[-1]["messages"][1] == {"role": "assistant", "content": "Found it [1].", **UNKNOWN}


def test_passthrough_may_not_shadow_a_modelled_field() -> None:
    with pytest.raises(ValueError, match="may not shadow"):
        ChatMessage(role="assistant", content="x", passthrough={"content": "y"})
