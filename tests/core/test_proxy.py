"""``proxy``: one client option, defined in ``ClientOptions`` alone, that the core clients and
both adapters take by the same name and send every request through (a loopback proxy here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from deepseekapi_core import AsyncDeepSeekClient, ClientOptions, DeepSeekClient
from deepseekapi_core.http import InvalidRequestError
from deepseekapi_core.testing import Emulator

UPSTREAM = "http://upstream.invalid/v1"  # never resolved: only the proxy is reached
pytestmark = pytest.mark.filterwarnings("ignore::deepseekapi_core.http.InsecureBaseURLWarning")

COMPLETION = {
    "id": "p-1",
    "object": "chat.completion",
    "created": 0,
    "model": "deepseek-chat",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "via the proxy"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
}


class _Proxy(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_POST(self) -> None:  # a forward proxy gets the absolute URL as the request target
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        body = json.dumps(COMPLETION).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def proxy() -> Iterator[str]:
    _Proxy.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _went_through_the_proxy() -> None:
    assert _Proxy.seen == [(f"{UPSTREAM}/chat/completions", "Bearer sk-proxied")]


def test_the_core_clients_send_through_the_proxy(proxy: str) -> None:
    with DeepSeekClient(api_key="sk-proxied", base_url=UPSTREAM, proxy=proxy) as client:
        reply = client.chat(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    assert reply.message.content == "via the proxy"
    _went_through_the_proxy()


async def test_the_async_client_sends_through_the_proxy(proxy: str) -> None:
    async with AsyncDeepSeekClient(api_key="sk-proxied", base_url=UPSTREAM, proxy=proxy) as client:
        reply = await client.chat(
            model="deepseek-chat", messages=[{"role": "user", "content": "hi"}]
        )
    assert reply.message.content == "via the proxy"
    _went_through_the_proxy()


def test_langchain_takes_the_option_by_its_name(proxy: str) -> None:
    pytest.importorskip("langchain_core", reason="the LangChain adapter's framework")
    from langchain_deepseekapi import ChatDeepSeekAPI

    llm = ChatDeepSeekAPI(api_key="sk-proxied", base_url=UPSTREAM, proxy=proxy, max_retries=0)
    assert llm.invoke("hi").content == "via the proxy"
    _went_through_the_proxy()


def test_llama_index_takes_the_option_by_its_name(proxy: str) -> None:
    pytest.importorskip("llama_index.core", reason="the LlamaIndex adapter's framework")
    from llama_index.core.llms import ChatMessage

    from llama_index_deepseekapi import DeepSeekAPI

    llm = DeepSeekAPI(api_key="sk-proxied", base_url=UPSTREAM, proxy=proxy, max_retries=0)
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content == "via the proxy"
    _went_through_the_proxy()


def test_a_proxy_with_an_injected_transport_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="transport was given too"):
        ClientOptions(proxy="http://127.0.0.1:1", transport=Emulator().transport())


def test_a_proxy_password_is_never_shown() -> None:
    options = ClientOptions(proxy="http://user:hunter2@proxy.example:3128")
    assert "hunter2" not in repr(options)
    with pytest.raises(InvalidRequestError) as error:
        ClientOptions(proxy="ftp://user:hunter2@proxy.example")
    assert "hunter2" not in str(error.value)
    assert "http://, https://, socks5://" in str(error.value)
