"""The API key: never in a repr, an exception's text or a log record; configuration order."""

from __future__ import annotations

import asyncio
import http.server
import json
import logging
import threading
import traceback
from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest
from pydantic import SecretStr

from deepseekapi_core import (
    APIConnectionError,
    AsyncDeepSeekClient,
    ChatCompletion,
    ChatRequest,
    DeepSeekAPIError,
    DeepSeekClient,
    MissingAPIKeyError,
    StreamInterruptedError,
)
from deepseekapi_core._adapters._holder import ClientHolder
from deepseekapi_core.http._options import ClientOptions

from .helpers import (
    API_KEY,
    BASE_URL,
    HELLO,
    USAGE,
    Driver,
    Script,
    chunk,
    completion,
    error_body,
    ok,
    sse,
    status,
    stream_response,
)
from .test_errors_and_retries import STATUS_TABLE


def exception_texts(error: BaseException) -> str:
    """Every text an exception shows: str, repr, the formatted traceback (with causes)."""
    return "\n".join(
        [str(error), repr(error), "".join(traceback.format_exception(error)), repr(vars(error))]
    )


def assert_no_key(text: str) -> None:
    assert API_KEY not in text
    assert API_KEY[8:] not in text  # not even a tail of it


# --------------------------------------------------------------------------------------------
# repr / str


@pytest.mark.parametrize("key", [API_KEY, SecretStr(API_KEY)], ids=["str", "SecretStr"])
def test_client_repr_hides_key(key: str | SecretStr) -> None:
    for client in (DeepSeekClient(api_key=key), AsyncDeepSeekClient(api_key=key)):
        for text in (repr(client), str(client), repr(vars(client))):
            assert_no_key(text)
        assert "api_key=<set>" in repr(client)
        assert client.has_api_key


@pytest.mark.parametrize("key", [API_KEY, SecretStr(API_KEY)], ids=["str", "SecretStr"])
def test_client_options_and_holder_repr_hide_key(key: str | SecretStr) -> None:
    """The adapters' client options are a dataclass: its generated repr would print a str key
    (a traceback with locals, a debugger, a log of the holder's options)."""
    options = ClientOptions(api_key=key)
    holder = ClientHolder(options)
    for text in (repr(options), str(options), repr(holder), repr(holder.options)):
        assert_no_key(text)
    assert options.api_key == key  # still there for the clients


def test_client_repr_hides_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", API_KEY)
    client = DeepSeekClient()
    assert_no_key(repr(client) + repr(vars(client)))
    assert "api_key=<set>" in repr(client)


def test_key_only_on_requests_not_on_the_pool() -> None:
    client = DeepSeekClient(api_key=API_KEY)
    assert_no_key(repr(dict(client._http.headers)))


def test_dumps_of_requests_and_replies() -> None:
    request = ChatRequest(model="deepseek-chat", messages=HELLO)
    reply = ChatCompletion.model_validate(completion())
    for text in (
        repr(request),
        request.model_dump_json(),
        repr(reply),
        reply.model_dump_json(),
    ):
        assert_no_key(text)
    client = DeepSeekClient(api_key=API_KEY)
    assert_no_key(json.dumps(client.build_body(request, stream=True)))


# --------------------------------------------------------------------------------------------
# Exceptions


@pytest.mark.parametrize(
    ("code", "cls", "retried"), STATUS_TABLE, ids=[str(s[0]) for s in STATUS_TABLE]
)
def test_status_errors_hide_key(mode: str, code: int, cls: type, retried: bool) -> None:
    driver = Driver(mode, Script([status(code, error_body("nope"), {"Retry-After": "1"})] * 3))
    with pytest.raises(cls) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert_no_key(exception_texts(caught.value))
    assert_no_key(repr(caught.value.request.headers))  # httpx masks Authorization


def test_error_text_echoing_the_key_is_redacted(mode: str) -> None:
    """A server (or proxy) that quotes the key in its error must not put it in our text."""
    echo = error_body(f"Incorrect API key provided: {API_KEY}", "authentication_error")
    page = f"<html><body>Bad gateway for Bearer {API_KEY}</body></html>"
    driver = Driver(
        mode, Script([status(401, echo), status(502, page), status(502, page)]), max_retries=1
    )
    with pytest.raises(DeepSeekAPIError) as first:
        driver.chat(model="deepseek-chat", messages=HELLO)
    with pytest.raises(DeepSeekAPIError) as second:
        driver.chat(model="deepseek-chat", messages=HELLO)
    for caught in (first, second):
        assert_no_key(str(caught.value))
        assert_no_key(repr(caught.value.body))  # type: ignore[attr-defined]
        assert "[redacted]" in str(caught.value)
    assert "Incorrect API key provided: [redacted]" in str(first.value)
    assert first.value.body["message"] == "Incorrect API key provided: [redacted]"  # type: ignore[attr-defined]


def test_stream_error_echoing_the_key_is_redacted(mode: str) -> None:
    body = sse({"error": {"message": f"key {API_KEY} suspended", "type": "authentication_error"}})
    outcome = Driver(mode, Script([stream_response(body)])).stream(
        model="deepseek-chat", messages=HELLO
    )
    assert isinstance(outcome.error, StreamInterruptedError)
    assert_no_key(str(outcome.error))
    assert_no_key(repr(outcome.error.body))  # type: ignore[attr-defined]
    assert "key [redacted] suspended" in str(outcome.error)
    assert outcome.error.body["message"] == "key [redacted] suspended"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("eof"),
    ],
    ids=repr,
)
def test_connection_errors_hide_key(mode: str, failure: Exception) -> None:
    driver = Driver(mode, Script([failure] * 3))
    with pytest.raises(APIConnectionError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert_no_key(exception_texts(caught.value))


def test_stream_errors_hide_key(mode: str) -> None:
    body = sse(chunk(content="partial"), done=False)
    driver = Driver(
        mode,
        Script(
            [
                stream_response(body, error=httpx.ReadError("reset")),
                stream_response(sse(chunk(content="x"), {"error": {"message": "overloaded"}})),
            ]
        ),
    )
    for _ in range(2):
        outcome = driver.stream(model="deepseek-chat", messages=HELLO)
        assert isinstance(outcome.error, StreamInterruptedError)
        assert_no_key(exception_texts(outcome.error))


# --------------------------------------------------------------------------------------------
# Logs


def _exercise(mode: str) -> None:
    script = Script(
        [
            status(503, error_body("overloaded")),
            httpx.ConnectError("refused"),
            ok(),
            stream_response(
                sse(chunk(content="Hi"), chunk(content="", finish_reason="stop", usage=USAGE))
            ),
            status(401, error_body("Authentication Fails")),
        ]
    )
    driver = Driver(mode, script)
    driver.chat(model="deepseek-chat", messages=HELLO)
    driver.stream(model="deepseek-chat", messages=HELLO)
    with pytest.raises(DeepSeekAPIError):
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert len(script.requests) == 5


def _all_log_text(caplog: pytest.LogCaptureFixture) -> str:
    handler_text = caplog.text
    records = "\n".join(
        f"{r.name} {r.levelname} {r.getMessage()} {r.args!r} {r.exc_text or ''}"
        for r in caplog.records
    )
    return handler_text + records


def test_no_key_in_any_log_record(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # the root: ours, httpx's, httpcore's, asyncio's
    for name in ("deepseekapi_core", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    _exercise(mode)
    names = {r.name for r in caplog.records}
    assert "deepseekapi_core" in names and "httpx" in names  # the loggers did log
    assert_no_key(_all_log_text(caplog))


class _Handler(http.server.BaseHTTPRequestHandler):
    """A loopback stand-in: 503 once, then a JSON reply or an SSE stream."""

    calls: ClassVar[int] = 0
    seen_keys: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        type(self).calls += 1
        self.seen_keys.append(self.headers.get("Authorization", ""))
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if type(self).calls == 1:
            payload, content_type, code = error_body("busy"), "application/json", 503
        elif body.get("stream"):
            payload = sse(chunk(content="Hi"), chunk(content="", finish_reason="stop"))
            content_type, code = "text/event-stream", 200
        else:
            payload, content_type, code = json.dumps(completion()).encode(), "application/json", 200
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback() -> Iterator[str]:
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    except OSError as exc:  # pragma: no cover - a sandbox without sockets
        pytest.skip(f"no loopback socket: {exc}")
    _Handler.calls = 0
    _Handler.seen_keys = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_no_key_in_logs_over_a_real_connection(
    loopback: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Through httpx's real transport, so httpcore's DEBUG traces are captured too."""
    caplog.set_level(logging.DEBUG)
    for name in ("deepseekapi_core", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    waits: list[float] = []
    with DeepSeekClient(api_key=API_KEY, base_url=loopback, sleep=waits.append) as client:
        assert client.chat(model="deepseek-chat", messages=HELLO).message.content == "Hi there"
        assert [
            c.delta.content for c in client.stream_chat(model="deepseek-chat", messages=HELLO)
        ] == ["Hi", ""]

    async def run() -> None:
        async with AsyncDeepSeekClient(api_key=API_KEY, base_url=loopback) as aclient:
            await aclient.chat(model="deepseek-chat", messages=HELLO)

    asyncio.run(run())
    assert len(waits) == 1
    assert _Handler.seen_keys == [f"Bearer {API_KEY}"] * 4  # the key did go over the wire
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert_no_key(_all_log_text(caplog))


# --------------------------------------------------------------------------------------------
# Missing key, configuration order


def test_missing_key_raised_at_first_request_not_construction(mode: str) -> None:
    script = Script([ok()])
    driver = Driver(mode, script, api_key=None)
    with pytest.raises(MissingAPIKeyError) as caught:
        driver.chat(model="deepseek-chat", messages=HELLO)
    assert "DEEPSEEKAPI_API_KEY" in str(caught.value) and "DEEPSEEK_API_KEY" in str(caught.value)
    outcome = driver.stream(model="deepseek-chat", messages=HELLO)
    assert isinstance(outcome.error, MissingAPIKeyError)
    with pytest.raises(MissingAPIKeyError):
        driver.list_models()
    assert script.requests == [] and driver.waits == []


def test_missing_key_client_is_constructible() -> None:
    client = DeepSeekClient()
    assert not client.has_api_key
    assert "api_key=<missing>" in repr(client)
    iterator = client.stream_chat(model="deepseek-chat", messages=HELLO)  # nothing sent yet
    with pytest.raises(MissingAPIKeyError):
        next(iterator)


def _sent_key(client: DeepSeekClient, script: Script) -> str:
    client.chat(model="deepseek-chat", messages=HELLO)
    return script.requests[-1].headers["authorization"].removeprefix("Bearer ")


def test_key_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script([ok() for _ in range(5)])
    transport = httpx.MockTransport(script)
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-from-deepseek-env")
    assert _sent_key(DeepSeekClient(transport=transport), script) == "sk-from-deepseek-env"
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", "sk-from-deepseekapi-env")
    assert _sent_key(DeepSeekClient(transport=transport), script) == "sk-from-deepseekapi-env"
    assert _sent_key(DeepSeekClient(api_key="sk-arg", transport=transport), script) == "sk-arg"
    assert (
        _sent_key(DeepSeekClient(api_key=SecretStr("sk-secret"), transport=transport), script)
        == "sk-secret"
    )
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", "")  # empty counts as unset
    assert _sent_key(DeepSeekClient(transport=transport), script) == "sk-from-deepseek-env"


def test_base_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DeepSeekClient(api_key="k").base_url == "https://api.deepseekapi.dev/v1"
    monkeypatch.setenv("DEEPSEEKAPI_BASE_URL", "https://proxy.example/v1/")
    assert DeepSeekClient(api_key="k").base_url == "https://proxy.example/v1"
    assert DeepSeekClient(api_key="k", base_url="https://other.example/v2").base_url == (
        "https://other.example/v2"
    )
    script = Script([ok()])
    DeepSeekClient(api_key="k", transport=httpx.MockTransport(script)).chat(
        model="deepseek-chat", messages=HELLO
    )
    assert str(script.requests[0].url) == "https://proxy.example/v1/chat/completions"


def test_default_headers_are_added() -> None:
    script = Script([ok()])
    DeepSeekClient(
        api_key=API_KEY,
        base_url=BASE_URL,
        transport=httpx.MockTransport(script),
        default_headers={"X-Team": "search"},
    ).chat(model="deepseek-chat", messages=HELLO)
    headers = script.requests[0].headers
    assert headers["x-team"] == "search"
    assert headers["user-agent"].startswith("deepseekapi-integrations/")
