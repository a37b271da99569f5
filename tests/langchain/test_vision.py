"""Image input through ChatDeepSeekAPI, end to end against the emulator (V4.1): standard image
blocks (v1 and v0), OpenAI ``image_url`` parts, in HumanMessage and ToolMessage content,
invoked, streamed and awaited; and the errors raised before anything is sent."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from deepseekapi_core import ImagePart, InvalidRequestError
from deepseekapi_core.testing import Emulator, ImageServer
from langchain_deepseekapi import ChatDeepSeekAPI
from langchain_deepseekapi._messages import to_core_messages

from .conftest import ModelFactory

IMAGES = Path(__file__).parents[1] / "data" / "images"
PNG = (IMAGES / "sample.png").read_bytes()  # 640x427
JPEG = (IMAGES / "sample.jpg").read_bytes()  # 320x240
B64_PNG = base64.b64encode(PNG).decode()
B64_JPEG = base64.b64encode(JPEG).decode()
PNG_SEEN = "a PNG image of 640x427 px (274 tokens)"
JPEG_SEEN = "a JPEG image of 320x240 px (184 tokens)"

IMAGE_BLOCKS: dict[str, dict[str, Any]] = {
    "v1-base64": {"type": "image", "base64": B64_PNG, "mime_type": "image/png"},
    "v0-base64": {
        "type": "image",
        "source_type": "base64",
        "data": B64_PNG,
        "mime_type": "image/png",
    },
    "openai-data-url": {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{B64_PNG}"},
    },
}


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with ImageServer({"photo.jpg": JPEG, "diagram.png": PNG}) as running:
        yield running


@pytest.fixture
def flash(make_llm: ModelFactory) -> ChatDeepSeekAPI:
    return make_llm(model="deepseek-flash")


def ask(*blocks: dict[str, Any]) -> list[BaseMessage]:
    return [HumanMessage(content=[{"type": "text", "text": "What is in this picture?"}, *blocks])]


def tool_turn(result: ToolMessage) -> list[BaseMessage]:
    return [
        HumanMessage("Take a photo and describe it."),
        AIMessage(
            "", tool_calls=[{"name": "snap", "args": {}, "id": "call_1", "type": "tool_call"}]
        ),
        result,
    ]


def text(message: BaseMessage) -> str:
    assert isinstance(message.content, str)
    return message.content


# --------------------------------------------------------------------------------------------
# Conversion


@pytest.mark.parametrize("block", IMAGE_BLOCKS.values(), ids=IMAGE_BLOCKS.keys())
def test_inline_blocks_become_image_parts(block: dict[str, Any]) -> None:
    (message,) = to_core_messages(ask(block))
    assert isinstance(message.content, list)
    part = message.content[1]
    assert isinstance(part, ImagePart)
    assert part.image_url.url == f"data:image/png;base64,{B64_PNG}"


def test_text_only_list_content_stays_a_string() -> None:
    (message,) = to_core_messages([HumanMessage(content=[{"type": "text", "text": "a"}, "b"])])
    assert message.content == "a\nb"


def test_a_pdf_block_is_named_by_message_and_part() -> None:
    pdf = {"type": "file", "base64": "JVBERi0xLjcK", "mime_type": "application/pdf"}
    with pytest.raises(InvalidRequestError) as caught:
        to_core_messages([SystemMessage("s"), *ask(pdf)])
    assert str(caught.value).startswith("messages[1] (HumanMessage) part 1 is 'file'")


def test_an_image_labelled_wrongly_is_refused() -> None:
    wrong = {"type": "image", "base64": B64_JPEG, "mime_type": "image/png"}
    with pytest.raises(InvalidRequestError, match=r"part 1: the image is labelled 'image/png'"):
        to_core_messages(ask(wrong))


def test_images_are_refused_on_system_and_ai_messages() -> None:
    with pytest.raises(InvalidRequestError, match="text only"):
        to_core_messages([SystemMessage(content=[IMAGE_BLOCKS["v1-base64"]])])


# --------------------------------------------------------------------------------------------
# End to end (emulator)


@pytest.mark.parametrize("block", IMAGE_BLOCKS.values(), ids=IMAGE_BLOCKS.keys())
def test_invoke_with_an_inline_png(
    flash: ChatDeepSeekAPI, emulator: Emulator, block: dict[str, Any]
) -> None:
    reply = flash.invoke(ask(block))
    assert PNG_SEEN in text(reply)
    sent = emulator.last_request
    assert sent is not None
    assert sent.json["messages"][0]["content"][1] == IMAGE_BLOCKS["openai-data-url"]


def test_image_tokens_show_in_usage(flash: ChatDeepSeekAPI) -> None:
    without = flash.invoke(ask())
    with_png = flash.invoke(ask(IMAGE_BLOCKS["v1-base64"]))
    assert without.usage_metadata is not None and with_png.usage_metadata is not None
    assert with_png.usage_metadata["input_tokens"] - without.usage_metadata["input_tokens"] == 274


def test_url_image_is_passed_on_not_fetched_by_the_adapter(
    flash: ChatDeepSeekAPI, emulator: Emulator, server: ImageServer
) -> None:
    url = server.url("photo.jpg")
    reply = flash.invoke(ask({"type": "image", "url": url}))
    sent = emulator.last_request
    assert sent is not None
    assert sent.json["messages"][0]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": url},
    }
    assert JPEG_SEEN in text(reply)
    assert server.requests == ["/photo.jpg"]  # once: by the emulator (the service), not by us


def test_streamed_reply_with_a_jpeg(flash: ChatDeepSeekAPI) -> None:
    block = {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{B64_JPEG}"}}
    chunks = list(flash.stream(ask(block)))
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    assert JPEG_SEEN in text(full)


def test_async_invoke_with_a_url_image(flash: ChatDeepSeekAPI, server: ImageServer) -> None:
    reply = asyncio.run(flash.ainvoke(ask({"type": "image", "url": server.url("diagram.png")})))
    assert PNG_SEEN in text(reply)


@pytest.mark.parametrize(
    "content",
    [
        [{"type": "image", "base64": B64_JPEG, "mime_type": "image/jpeg"}],
        [{"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{B64_JPEG}"}}],
    ],
    ids=["standard", "openai"],
)
def test_image_in_a_tool_result(flash: ChatDeepSeekAPI, content: list[dict[str, Any]]) -> None:
    result = ToolMessage(content=content, tool_call_id="call_1", name="snap")  # type: ignore[arg-type]
    reply = flash.invoke(tool_turn(result))
    assert "The snap tool returned" in text(reply) and JPEG_SEEN in text(reply)


def test_streamed_tool_result_with_a_url_image(flash: ChatDeepSeekAPI, server: ImageServer) -> None:
    result = ToolMessage(
        content=[{"type": "image", "url": server.url("photo.jpg")}],  # type: ignore[list-item]
        tool_call_id="call_1",
    )
    chunks = list(flash.stream(tool_turn(result)))
    assert JPEG_SEEN in "".join(text(chunk) for chunk in chunks)


# --------------------------------------------------------------------------------------------
# Models that cannot see


def test_a_text_only_model_fails_before_sending(make_llm: ModelFactory, emulator: Emulator) -> None:
    llm = make_llm(model="deepseek-chat")
    with pytest.raises(InvalidRequestError, match=r"messages\[0\] part 1 is an image.*text only"):
        llm.invoke(ask(IMAGE_BLOCKS["v1-base64"]))
    with pytest.raises(InvalidRequestError, match="text only"):
        list(llm.stream(ask(IMAGE_BLOCKS["v1-base64"])))
    assert emulator.request_count == 0


def test_v4_pro_needs_the_opt_in(make_llm: ModelFactory, emulator: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="drops them silently"):
        make_llm(model="deepseek-v4-pro").invoke(ask(IMAGE_BLOCKS["v1-base64"]))
    assert emulator.request_count == 0
    opted = make_llm(model="deepseek-v4-pro", allow_dropped_images=True)
    reply = opted.invoke(ask(IMAGE_BLOCKS["v1-base64"]))
    assert emulator.request_count == 1
    assert "PNG" not in text(reply)  # the service drops it; nothing pretends otherwise


def test_file_id_images_are_a_clear_error(flash: ChatDeepSeekAPI, emulator: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="uploaded file by id"):
        flash.invoke(ask({"type": "image", "file_id": "file-abc"}))
    assert emulator.request_count == 0


# --------------------------------------------------------------------------------------------
# What the model says it takes


@pytest.mark.parametrize(
    ("model", "sees"),
    [
        ("deepseek-flash", True),
        ("deepseek-v4-flash", True),
        ("deepseek-v4-flash-vision-exp", True),
        ("deepseek-chat", False),
        ("deepseek-v4-pro", False),
    ],
)
def test_profile_reports_image_input(model: str, sees: bool) -> None:
    profile = ChatDeepSeekAPI(model=model, api_key="sk-x").profile
    assert profile is not None
    assert profile["image_inputs"] is sees
    assert profile.get("image_url_inputs") is sees
    assert profile.get("image_tool_message") is sees


def test_the_opt_in_also_works_per_call(make_llm: ModelFactory, emulator: Emulator) -> None:
    pro = make_llm(model="deepseek-v4-pro")
    pro.invoke(ask(IMAGE_BLOCKS["v1-base64"]), allow_dropped_images=True)
    assert emulator.request_count == 1
    sent = emulator.last_request
    assert sent is not None and "allow_dropped_images" not in sent.json  # not a wire field
