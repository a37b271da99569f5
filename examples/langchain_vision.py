"""Image input with LangChain and deepseek-flash (DeepSeek V4.1 Flash reads images).

Shows a picture sent inline (a standard base64 image block), by URL, streamed, and returned by
a tool (an image in a ToolMessage); then what happens when a text-only model is given one: a
clear error before anything is sent.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator. The emulator cannot see: it answers with what an image's bytes
say (format, pixel size, the tokens it costs), never with what the picture shows. Offline, the
URL image is served from 127.0.0.1; with a key, a public URL is used instead.

    python examples/langchain_vision.py
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from deepseekapi_core import InvalidRequestError
from langchain_deepseekapi import ChatDeepSeekAPI

IMAGES = Path(__file__).parent / "images"
CHART = IMAGES / "chart.png"
SUNSET = IMAGES / "sunset.jpg"
PUBLIC_IMAGE = (
    "https://upload.wikimedia.org/wikipedia/commons/4/47/PNG_transparency_demonstration_1.png"
)
ONLINE = bool(os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"))


def make_llm(**options: Any) -> ChatDeepSeekAPI:
    """A model for the real service, or for the offline emulator when no key is set."""
    if ONLINE:
        return ChatDeepSeekAPI(**options)
    from deepseekapi_core.testing import Emulator

    return ChatDeepSeekAPI(api_key="sk-emulator", transport=Emulator().transport(), **options)


@contextmanager
def image_url() -> Iterator[str]:
    """A URL the service can fetch: public online, on 127.0.0.1 offline."""
    if ONLINE:
        yield PUBLIC_IMAGE
        return
    from deepseekapi_core.testing import ImageServer

    with ImageServer({"sunset.jpg": SUNSET.read_bytes()}) as server:
        yield server.url("sunset.jpg")


def inline(path: Path, mime_type: str) -> dict[str, Any]:
    """A standard LangChain image block carrying the file's bytes."""
    return {
        "type": "image",
        "base64": base64.b64encode(path.read_bytes()).decode(),
        "mime_type": mime_type,
    }


@tool
def render_chart() -> list[dict[str, Any]]:
    """Render this quarter's sales chart and return it as an image."""
    return [inline(CHART, "image/png")]


def main() -> None:
    if not ONLINE:
        print("(no API key set: using the offline emulator)")
    llm = make_llm(model="deepseek-flash", thinking=False)

    print("\n== an inline PNG")
    question = HumanMessage(
        content=[{"type": "text", "text": "What does this chart show?"}, inline(CHART, "image/png")]
    )
    reply = llm.invoke([question])
    print(reply.content)
    assert reply.usage_metadata is not None
    print("input tokens (image included):", reply.usage_metadata["input_tokens"])

    print("\n== an image by URL, streamed")
    with image_url() as url:
        by_url = HumanMessage(
            content=[
                {"type": "text", "text": "Describe this picture."},
                {"type": "image", "url": url},
            ]
        )
        for chunk in llm.stream([by_url]):
            print(chunk.content, end="", flush=True)
    print()

    print("\n== an image returned by a tool")
    ask: list[BaseMessage] = [HumanMessage("Render the sales chart and summarise it.")]
    first = llm.bind_tools([render_chart]).invoke(ask)
    assert isinstance(first, AIMessage) and first.tool_calls, "expected a tool call"
    call = first.tool_calls[0]
    print("tool call:", call["name"])
    result = ToolMessage(content=render_chart.invoke(call["args"]), tool_call_id=call["id"])
    final = llm.bind_tools([render_chart]).invoke([*ask, first, result])
    print(final.content)

    print("\n== a text-only model is refused before sending")
    try:
        make_llm(model="deepseek-chat").invoke([question])
    except InvalidRequestError as error:
        print("refused:", error)


if __name__ == "__main__":
    main()
