"""Multimodal RAG with LlamaIndex and deepseek-flash (DeepSeek V4.1 Flash reads images).

Each picture is indexed by a short text caption, with its file in the node's metadata. A
question retrieves the best-matching caption; the picture it belongs to then goes to the model
with the question, as an ``ImageBlock`` (``complete(prompt, image_documents=...)``). Also shown:
a streamed chat with an image by URL, and an image returned by a tool.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator. The emulator cannot see: it answers with what an image's bytes
say (format, pixel size, the tokens it costs), never with what the picture shows. Offline, the
URL image is served from 127.0.0.1; with a key, a public URL is used instead.

    python examples/llama_index_vision.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from llama_index.core import Settings, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock, ToolCallBlock
from llama_index.core.schema import ImageNode, TextNode

from deepseekapi_core.cli import demo
from llama_index_deepseekapi import DeepSeekAPI
from llama_index_deepseekapi._cli import OfflineEmbedding

IMAGES = Path(__file__).parent / "images"
PUBLIC_IMAGE = (
    "https://upload.wikimedia.org/wikipedia/commons/4/47/PNG_transparency_demonstration_1.png"
)
ONLINE = bool(os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"))

CAPTIONS = {
    "chart.png": "Bar chart of quarterly sales for five regions, with the fourth region highest.",
    "sunset.jpg": "Photo of an evening sky over the sea with the sun low near the horizon.",
}


def make_llm(model: str) -> DeepSeekAPI:
    """A DeepSeekAPI for the real service, or for the offline emulator when no key is set."""
    if ONLINE:
        return DeepSeekAPI(model=model)
    from deepseekapi_core.testing import Emulator

    return DeepSeekAPI(model=model, api_key="sk-emulator", transport=Emulator().transport())


@contextmanager
def image_url() -> Iterator[str]:
    """A URL the service can fetch: public online, on 127.0.0.1 offline."""
    if ONLINE:
        yield PUBLIC_IMAGE
        return
    from deepseekapi_core.testing import ImageServer

    with ImageServer({"chart.png": (IMAGES / "chart.png").read_bytes()}) as server:
        yield server.url("chart.png")


def main() -> None:
    if not ONLINE:
        print("(no API key set: using the offline emulator)")
    llm = make_llm("deepseek-flash")
    print("model reads images:", llm.metadata.image_inputs, llm.metadata.input_modalities)
    Settings.llm = llm
    # DeepSeek has no embedding endpoint: captions are embedded offline (WordLlama with the
    # [rag] extra, weights in its wheel; else a hashing embedding); any llama-index one works.
    Settings.embed_model = OfflineEmbedding()
    print("embedding:", demo.load_embedding().name)

    print("\n== multimodal RAG: retrieve by caption, answer with the picture")
    nodes = [
        TextNode(text=caption, metadata={"image_path": str(IMAGES / name)})
        for name, caption in CAPTIONS.items()
    ]
    retriever = VectorStoreIndex(nodes).as_retriever(similarity_top_k=1)
    question = "Which region sold the most according to the sales chart?"
    (hit,) = retriever.retrieve(question)
    print("retrieved:", hit.node.get_content())
    picture = ImageNode(image_path=hit.node.metadata["image_path"])
    answer = llm.complete(question, image_documents=[picture])
    print("answer:", answer.text)

    print("\n== a streamed chat with an image by URL")
    with image_url() as url:
        message = ChatMessage(
            role="user", blocks=[TextBlock(text="Describe this image."), ImageBlock(url=url)]
        )
        for chunk in llm.stream_chat([message]):
            print(chunk.delta or "", end="", flush=True)
    print()

    print("\n== an image returned by a tool")
    history = [
        ChatMessage(role="user", content="Take a photo of the sky and describe it."),
        ChatMessage(
            role="assistant",
            blocks=[ToolCallBlock(tool_call_id="call_1", tool_name="camera", tool_kwargs={})],
        ),
        ChatMessage(
            role="tool",
            blocks=[ImageBlock(path=IMAGES / "sunset.jpg")],
            additional_kwargs={"tool_call_id": "call_1"},
        ),
    ]
    print(llm.chat(history).message.content)


if __name__ == "__main__":
    main()
