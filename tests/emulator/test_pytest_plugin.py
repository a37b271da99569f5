"""The pytest fixtures shipped with the package (registered through the pytest11 entry point)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import openai
import pytest

from deepseekapi_core import DeepSeekClient
from deepseekapi_core.testing import Emulator, EmulatorServer, EmulatorTransport, Era


def test_emulator_fixture_is_fresh_and_newest(deepseek_emulator: Emulator) -> None:
    assert isinstance(deepseek_emulator, Emulator)
    assert deepseek_emulator.era is Era.V4_1 and deepseek_emulator.request_count == 0


@pytest.mark.deepseek_emulator(era="r1", api_key="sk-only")
def test_marker_configures_the_emulator(
    deepseek_emulator: Emulator, deepseek_emulator_transport: EmulatorTransport
) -> None:
    assert deepseek_emulator.era is Era.R1 and deepseek_emulator.api_key == "sk-only"
    with DeepSeekClient(
        api_key="sk-only", transport=deepseek_emulator_transport, era=Era.R1
    ) as client:
        reply = client.chat(
            model="deepseek-reasoner", messages=[{"role": "user", "content": "old era"}]
        )
    assert reply.model == "deepseek-reasoner"  # no V4 alias in the R1 era


def test_transport_fixture_serves_the_same_emulator(
    deepseek_emulator: Emulator, deepseek_emulator_transport: EmulatorTransport
) -> None:
    deepseek_emulator.script.reply_text("from the fixture")
    with DeepSeekClient(api_key="k", transport=deepseek_emulator_transport) as client:
        assert (
            client.chat(
                model="deepseek-chat", messages=[{"role": "user", "content": "hi"}]
            ).message.content
            == "from the fixture"
        )
    assert deepseek_emulator.request_count == 1


def test_server_fixture(
    deepseek_emulator_server: EmulatorServer, deepseek_emulator: Emulator
) -> None:
    assert (
        deepseek_emulator_server.emulator is deepseek_emulator and deepseek_emulator_server.running
    )
    client = openai.OpenAI(base_url=deepseek_emulator_server.base_url, api_key="k", max_retries=0)
    client.chat.completions.create(
        model="deepseek-chat", messages=[{"role": "user", "content": "hi"}]
    )
    client.close()
    assert (
        httpx.get(
            f"{deepseek_emulator_server.base_url}/models", headers={"Authorization": "Bearer k"}
        ).status_code
        == 200
    )
    assert deepseek_emulator.request_count == 2


def test_plugin_import_is_cheap() -> None:
    code = (
        "import sys; import deepseekapi_core.testing.pytest_plugin; "
        "prefixes = ('deepseekapi_core.testing._', 'langchain', 'llama_index'); "
        "print(any(m.startswith(prefixes) for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
