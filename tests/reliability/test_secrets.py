"""The API key never leaks: not in a repr or str, a log record at any level (httpx and httpcore
included), an exception's text, a serialised LangChain model, a LlamaIndex ``to_dict``/
``to_json``, nor any file under ``cassettes/``. Proved for the core and both adapters."""

from __future__ import annotations

import logging
import re
import traceback
from pathlib import Path
from typing import Any

import pytest

from deepseekapi_core import AsyncDeepSeekClient, DeepSeekClient
from deepseekapi_core.testing import Emulator, EmulatorServer

from .harness import (
    API_KEY,
    MODES,
    TARGETS,
    CountingTransport,
    Setup,
    closed_port,
    make_langchain,
    make_llama_index,
    run,
)

ROOT = Path(__file__).resolve().parents[2]


def leaks(text: str) -> bool:
    """Whether ``text`` shows the key, or any long part of it."""
    return API_KEY in text or API_KEY[8:] in text or API_KEY[:-8] in text


def exception_texts(error: BaseException) -> str:
    """What an exception shows: str, repr, the formatted traceback with its causes, and the
    text attributes (``message``). The raw ``body`` a server sent is data, not text, and is
    kept as sent (see docs/reliability.md)."""
    return "\n".join(
        [
            str(error),
            repr(error),
            "".join(traceback.format_exception(error)),
            str(getattr(error, "message", "")),
            repr(getattr(error, "request", "")),
        ]
    )


# --------------------------------------------------------------------------------------------
# repr, str, serialisation


def test_core_clients_hide_the_key() -> None:
    for client in (DeepSeekClient(api_key=API_KEY), AsyncDeepSeekClient(api_key=API_KEY)):
        assert not leaks(repr(client) + str(client) + repr(vars(client)))


def test_langchain_model_hides_the_key() -> None:
    from langchain_core.load import dumpd, dumps

    llm = make_langchain(Setup(transport=Emulator().transport()), None)
    texts = [
        repr(llm),
        str(llm),
        repr(llm.api_key),
        repr(llm.model_dump()),
        llm.model_dump_json(),
        repr(dumpd(llm)),
        dumps(llm),
        dumps(llm, pretty=True),
        dumps(llm.bind_tools([{"type": "function", "function": {"name": "f", "parameters": {}}}])),
        repr(llm._identifying_params),
        repr(llm._get_ls_params()),
    ]
    for text in texts:
        assert not leaks(text), text[:200]
    assert "DEEPSEEKAPI_API_KEY" in dumps(llm)  # a reference to the variable, not the value


def test_llama_index_llm_hides_the_key() -> None:
    llm = make_llama_index(Setup(transport=Emulator().transport()), None)
    texts = [
        repr(llm),
        str(llm),
        repr(llm.to_dict()),
        llm.to_json(),
        repr(llm.model_dump()),
        llm.model_dump_json(),
        repr(llm.metadata),
    ]
    for text in texts:
        assert not leaks(text), text[:200]


# --------------------------------------------------------------------------------------------
# Logs and exceptions, over real loopback sockets, for every path that logs or raises


@pytest.fixture(scope="module")
def server() -> Any:
    emulator = Emulator()
    with EmulatorServer(emulator) as server:
        yield server


def _scenarios(server: Any) -> list[tuple[str, str, Setup, Any]]:
    wrong_key = Emulator(api_key="sk-the-only-key-this-emulator-takes-0000")
    return [
        ("ok", "stream", Setup(transport=CountingTransport(), base_url=server.base_url), None),
        ("ok", "plain", Setup(transport=CountingTransport(), base_url=server.base_url), None),
        (
            "429 then ok",
            "plain",
            Setup(transport=CountingTransport(), base_url=server.base_url),
            lambda e: e.faults.status(429, retry_after_ms=1),
        ),
        (
            "500 every time",
            "stream",
            Setup(transport=CountingTransport(), base_url=server.base_url, max_retries=1),
            lambda e: e.faults.status(500, times=2),
        ),
        (
            "cut after tokens",
            "stream",
            Setup(transport=CountingTransport(), base_url=server.base_url),
            lambda e: e.faults.cut_stream(after_events=3),
        ),
        (
            "error in stream",
            "stream",
            Setup(transport=CountingTransport(), base_url=server.base_url),
            lambda e: e.faults.stream_error(after_events=2, message=f"echo {API_KEY}"),
        ),
        (
            "echoed key in error body",
            "plain",
            Setup(transport=CountingTransport(), base_url=server.base_url),
            lambda e: e.faults.status(400, message=f"bad key {API_KEY}"),
        ),
        ("401", "plain", Setup(transport=wrong_key.transport()), None),
        (
            "timeout",
            "plain",
            Setup(
                transport=CountingTransport(), base_url=server.base_url, timeout=0.05, max_retries=0
            ),
            lambda e: e.faults.latency(1.0),
        ),
        (
            "refused",
            "plain",
            Setup(
                transport=CountingTransport(),
                base_url=f"http://127.0.0.1:{closed_port()}/v1",
                max_retries=0,
            ),
            None,
        ),
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", TARGETS)
def test_key_never_in_logs_or_exceptions(
    target: str, mode: str, server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in (
        "httpx",
        "httpcore",
        "deepseekapi_core",
        "langchain_deepseekapi",
        "llama_index_deepseekapi",
        "langchain_core",
        "llama_index",
    ):
        caplog.set_level(logging.DEBUG, logger=name)
    errors = []
    for label, delivery, setup, arrange in _scenarios(server):
        server.emulator.faults.clear()
        if arrange is not None:
            arrange(server.emulator)
        outcome = run(target, mode, delivery, setup, f"Hello {label}")
        if label.startswith("ok") or label.endswith("then ok"):
            assert outcome.error is None, (label, outcome.error)
        else:
            assert outcome.error is not None, label
            errors.append(outcome.error)
    assert len(errors) == 7
    for error in errors:
        assert not leaks(exception_texts(error)), exception_texts(error)[:300]
    records = caplog.records
    assert any(r.name.startswith("httpcore") for r in records)  # DEBUG really was captured
    assert any(r.name == "deepseekapi_core" for r in records)  # the retry was logged
    for record in records:
        text = " ".join(
            [record.getMessage(), repr(record.args), record.exc_text or "", str(record.__dict__)]
        )
        assert not leaks(text), f"{record.name}: {text[:300]}"
    assert not leaks(caplog.text)


# --------------------------------------------------------------------------------------------
# Cassettes

_KEY_LITERAL = re.compile(r"""["'](sk-[A-Za-z0-9_\-]{12,})["']""")
_BEARER = re.compile(r"Bearer\s+([A-Za-z0-9_\-\.]{8,})")
_REAL_KEY_SHAPE = re.compile(r"\bsk-[0-9a-f]{32}\b")


def _test_keys() -> set[str]:
    """Every key-like literal in the project's tests, examples and benchmarks."""
    keys = {API_KEY}
    for folder in ("tests", "examples", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            keys.update(_KEY_LITERAL.findall(path.read_text(errors="replace")))
    return keys


def _cassette_files() -> list[Path]:
    roots = [ROOT / "cassettes", ROOT / "tests" / "cassette_suite"]
    return sorted(
        p
        for root in roots
        if root.exists()
        for p in root.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc")
    )


def test_no_key_in_any_cassette() -> None:
    keys = _test_keys()
    for path in _cassette_files():
        text = path.read_text(errors="replace")
        for key in keys:
            assert key not in text, f"{path.relative_to(ROOT)} holds a key from the tests"
        for token in _BEARER.findall(text):
            assert "redacted" in token.lower() or set(token) <= {"*", "x", "X"}, (
                f"{path.relative_to(ROOT)} holds a bearer token"
            )
        assert not _REAL_KEY_SHAPE.search(text), f"{path.relative_to(ROOT)} holds a key"
