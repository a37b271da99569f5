"""Image input through DeepSeekAPI, end to end against the emulator (V4.1): ``ImageBlock`` with
bytes, a path or a URL, in user messages and tool results, chat and stream, sync and async;
``complete(prompt, image_documents=...)``; metadata; the errors raised before sending."""

from __future__ import annotations

import asyncio
import base64
import runpy
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock, ToolCallBlock
from llama_index.core.schema import ImageNode

from deepseekapi_core import ImagePart, InvalidRequestError
from deepseekapi_core.testing import Emulator, ImageServer
from llama_index_deepseekapi import DeepSeekAPI
from llama_index_deepseekapi._messages import to_core_messages

IMAGES = Path(__file__).parents[1] / "data" / "images"
PNG_PATH = IMAGES / "sample.png"  # 640x427
JPEG_PATH = IMAGES / "sample.jpg"  # 320x240
PNG = PNG_PATH.read_bytes()
JPEG = JPEG_PATH.read_bytes()
PNG_SEEN = "a PNG image of 640x427 px (274 tokens)"
JPEG_SEEN = "a JPEG image of 320x240 px (184 tokens)"

Factory = Callable[..., DeepSeekAPI]


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with ImageServer({"photo.jpg": JPEG, "diagram.png": PNG}) as running:
        yield running


@pytest.fixture
def flash(make_llm: Factory) -> DeepSeekAPI:
    return make_llm(model="deepseek-flash")


def ask(*images: ImageBlock) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[TextBlock(text="What is in this picture?"), *images])]


def tool_turn(*images: ImageBlock) -> list[ChatMessage]:
    return [
        ChatMessage(role="user", content="Take a photo and describe it."),
        ChatMessage(
            role="assistant",
            blocks=[ToolCallBlock(tool_call_id="call_1", tool_name="snap", tool_kwargs={})],
        ),
        ChatMessage(role="tool", blocks=list(images), additional_kwargs={"tool_call_id": "call_1"}),
    ]


# --------------------------------------------------------------------------------------------
# Conversion


@pytest.mark.parametrize(
    "block",
    [
        ImageBlock(image=PNG),
        ImageBlock(image=PNG, image_mimetype="image/png"),
        ImageBlock(path=PNG_PATH),
        ImageBlock(url="data:image/png;base64," + base64.b64encode(PNG).decode()),
    ],
    ids=["bytes", "bytes-mime", "path", "data-url"],
)
def test_image_blocks_become_inline_parts(block: ImageBlock) -> None:
    (message,) = to_core_messages(ask(block))
    assert isinstance(message.content, list)
    part = message.content[1]
    assert isinstance(part, ImagePart)
    assert part.image_url.url.startswith("data:image/png;base64,iVBORw0KGgo")


def test_a_url_block_is_passed_on_with_its_detail() -> None:
    (message,) = to_core_messages(ask(ImageBlock(url="https://example.com/cat.png", detail="low")))
    assert isinstance(message.content, list)
    assert message.content[1].model_dump(exclude_none=True) == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.png", "detail": "low"},
    }


def test_a_pdf_is_named_by_message_and_part(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.png"
    pdf.write_bytes(b"%PDF-1.7\n")
    with pytest.raises(InvalidRequestError) as caught:
        to_core_messages([ChatMessage(role="system", content="s"), *ask(ImageBlock(path=pdf))])
    assert str(caught.value).startswith("messages[1] part 1:")
    assert "a PDF" in str(caught.value)


def test_images_on_assistant_messages_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="text only"):
        to_core_messages([ChatMessage(role="assistant", blocks=[ImageBlock(image=PNG)])])


# --------------------------------------------------------------------------------------------
# End to end (emulator)


@pytest.mark.parametrize(
    "block",
    [ImageBlock(image=PNG), ImageBlock(path=PNG_PATH)],
    ids=["bytes", "path"],
)
def test_chat_with_a_png(flash: DeepSeekAPI, emulator: Emulator, block: ImageBlock) -> None:
    response = flash.chat(ask(block))
    assert PNG_SEEN in (response.message.content or "")
    sent = emulator.last_request
    assert sent is not None
    assert sent.json["messages"][0]["content"][1]["image_url"]["url"].startswith("data:image/png")


def test_chat_with_a_url_jpeg(flash: DeepSeekAPI, server: ImageServer) -> None:
    response = flash.chat(ask(ImageBlock(url=server.url("photo.jpg"))))
    assert JPEG_SEEN in (response.message.content or "")
    assert server.requests == ["/photo.jpg"]  # fetched once, by the emulator


def test_stream_chat_with_a_jpeg(flash: DeepSeekAPI) -> None:
    *_, last = flash.stream_chat(ask(ImageBlock(image=JPEG)))
    assert JPEG_SEEN in (last.message.content or "")


def test_async_chat_and_stream(flash: DeepSeekAPI, server: ImageServer) -> None:
    async def run() -> tuple[str, str]:
        answer = await flash.achat(ask(ImageBlock(url=server.url("diagram.png"))))
        text = ""
        async for chunk in await flash.astream_chat(ask(ImageBlock(image=JPEG))):
            text = chunk.message.content or ""
        return answer.message.content or "", text

    answer, streamed = asyncio.run(run())
    assert PNG_SEEN in answer and JPEG_SEEN in streamed


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_image_in_a_tool_result(flash: DeepSeekAPI, stream: bool) -> None:
    messages = tool_turn(ImageBlock(image=JPEG))
    if stream:
        *_, response = flash.stream_chat(messages)
    else:
        response = flash.chat(messages)
    content = response.message.content or ""
    assert "The snap tool returned" in content and JPEG_SEEN in content


def test_complete_with_image_documents(flash: DeepSeekAPI, server: ImageServer) -> None:
    node = ImageNode(image_path=str(PNG_PATH))
    response = flash.complete(
        "Compare these.", image_documents=[node, ImageBlock(url=server.url("photo.jpg"))]
    )
    assert PNG_SEEN in response.text and JPEG_SEEN in response.text
    streamed = list(flash.stream_complete("Describe.", image_documents=[ImageBlock(image=JPEG)]))
    assert JPEG_SEEN in streamed[-1].text
    answer = asyncio.run(flash.acomplete("Describe.", image_documents=[ImageBlock(image=PNG)]))
    assert PNG_SEEN in answer.text


def test_complete_refuses_other_documents(flash: DeepSeekAPI) -> None:
    with pytest.raises(InvalidRequestError, match=r"image_documents\[0\] is a str"):
        flash.complete("x", image_documents=["not an image"])


# --------------------------------------------------------------------------------------------
# Models that cannot see, and metadata


def test_a_text_only_model_fails_before_sending(make_llm: Factory, emulator: Emulator) -> None:
    llm = make_llm(model="deepseek-chat")
    with pytest.raises(InvalidRequestError, match=r"messages\[0\] part 1 is an image.*text only"):
        llm.chat(ask(ImageBlock(image=PNG)))
    with pytest.raises(InvalidRequestError, match="text only"):
        llm.complete("Describe.", image_documents=[ImageBlock(image=PNG)])
    assert emulator.request_count == 0


def test_v4_pro_needs_the_opt_in(make_llm: Factory, emulator: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="allow_dropped_images"):
        make_llm(model="deepseek-v4-pro").chat(tool_turn(ImageBlock(image=PNG)))
    assert emulator.request_count == 0
    opted = make_llm(model="deepseek-v4-pro", allow_dropped_images=True)
    response = opted.chat(ask(ImageBlock(image=PNG)))
    assert emulator.request_count == 1 and "PNG" not in (response.message.content or "")


@pytest.mark.parametrize(
    ("model", "sees"),
    [
        ("deepseek-flash", True),
        ("deepseek-v4-flash", True),
        ("deepseek-chat", False),
        ("deepseek-v4-pro", False),
    ],
)
def test_metadata_says_whether_images_are_read(model: str, sees: bool) -> None:
    metadata = DeepSeekAPI(model=model).metadata
    assert metadata.image_inputs is sees
    assert metadata.input_modalities == (["text", "image"] if sees else ["text"])
    assert metadata.context_window == 1_048_576


def test_vision_example_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).parents[2] / "examples" / "llama_index_vision.py"
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out
    assert "offline emulator" in out
    assert "model reads images: True ['text', 'image']" in out
    assert "retrieved: Bar chart of quarterly sales" in out
    assert out.count("a PNG image of 800x500 px (412 tokens)") == 2  # RAG answer, URL stream
    assert "The camera tool returned: 1 image: a JPEG image of 640x480 px" in out


def test_the_opt_in_also_works_per_call(make_llm: Factory, emulator: Emulator) -> None:
    make_llm(model="deepseek-v4-pro").chat(ask(ImageBlock(image=PNG)), allow_dropped_images=True)
    assert emulator.request_count == 1
    sent = emulator.last_request
    assert sent is not None and "allow_dropped_images" not in sent.json  # not a wire field
