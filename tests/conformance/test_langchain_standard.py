"""langchain-tests' standard suites for ChatDeepSeekAPI.

The unit suite runs as is. The integration suite runs offline against the emulator, in-process
(an httpx transport serving both sync and async calls): no socket is opened. Each feature flag
below that turns a standard test off says why the service cannot support it.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from unittest import mock

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumpd, load
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.utils.function_calling import tool_example_to_messages
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from deepseekapi_core.testing import Emulator
from langchain_deepseekapi import ChatDeepSeekAPI

_KEY = "sk-emulated-conformance"
# The image tests download a sample picture with httpx.get; this committed PNG stands in for it.
_SAMPLE_IMAGE = Path(__file__).parents[1] / "data" / "images" / "sample.png"
_SAMPLE_URL_PREFIX = "https://raw.githubusercontent.com/langchain-ai/docs/"


class TestChatDeepSeekAPIUnit(ChatModelUnitTests):
    """The standard unit tests (no requests are made)."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatDeepSeekAPI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "deepseek-chat"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"DEEPSEEKAPI_API_KEY": "api_key", "DEEPSEEKAPI_BASE_URL": "https://example.test/v1"},
            {"model": "deepseek-chat"},
            {"api_key": "api_key", "base_url": "https://example.test/v1"},
        )

    # deepseek-chat reads text only: no image, PDF, audio or video input (images are tested on
    # deepseek-flash in TestChatDeepSeekAPIVisionIntegration).
    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str | None:
        return "deepseek-reasoner"

    @pytest.mark.xfail(
        strict=True,
        reason=(
            "load(..., allowed_objects='all') admits only classes listed in langchain-core's "
            "own serialization mapping, so no package outside it can pass; the same checks "
            "run in test_serdes_with_class_allowed"
        ),
    )
    def test_serdes(self, model: BaseChatModel, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)

    def test_serdes_with_class_allowed(self, model: BaseChatModel, snapshot: Any) -> None:
        """The standard serdes checks, loading with ``allowed_objects=[ChatDeepSeekAPI]``.

        Same snapshot of ``dumpd``, key serialised as a secret reference, and a round trip
        through ``load``, as users load this class.
        """
        env_params, _model_params, _expected = self.init_from_env_params
        with mock.patch.dict(os.environ, env_params):
            ser = dumpd(model)
            assert ser == snapshot(name="serialized")
            assert ser["kwargs"]["api_key"] == {
                "lc": 1,
                "type": "secret",
                "id": ["DEEPSEEKAPI_API_KEY"],
            }
            loaded = load(
                ser,
                valid_namespaces=model.get_lc_namespace()[:1],
                allowed_objects=[ChatDeepSeekAPI],
                secrets_from_env=True,
            )
            assert isinstance(loaded, ChatDeepSeekAPI)
            assert model.asdict() == loaded.asdict()
            assert loaded.api_key is not None
            assert loaded.api_key.get_secret_value() == env_params["DEEPSEEKAPI_API_KEY"]


class TestChatDeepSeekAPIIntegration(ChatModelIntegrationTests):
    """The standard integration tests, against the strict emulator (newest era)."""

    @pytest.fixture(autouse=True)
    def _emulator(self) -> None:
        # A fresh emulator per test: its context cache and request log start empty.
        self.emulator = Emulator(api_key=_KEY)

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatDeepSeekAPI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": "deepseek-chat",
            "api_key": _KEY,
            "transport": self.emulator.transport(),
        }

    @property
    def supports_json_mode(self) -> bool:
        return True

    # deepseek-chat and deepseek-reasoner read text only (V4.1 sends images through
    # deepseek-flash, tested below): images, PDFs, audio and video are refused with a clear
    # error before sending, in messages and in tool results, instead of being dropped.
    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        return False

    @property
    def supports_video_inputs(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False

    # Anthropic-format content blocks (tool_use / image source blocks) are not translated:
    # this is DeepSeek's OpenAI-style wire format.
    @property
    def supports_anthropic_inputs(self) -> bool:
        return False

    # enable_vcr_tests stays False: these tests run against the emulator in-process, not
    # against recorded cassettes, so test_stream_time (a benchmark over a VCR replay) is skipped.

    # The service answers the legacy aliases under the model's real id (V4: deepseek-chat ->
    # "deepseek-v4-flash", as real recordings show; V4.1: -> "deepseek-flash"), and
    # response_metadata reports what the service said. So the override is an id that comes
    # back verbatim.
    @property
    def model_override_value(self) -> str | None:
        return "deepseek-v4-pro"

    @property
    def supported_usage_metadata_details(
        self,
    ) -> dict[
        Literal["invoke", "stream"],
        list[
            Literal[
                "audio_input",
                "audio_output",
                "reasoning_output",
                "cache_read_input",
                "cache_creation_input",
            ]
        ],
    ]:
        return {
            "invoke": ["reasoning_output", "cache_read_input"],
            "stream": ["reasoning_output", "cache_read_input"],
        }

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        llm = ChatDeepSeekAPI(
            model="deepseek-reasoner", api_key=_KEY, transport=self.emulator.transport()
        )
        return _run(llm, "Why is the sky blue? Think it through.", stream=stream)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        llm = ChatDeepSeekAPI(
            model="deepseek-chat", api_key=_KEY, transport=self.emulator.transport()
        )
        prompt = "Summarise the following context. " + "The context is long. " * 200
        _run(llm, prompt, stream=stream)
        return _run(llm, prompt, stream=stream)  # the second time, the prefix is cached


def _run(llm: ChatDeepSeekAPI, prompt: str, *, stream: bool) -> AIMessage:
    if not stream:
        return llm.invoke(prompt)
    full = None
    for chunk in llm.stream(prompt):
        full = chunk if full is None else full + chunk
    assert isinstance(full, AIMessage)
    return full


class TestChatDeepSeekAPIReasonerIntegration(TestChatDeepSeekAPIIntegration):
    """The same standard integration tests with ``deepseek-reasoner`` (thinking mode), whose
    tool-call turns the strict emulator rejects unless their reasoning comes back."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {**super().chat_model_params, "model": "deepseek-reasoner"}

    # Thinking mode accepts tool_choice "auto" and "none" only (the service answers 400
    # "Thinking mode does not support this tool_choice" to "required" or a named function), so
    # the tool tests run without forcing the tool, as the suite does for such models.
    @property
    def has_tool_choice(self) -> bool:
        return False

    def test_unicode_tool_call_unforced(self, model: BaseChatModel) -> None:
        """The standard Unicode tool-call checks, with tool_choice="auto"."""
        super().test_unicode_tool_call_integration(model, tool_choice="auto", force_tool_call=True)

    def test_few_shot_examples_unforced(self, model: BaseChatModel, my_adder_tool: Any) -> None:
        """The standard few-shot tool example history, with tool_choice left to the model."""
        tool_schema = my_adder_tool.args_schema
        function_result = json.dumps({"result": 3})
        few_shot = tool_example_to_messages(
            "What is 1 + 2",
            [tool_schema(a=1, b=2)],
            tool_outputs=[function_result],
            ai_response=function_result,
        )
        result = model.bind_tools([my_adder_tool]).invoke(
            [*few_shot, HumanMessage("What is 3 + 4")]
        )
        assert isinstance(result, AIMessage)
        assert result.tool_calls and result.tool_calls[0]["name"] == "my_adder_tool"


class TestChatDeepSeekAPIVisionIntegration(TestChatDeepSeekAPIReasonerIntegration):
    """The standard integration tests on ``deepseek-flash`` (V4.1 Flash: thinking by default,
    image input), with the image tests on: images in HumanMessage and ToolMessage content, as
    base64 (standard and OpenAI blocks) and as URLs.

    The suite fetches its sample image with ``httpx.get``; that one URL is served from a
    committed file, so nothing leaves the machine. The URL-form image goes to the emulator as a
    URL, which it does not fetch (it fetches loopback URLs only) and counts at the plateau.
    """

    @pytest.fixture(autouse=True)
    def _sample_image_offline(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        real_get = httpx.get

        def offline_get(url: str, *args: Any, **kwargs: Any) -> httpx.Response:
            if url.startswith(_SAMPLE_URL_PREFIX):
                return httpx.Response(
                    200, content=_SAMPLE_IMAGE.read_bytes(), request=httpx.Request("GET", url)
                )
            return real_get(url, *args, **kwargs)

        monkeypatch.setattr(httpx, "get", offline_get)
        yield

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {**super().chat_model_params, "model": "deepseek-flash"}

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    # Anthropic's image source blocks are translated like the standard ones, and its tool_use
    # blocks in AIMessage content are sent from tool_calls: the suite's Anthropic-format
    # conversation (with an image) goes through on the vision model.
    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    def test_sample_image_is_described_not_seen(self, model: BaseChatModel) -> None:
        """What the image tests send reaches the emulator as an image it sized honestly."""
        data = base64.b64encode(_SAMPLE_IMAGE.read_bytes()).decode()
        reply = model.invoke(
            [
                HumanMessage(
                    content=[
                        {"type": "text", "text": "Describe this."},
                        {"type": "image", "base64": data, "mime_type": "image/png"},
                    ]
                )
            ]
        )
        assert isinstance(reply.content, str)
        assert "a PNG image of 640x427 px (274 tokens)" in reply.content
