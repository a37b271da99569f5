"""The emulator speaks the service's wire format (shapes taken from real recordings)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from deepseekapi_core.testing import Emulator, Era

from .conftest import AUTH, chat_body, sse_payloads, validate


@pytest.fixture
def emulator() -> Emulator:
    """The recordings these shapes come from are V4-era (2025-04 to 2026-08); the V4.1 era's
    names and image input are tested in test_vision.py."""
    return Emulator(era=Era.V4)


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                },
                "required": ["city", "days"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "multiply",
            "description": "Multiply two numbers",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                "required": ["a", "b"],
            },
        },
    },
]


def test_plain_completion_has_the_recorded_shape(http: httpx.Client) -> None:
    response = http.post("/chat/completions", json=chat_body("Count from 1 to 3"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-ds-trace-id"])
    body = response.json()
    assert list(body) == [
        "id",
        "object",
        "created",
        "model",
        "choices",
        "usage",
        "system_fingerprint",
    ]
    assert UUID.match(body["id"])
    assert body["object"] == "chat.completion"
    assert isinstance(body["created"], int)
    assert body["model"] == "deepseek-v4-flash"  # V4: deepseek-chat is an alias
    assert body["system_fingerprint"].startswith("fp_")
    choice = body["choices"][0]
    assert choice["index"] == 0 and choice["logprobs"] is None and choice["finish_reason"] == "stop"
    message = choice["message"]
    assert message["role"] == "assistant"
    assert message["content"].startswith("[emulated deepseek-v4-flash]")
    assert "Count from 1 to 3" in message["content"]
    assert "reasoning_content" not in message and "tool_calls" not in message
    usage = body["usage"]
    assert "completion_tokens_details" not in usage  # absent without thinking, as recorded
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert (
        usage["prompt_tokens"]
        == usage["prompt_cache_hit_tokens"] + usage["prompt_cache_miss_tokens"]
    )
    assert usage["prompt_tokens_details"] == {"cached_tokens": usage["prompt_cache_hit_tokens"]}


def test_replies_are_deterministic_per_request(emulator: Emulator) -> None:
    def ask() -> dict[str, object]:
        with httpx.Client(transport=Emulator(seed=7).transport(), headers=AUTH) as client:
            return client.post("https://x/chat/completions", json=chat_body("Same question")).json()  # type: ignore[no-any-return]

    first, second = ask(), ask()
    assert first["id"] == second["id"]
    assert first["choices"] == second["choices"]


def test_paths_without_v1_and_legacy_names_per_era() -> None:
    emulator = Emulator(era=Era.V3_2)
    with httpx.Client(transport=emulator.transport(), headers=AUTH) as client:
        body = client.post("https://api.deepseek.com/chat/completions", json=chat_body()).json()
    assert body["model"] == "deepseek-chat"
    assert body["system_fingerprint"] == "fp_eaab8d114b_prod0820_fp8_kvcache"


def test_stream_matches_recorded_non_thinking_shape(http: httpx.Client) -> None:
    body = chat_body("Count from 1 to 3", stream=True, stream_options={"include_usage": True})
    response = http.post("/chat/completions", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.text.endswith("data: [DONE]\n\n")
    payloads = sse_payloads(response.text)
    assert payloads[-1] == "[DONE]"
    chunks = payloads[:-1]
    assert len({c["id"] for c in chunks}) == 1 and len({c["created"] for c in chunks}) == 1
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert list(chunks[0]) == [
        "id",
        "object",
        "created",
        "model",
        "system_fingerprint",
        "choices",
        "usage",
    ]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["usage"] is None for c in chunks[:-1])
    final = chunks[-1]
    assert final["choices"][0]["delta"] == {"content": ""}
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["usage"]["total_tokens"] > 0
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text.startswith("[emulated deepseek-v4-flash]") and "Count from 1 to 3" in text


def test_stream_without_include_usage_has_no_usage_key(http: httpx.Client) -> None:
    response = http.post("/chat/completions", json=chat_body(stream=True))
    chunks = sse_payloads(response.text)[:-1]
    assert all("usage" not in c for c in chunks)


def test_reasoner_non_stream_returns_reasoning_and_reasoning_tokens(http: httpx.Client) -> None:
    body = http.post(
        "/chat/completions", json=chat_body("Is 17 prime?", model="deepseek-reasoner")
    ).json()
    message = body["choices"][0]["message"]
    assert message["reasoning_content"].startswith("[emulated reasoning]")
    assert "Is 17 prime?" in message["reasoning_content"]
    assert message["content"].startswith("[emulated deepseek-v4-flash]")
    usage = body["usage"]
    reasoning = usage["completion_tokens_details"]["reasoning_tokens"]
    assert 0 < reasoning < usage["completion_tokens"]


def test_reasoner_stream_reasoning_before_answer_with_keep_alive(http: httpx.Client) -> None:
    body = chat_body(
        "Is 17 prime?",
        model="deepseek-reasoner",
        stream=True,
        stream_options={"include_usage": True},
    )
    response = http.post("/chat/completions", json=body)
    assert ": keep-alive\n\n" in response.text
    chunks = sse_payloads(response.text)[:-1]
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {"role": "assistant", "content": None, "reasoning_content": ""}
    phases = [
        "r" if d.get("reasoning_content") else "c" if d.get("content") else "-" for d in deltas
    ]
    joined = "".join(phases).strip("-")
    assert re.fullmatch(r"r+c+", joined), joined
    for delta in deltas[1:-1]:
        if delta.get("reasoning_content"):
            assert delta["content"] is None
        else:
            assert delta["reasoning_content"] is None
    assert deltas[-1] == {"content": "", "reasoning_content": None}
    assert chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_keep_alive_comment_count_is_configurable() -> None:
    emulator = Emulator(keep_alive_comments=3)
    with httpx.Client(transport=emulator.transport(), headers=AUTH) as client:
        text = client.post(
            "https://x/v1/chat/completions", json=chat_body(model="deepseek-reasoner", stream=True)
        ).text
    assert text.count(": keep-alive\n\n") == 3


def test_thinking_switch_on_v4_flash(http: httpx.Client) -> None:
    on = http.post("/chat/completions", json=chat_body(model="deepseek-v4-flash")).json()
    off = http.post(
        "/chat/completions",
        json=chat_body(model="deepseek-v4-flash", thinking={"type": "disabled"}),
    ).json()
    chat_on = http.post(
        "/chat/completions", json=chat_body(model="deepseek-chat", thinking={"type": "enabled"})
    ).json()
    assert "reasoning_content" in on["choices"][0]["message"]  # thinking by default in V4
    assert "reasoning_content" not in off["choices"][0]["message"]
    assert "reasoning_content" in chat_on["choices"][0]["message"]


def test_tool_call_picks_best_tool_with_schema_valid_arguments(http: httpx.Client) -> None:
    body = chat_body("What's the weather in Paris for 3 days, in fahrenheit?", tools=TOOLS)
    response = http.post("/chat/completions", json=body).json()
    choice = response["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["content"] == ""
    [call] = message["tool_calls"]
    assert call["index"] == 0 and call["type"] == "function"
    assert re.fullmatch(r"call_00_[A-Za-z0-9]{24}", call["id"])
    assert call["function"]["name"] == "get_weather"
    arguments = json.loads(call["function"]["arguments"])
    validate(arguments, TOOLS[0]["function"]["parameters"])
    assert arguments == {"city": "Paris", "days": 3, "unit": "fahrenheit"}


def test_tool_call_pulls_numbers_for_the_math_tool(http: httpx.Client) -> None:
    response = http.post(
        "/chat/completions", json=chat_body("What is 3 times 4.5?", tools=TOOLS)
    ).json()
    call = response["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "multiply"
    assert json.loads(call["function"]["arguments"]) == {"a": 3, "b": 4.5}


def test_forced_tool_choice_and_none(http: httpx.Client) -> None:
    forced = http.post(
        "/chat/completions",
        json=chat_body(
            "Weather please",
            tools=TOOLS,
            tool_choice={"type": "function", "function": {"name": "multiply"}},
        ),
    ).json()
    assert forced["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "multiply"
    none = http.post(
        "/chat/completions", json=chat_body("Weather please", tools=TOOLS, tool_choice="none")
    ).json()
    assert none["choices"][0]["finish_reason"] == "stop"
    assert "tool_calls" not in none["choices"][0]["message"]


def test_after_tool_result_the_reply_uses_it(http: httpx.Client) -> None:
    first = http.post("/chat/completions", json=chat_body("Weather in Oslo?", tools=TOOLS)).json()
    assistant = first["choices"][0]["message"]
    call_id = assistant["tool_calls"][0]["id"]
    messages = [
        {"role": "user", "content": "Weather in Oslo?"},
        assistant,
        {"role": "tool", "tool_call_id": call_id, "content": "Snow, -3 C"},
    ]
    second = http.post(
        "/chat/completions", json={"model": "deepseek-chat", "messages": messages, "tools": TOOLS}
    ).json()
    choice = second["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert "Snow, -3 C" in choice["message"]["content"]
    assert "get_weather" in choice["message"]["content"]


def test_thinking_tool_call_carries_reasoning_and_empty_content(http: httpx.Client) -> None:
    body = chat_body("Weather in Rome for 2 days?", model="deepseek-reasoner", tools=TOOLS)
    message = http.post("/chat/completions", json=body).json()["choices"][0]["message"]
    assert message["content"] == ""
    assert "get_weather" in message["reasoning_content"]
    assert message["tool_calls"][0]["function"]["name"] == "get_weather"


def test_streamed_tool_call_fragments_match_recording(http: httpx.Client) -> None:
    body = chat_body(
        "Weather in Paris for 2 days?",
        tools=TOOLS,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = sse_payloads(http.post("/chat/completions", json=body).text)[:-1]
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if "tool_calls" in c["choices"][0]["delta"]
    ]
    first, rest = calls[0], calls[1:]
    assert first["id"].startswith("call_00_") and first["type"] == "function"
    assert first["function"] == {"name": "get_weather", "arguments": ""}
    assert rest and all(
        set(r) == {"index", "function"} and set(r["function"]) == {"arguments"} for r in rest
    )
    arguments = json.loads("".join(r["function"]["arguments"] for r in rest))
    validate(arguments, TOOLS[0]["function"]["parameters"])
    assert chunks[-1]["choices"][0] == {
        "index": 0,
        "delta": {"content": ""},
        "logprobs": None,
        "finish_reason": "tool_calls",
    }
    assert chunks[-1]["usage"]["completion_tokens"] > 0


def test_json_mode_without_schema_gives_result_object(http: httpx.Client) -> None:
    body = chat_body(
        "What is the square root of 64? Answer in JSON.", response_format={"type": "json_object"}
    )
    content = http.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"]
    assert list(json.loads(content)) == ["result"]


def test_json_mode_with_schema_in_prompt_is_schema_valid(http: httpx.Client) -> None:
    schema = {
        "$defs": {
            "Address": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "zip": {"type": "string", "minLength": 5},
                },
                "required": ["city", "zip"],
            }
        },
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer", "minimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "address": {"$ref": "#/$defs/Address"},
            "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "active": {"type": "boolean"},
        },
        "required": ["name", "age", "tags", "address", "nickname", "active"],
    }
    system = (
        "The output should be formatted as a JSON instance that conforms to the JSON schema "
        f"below.\n```\n{json.dumps(schema)}\n```"
    )
    body = {
        "model": "deepseek-chat",
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": "Ada Lovelace is 36 and lives in London."},
        ],
        "response_format": {"type": "json_object"},
    }
    instance = json.loads(
        http.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"]
    )
    validate(instance, schema)
    assert instance["age"] == 36 and instance["name"] == "Ada Lovelace"


def test_json_example_in_prompt_is_mirrored(http: httpx.Client) -> None:
    body = chat_body(
        'Reply in json like {"answer": "...", "confidence": 0.5}',
        response_format={"type": "json_object"},
    )
    content = http.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"]
    assert set(json.loads(content)) == {"answer", "confidence"}


def test_stop_and_max_tokens(http: httpx.Client) -> None:
    stopped = http.post("/chat/completions", json=chat_body("alpha beta", stop=["said"])).json()
    assert stopped["choices"][0]["message"]["content"] == "[emulated deepseek-v4-flash] You "
    short = http.post("/chat/completions", json=chat_body("alpha beta gamma", max_tokens=3)).json()
    assert short["choices"][0]["finish_reason"] == "length"
    assert short["usage"]["completion_tokens"] == 3


def test_models_endpoint(http: httpx.Client) -> None:
    body = http.get("/models").json()
    assert body["object"] == "list"
    ids = [m["id"] for m in body["data"]]
    # Upstream lists exactly the first two in V4 (1.10); the emulator stands for the proxy, which
    # still documents the legacy names, so they are listed too (1.16).
    assert ids == ["deepseek-v4-flash", "deepseek-v4-pro", "deepseek-chat", "deepseek-reasoner"]
    assert all(
        m == {"id": m["id"], "object": "model", "owned_by": "deepseek"} for m in body["data"]
    )
    old = Emulator(era="r1", extra_models=["my-proxy-model"])
    with httpx.Client(transport=old.transport(), headers=AUTH) as client:
        ids = [m["id"] for m in client.get("https://x/models").json()["data"]]
    assert ids == ["deepseek-chat", "deepseek-reasoner", "my-proxy-model"]


def test_user_balance(http: httpx.Client) -> None:
    body = http.get("/user/balance").json()
    assert body["is_available"] is True and body["balance_infos"][0]["currency"] == "USD"


def test_cache_hits_in_blocks_of_64_when_a_prefix_repeats(http: httpx.Client) -> None:
    long_system = "You are a meticulous assistant. " * 40
    messages = [{"role": "system", "content": long_system}, {"role": "user", "content": "first"}]
    first = http.post(
        "/chat/completions", json={"model": "deepseek-chat", "messages": messages}
    ).json()["usage"]
    assert first["prompt_cache_hit_tokens"] == 0
    messages[1]["content"] = "second question"
    second = http.post(
        "/chat/completions", json={"model": "deepseek-chat", "messages": messages}
    ).json()["usage"]
    hit = second["prompt_cache_hit_tokens"]
    assert hit > 0 and hit % 64 == 0
    assert second["prompt_cache_miss_tokens"] == second["prompt_tokens"] - hit
    assert second["prompt_tokens_details"]["cached_tokens"] == hit


def test_requests_are_recorded_without_the_key(http: httpx.Client, emulator: Emulator) -> None:
    http.post("/chat/completions", json=chat_body("recorded?"), headers={"X-Custom": "1"})
    http.get("/models")
    assert emulator.request_count == 2
    first, second = emulator.requests
    assert first.method == "POST" and first.path == "/v1/chat/completions"
    assert first.json["messages"][0]["content"] == "recorded?"
    assert "authorization" not in first.headers and first.headers["x-custom"] == "1"
    assert second.method == "GET" and second.json is None
    assert emulator.last_request is second and emulator.chat_requests == [first]
    emulator.reset()
    assert emulator.request_count == 0 and emulator.requests == []


def test_recording_can_be_turned_off() -> None:
    emulator = Emulator(record_requests=False)
    with httpx.Client(transport=emulator.transport(), headers=AUTH) as client:
        client.post("https://x/v1/chat/completions", json=chat_body())
    assert emulator.request_count == 1 and emulator.requests == []


def test_unknown_path_and_wrong_method(http: httpx.Client) -> None:
    assert http.get("/nope").status_code == 404
    response = http.get("/chat/completions")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


@pytest.mark.parametrize("header", [None, "Bearer ", "Basic abc", "Bearer    "])
def test_missing_or_malformed_auth_is_401(emulator: Emulator, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    with httpx.Client(transport=emulator.transport(), headers=headers) as client:
        response = client.post("https://x/v1/chat/completions", json=chat_body())
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "authentication_error" and error["code"] == "invalid_request_error"
    assert error["message"].startswith("Authentication Fails, Your api key: ****")


def test_configured_key_must_match() -> None:
    emulator = Emulator(api_key="sk-right")
    with httpx.Client(transport=emulator.transport()) as client:
        wrong = client.post(
            "https://x/chat/completions",
            json=chat_body(),
            headers={"Authorization": "Bearer sk-test-key"},
        )
        right = client.post(
            "https://x/chat/completions",
            json=chat_body(),
            headers={"Authorization": "Bearer sk-right"},
        )
    assert wrong.status_code == 401
    assert (
        wrong.json()["error"]["message"]
        == "Authentication Fails, Your api key: ****-key is invalid"
    )
    assert right.status_code == 200


async def test_async_transport(emulator: Emulator) -> None:
    async with httpx.AsyncClient(transport=emulator.transport(), headers=AUTH) as client:
        response = await client.post(
            "https://x/v1/chat/completions", json=chat_body("async?", stream=True)
        )
        assert response.status_code == 200
        assert "async?" in "".join(
            c["choices"][0]["delta"].get("content") or "" for c in sse_payloads(response.text)[:-1]
        )


def test_models_lists_an_extra_id_once_even_when_the_proxy_documents_it() -> None:
    emulator = Emulator(extra_models=["deepseek-chat", "my-proxy-model"])
    with httpx.Client(transport=emulator.transport(), headers=AUTH) as client:
        ids = [m["id"] for m in client.get("https://x/models").json()["data"]]
    assert ids == [
        "deepseek-flash",
        "deepseek-v4-pro",
        "deepseek-chat",
        "deepseek-reasoner",
        "my-proxy-model",
    ]
