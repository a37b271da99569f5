"""The ``deepseekapi`` command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from typing import Any

import httpx
import pytest

from deepseekapi_core.cli import _main as cli


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DEEPSEEKAPI_API_KEY", "DEEPSEEK_API_KEY", "DEEPSEEKAPI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_chat_streams_reasoning_apart(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chat", "Is 17 prime?", "--model", "deepseek-reasoner"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "emulator" in captured.err
    reasoning, answer = captured.out.split("\nanswer: ")
    assert reasoning.startswith("reasoning: [emulated reasoning]")
    assert answer.startswith("[emulated deepseek-flash]") and "Is 17 prime?" in answer


def test_chat_without_reasoning(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chat", "hello"]) == 0
    assert capsys.readouterr().out.startswith("answer: [emulated")


def test_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out.split()
    assert "deepseek-flash" in out and "deepseek-v4-pro" in out


def test_with_a_key_the_real_service_is_used(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEEPSEEKAPI_API_KEY", "sk-real")  # paired with DEEPSEEKAPI_BASE_URL
    monkeypatch.setenv("DEEPSEEKAPI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    assert cli.main(["models"]) == 1
    captured = capsys.readouterr()
    assert "Online: using the DeepSeek service at http://127.0.0.1:9/v1" in captured.err
    assert captured.err.strip().splitlines()[-1].startswith("error: ")
    assert "Traceback" not in captured.err
    assert cli.main(["models", "--emulator"]) == 0


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["chat"],
        ["fly"],
        ["chat", "x", "--via", "nope"],
        ["emulator", "--port", "x"],
        ["emulator", "--era", "v9", "--port", "0"],
        ["emulator", "--host", "0.0.0.0", "--port", "0"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("deepseekapi")


def test_missing_adapter_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing(name: str) -> types.ModuleType:
        raise ModuleNotFoundError("No module named 'langchain_core'", name="langchain_core")

    monkeypatch.setattr(cli.importlib, "import_module", missing)
    assert cli.main(["chat", "hi", "--via", "langchain"]) == 1
    assert 'pip install "deepseekapi-integrations[langchain]"' in capsys.readouterr().err


def fake_adapter(calls: list[tuple[str, dict[str, Any]]]) -> types.ModuleType:
    module = types.ModuleType("fake_cli")

    def run_demo(context: cli.HookContext) -> None:
        calls.append(
            (
                "demo",
                {
                    "transport": context.transport,
                    "async_transport": context.async_transport,
                    "api_key": context.api_key,
                },
            )
        )
        with httpx.Client(
            transport=context.transport, headers={"Authorization": f"Bearer {context.api_key}"}
        ) as client:
            reply = client.post(
                "https://x/v1/chat/completions",
                json={
                    "model": "deepseek-chat",
                    "messages": [{"role": "user", "content": "from the adapter"}],
                },
            )
        context.show("adapter says", reply.json()["choices"][0]["message"]["content"])

    def chat(context: cli.HookContext, prompt: str, model: str) -> None:
        calls.append(("chat", {"prompt": prompt, "model": model}))
        context.out("adapter chat\n")

    module.run_demo = run_demo  # type: ignore[attr-defined]
    module.chat = chat  # type: ignore[attr-defined]
    return module


def test_demo_runs_core_steps_and_adapter_hooks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    real_import = cli.importlib.import_module

    def importer(name: str, package: str | None = None) -> types.ModuleType:
        if name == "langchain_deepseekapi._cli":
            return fake_adapter(calls)
        if name == "llama_index_deepseekapi._cli":
            raise ImportError(
                'llama-index is not installed: pip install "deepseekapi-integrations[llama-index]"'
            )
        return real_import(name, package)

    monkeypatch.setattr(cli.importlib, "import_module", importer)
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("Offline: using the built-in DeepSeek emulator")
    assert all(f"[{n}/5]" in out for n in range(1, 6))
    assert "answer: [emulated deepseek-flash]" in out
    # The beta step: each feature answered through the beta URL, and the hour's price.
    assert "beta URL: https://api.deepseekapi.dev/beta" in out
    assert "prefix completion: '```python\\n" in out
    assert 'strict tool call: get_weather({"city": "Lisbon", "unit": null})' in out
    assert "fill-in-the-middle: " in out
    assert re.search(r"priced: cost \$[0-9.]+ .*; answered \S+Z, (off-)?peak hours, served by", out)
    assert "reasoning: [emulated reasoning]" in out
    assert 'adapter says: [emulated deepseek-flash] You said: "from the adapter"' in out
    assert (
        "skipped: LlamaIndex support is not installed: "
        'pip install "deepseekapi-integrations[llama-index]"' in out
    )
    assert "Demo finished against the offline emulator" in out
    [(kind, arguments)] = calls
    assert kind == "demo" and arguments["api_key"] == "sk-emulator"
    assert arguments["transport"] is arguments["async_transport"] is not None


def test_failing_adapter_step_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = types.ModuleType("broken")

    def run_demo(context: cli.HookContext) -> None:
        raise RuntimeError("agent went\nwrong")

    module.run_demo = run_demo  # type: ignore[attr-defined]
    monkeypatch.setattr(cli.importlib, "import_module", lambda name: module)
    assert cli.main(["demo"]) == 1
    out = capsys.readouterr().out
    assert "  error: agent went wrong" in out and "Traceback" not in out


def test_chat_via_adapter_hook(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(cli.importlib, "import_module", lambda name: fake_adapter(calls))
    assert cli.main(["chat", "hey", "--via", "llama-index", "--model", "deepseek-reasoner"]) == 0
    assert capsys.readouterr().out == "adapter chat\n"
    assert calls == [("chat", {"prompt": "hey", "model": "deepseek-reasoner"})]


def test_emulator_command_serves_until_stopped() -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DEEPSEEKAPI_API_KEY", "DEEPSEEK_API_KEY")
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "deepseekapi_core.cli", "emulator", "--port", "0", "--era", "v3.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("DeepSeek emulator (era v3.2) listening on http://127.0.0.1:")
        base_url = first.split(" on ")[1].strip()
        response = httpx.post(
            f"{base_url}/chat/completions",
            headers={"Authorization": "Bearer k"},
            json={"model": "deepseek-chat", "messages": [{"role": "user", "content": "served"}]},
        )
        assert response.status_code == 200 and json.loads(response.text)["model"] == "deepseek-chat"
    finally:
        process.terminate()
        process.wait(timeout=10)
