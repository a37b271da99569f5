"""The loopback server: the official OpenAI SDK, raw httpx, curl, concurrency, socket faults."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
from collections.abc import Iterator

import httpx
import openai
import pytest

from deepseekapi_core.testing import Emulator, EmulatorServer

from .conftest import AUTH, chat_body, sse_payloads


@pytest.fixture(scope="module")
def shared() -> Iterator[EmulatorServer]:
    with EmulatorServer(Emulator()) as server:
        yield server


@pytest.fixture
def server(shared: EmulatorServer) -> EmulatorServer:
    shared.emulator.reset()
    return shared


def test_binds_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        EmulatorServer(host="0.0.0.0")
    with EmulatorServer() as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1" and server.port > 0
        assert server.running
    assert not server.running


def test_openai_sdk_plain_and_usage(server: EmulatorServer) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    completion = client.chat.completions.create(
        model="deepseek-chat", messages=[{"role": "user", "content": "Hello SDK"}]
    )
    assert completion.choices[0].message.content.startswith("[emulated deepseek-flash]")  # type: ignore[union-attr]
    assert completion.usage is not None and completion.usage.prompt_tokens > 0
    assert server.emulator.last_request is not None
    assert server.emulator.last_request.headers["user-agent"].startswith("OpenAI/Python")
    client.close()


def test_openai_sdk_stream_with_reasoning_and_usage(server: EmulatorServer) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    stream = client.chat.completions.create(
        model="deepseek-reasoner",
        messages=[{"role": "user", "content": "Think first"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    reasoning, content, usage = "", "", None
    for chunk in stream:
        if chunk.choices:
            delta = chunk.choices[0].delta
            reasoning += getattr(delta, "reasoning_content", None) or ""
            content += delta.content or ""
        usage = chunk.usage or usage
    assert reasoning.startswith("[emulated reasoning]") and "Think first" in content
    assert usage is not None and usage.completion_tokens_details.reasoning_tokens > 0  # type: ignore[union-attr]
    client.close()


def test_openai_sdk_tool_loop(server: EmulatorServer) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather in a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    messages: list[dict[str, object]] = [{"role": "user", "content": "Weather in Lisbon?"}]
    first = client.chat.completions.create(model="deepseek-chat", messages=messages, tools=tools)  # type: ignore[arg-type]
    call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {
        "city": "Lisbon"
    }  # type: ignore[union-attr]
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "21 C"},
    ]
    second = client.chat.completions.create(model="deepseek-chat", messages=messages, tools=tools)  # type: ignore[arg-type]
    assert "21 C" in (second.choices[0].message.content or "")
    client.close()


def test_openai_sdk_maps_errors_and_retries(server: EmulatorServer) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=2)
    server.emulator.faults.status(503, retry_after_ms=10, times=2)
    completion = client.chat.completions.create(
        model="deepseek-chat", messages=[{"role": "user", "content": "x"}]
    )
    assert completion.choices[0].message.content and server.emulator.request_count == 3
    with pytest.raises(openai.BadRequestError, match="The supported API model names are"):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.chat.completions.create(
            model="deepseek-chat", messages=[{"role": "user", "content": {"bad": 1}}]
        )  # type: ignore[typeddict-item]
    assert caught.value.response.text.startswith("Failed to deserialize the JSON body")
    client.close()


def test_openai_sdk_lists_models(server: EmulatorServer) -> None:
    client = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    ids = [m.id for m in client.models.list()]
    # The upstream ids, then the ids the proxy documents (wire notes 1.16).
    assert ids == ["deepseek-flash", "deepseek-v4-pro", "deepseek-chat", "deepseek-reasoner"]
    client.close()


async def test_async_openai_sdk(server: EmulatorServer) -> None:
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
    results = await asyncio.gather(
        *(
            client.chat.completions.create(
                model="deepseek-chat", messages=[{"role": "user", "content": f"q{i}"}]
            )
            for i in range(20)
        )
    )
    assert [f'"q{i}"' in (r.choices[0].message.content or "") for i, r in enumerate(results)] == [
        True
    ] * 20
    await client.close()


def test_httpx_streaming_uses_chunked_transfer_and_keep_alive(server: EmulatorServer) -> None:
    with httpx.Client(base_url=server.base_url, headers=AUTH) as client:
        with client.stream(
            "POST", "/chat/completions", json=chat_body("stream me", stream=True)
        ) as response:
            assert response.headers["transfer-encoding"] == "chunked"
            assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
            text = "".join(response.iter_text())
        assert sse_payloads(text)[-1] == "[DONE]"
        again = client.post("/chat/completions", json=chat_body())  # same pooled connection
        assert again.status_code == 200 and again.headers["connection"] == "keep-alive"
    assert server.emulator.request_count == 2


def test_paths_without_v1(server: EmulatorServer) -> None:
    response = httpx.post(f"{server.url}/chat/completions", json=chat_body(), headers=AUTH)
    assert response.status_code == 200


def test_cut_stream_closes_the_socket(server: EmulatorServer) -> None:
    server.emulator.faults.cut_stream(after_events=2)
    received = b""
    with (
        httpx.Client(base_url=server.base_url, headers=AUTH) as client,
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("POST", "/chat/completions", json=chat_body(stream=True)) as response,
    ):
        for chunk in response.iter_bytes():
            received += chunk
    assert received.count(b"data: ") == 2


def test_drop_connection_closes_without_response(server: EmulatorServer) -> None:
    server.emulator.faults.drop_connection()
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{server.base_url}/chat/completions", json=chat_body(), headers=AUTH)


def test_raw_socket_chunked_request_and_expect_continue(server: EmulatorServer) -> None:
    body = json.dumps(chat_body("chunked upload")).encode()
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        + b"%x\r\n%s\r\n0\r\n\r\n"
        % (len(body), body)
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert b"chunked upload" in data


async def test_many_concurrent_connections(server: EmulatorServer) -> None:
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=server.base_url, headers=AUTH, limits=limits, timeout=30
    ) as client:
        responses = await asyncio.gather(
            *(
                client.post("/chat/completions", json=chat_body(f"n{i}", stream=i % 2 == 0))
                for i in range(1000)
            )
        )
    assert all(r.status_code == 200 for r in responses)
    assert server.emulator.request_count == 1000


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl(server: EmulatorServer) -> None:
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "-N",
            f"{server.base_url}/chat/completions",
            "-H",
            "Authorization: Bearer sk-test",
            "-H",
            "Content-Type: application/json",
            "-d",
            json.dumps(chat_body("from curl", model="deepseek-reasoner", stream=True)),
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    payloads = sse_payloads(result.stdout)
    assert payloads[-1] == "[DONE]"
    assert "from curl" in "".join(
        p["choices"][0]["delta"].get("content") or "" for p in payloads[:-1]
    )


def test_port_in_use_raises_oserror() -> None:
    with EmulatorServer() as first, pytest.raises(OSError):
        EmulatorServer(port=first.port).start()
