"""The core's replies as LangChain results: a whole completion, and chunks folded into
LangChain's (the metadata once, on the last chunk)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import ToolCallChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from deepseekapi_core import ChatCompletion, ChatCompletionChunk
from deepseekapi_core.wire._builtin_tools import PASSTHROUGH
from deepseekapi_core.wire._replies import BlockNumbering
from deepseekapi_core.wire._stream import StreamAccumulator

from ._messages import (
    ai_message_from_completion,
    chunk_message,
    response_metadata_from,
    usage_metadata_from,
)
from ._server_tools import split_content, with_server_blocks

__all__ = ["StreamFolder", "chat_result"]


def chat_result(completion: ChatCompletion, *, headers: bool = False) -> ChatResult:
    """``completion`` as LangChain's result (with the HTTP headers when asked for)."""
    # Dumped once for the message's metadata and the result's llm_output (copied: two owners).
    usage = completion.usage.model_dump(exclude_none=True) if completion.usage else None
    message = ai_message_from_completion(completion, usage)
    if headers:
        message.response_metadata["headers"] = completion.response_headers
    generation_info: dict[str, Any] = {"finish_reason": completion.finish_reason}
    llm_output: dict[str, Any] = {
        "model_name": completion.model,
        "system_fingerprint": completion.system_fingerprint,
        "id": completion.id,
    }
    if usage is not None:
        llm_output["token_usage"] = _copy_usage(usage)
    return ChatResult(
        generations=[ChatGeneration(message=message, generation_info=generation_info)],
        llm_output=llm_output,
    )


def _copy_usage(usage: dict[str, Any]) -> dict[str, Any]:
    """``usage`` with its nested details copied too (a caller may change either copy)."""
    return {key: dict(value) if isinstance(value, dict) else value for key, value in usage.items()}


class StreamFolder:
    """Turns core chunks into LangChain chunks.

    Visible deltas are passed on at once. The chunk that carries the finish reason (and any
    usage-only chunk after it) is held back and released by :meth:`last` as the final chunk,
    with the finish reason, model name, system fingerprint and usage: so metadata appears once
    on the merged message and the final chunk is known to be last.

    With ``output_version="v1"`` the chunks' content is given as standard blocks, numbered by
    the core's :class:`~deepseekapi_core._adapters.BlockNumbering` (reasoning, text and every
    tool call apart), so merged blocks never collide.
    """

    __slots__ = (
        "content",
        "headers",
        "numbering",
        "reasoning",
        "reply",
        "server",
        "tool_chunks",
        "v1",
    )

    def __init__(self, *, v1: bool = False, headers: bool = False) -> None:
        self.v1 = v1
        self.headers: dict[str, str] | None = {} if headers else None
        self.reply = StreamAccumulator()
        # what the held-back final chunk carries
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.tool_chunks: list[ToolCallChunk] = []
        self.server: list[dict[str, Any]] = []
        self.numbering = BlockNumbering()

    def feed(self, chunk: ChatCompletionChunk) -> ChatGenerationChunk | None:
        visible = self.reply.add(chunk)
        if self.headers is not None and not self.headers:
            self.headers = chunk.response_headers
        message = chunk_message(chunk) if visible else None
        if self.reply.finished:
            if message is not None:
                text, server = split_content(message.content)
                self.content.append(text)
                self.server.extend(server)
                self.reasoning.append(message.additional_kwargs.get("reasoning_content", ""))
                self.tool_chunks.extend(message.tool_call_chunks)
            return None
        if message is None:
            return None
        if self.v1:
            text, server = split_content(message.content)
            message.content = self._blocks(
                text,
                message.additional_kwargs.get("reasoning_content", ""),
                message.tool_call_chunks,
                server,
            )
            message.response_metadata["output_version"] = "v1"
        return ChatGenerationChunk(message=message)

    def _blocks(
        self,
        content: str,
        reasoning: str,
        tool_chunks: list[ToolCallChunk],
        server: Sequence[dict[str, Any]] = (),
    ) -> list[str | dict[str, Any]]:
        numbering = self.numbering
        blocks: list[str | dict[str, Any]] = []
        if reasoning:
            index = numbering.block("reasoning")
            blocks.append({"type": "reasoning", "reasoning": reasoning, "index": index})
        for block in server:
            # Each server block is whole: a number of its own, never merged with another.
            kind = f"{block['type']}:{block.get('id') or block.get('tool_call_id')}"
            blocks.append({**block, "index": numbering.block(kind)})
        if content:
            blocks.append({"type": "text", "text": content, "index": numbering.block("text")})
        for tool_chunk in tool_chunks:
            blocks.append(
                {
                    "type": "tool_call_chunk",
                    "id": tool_chunk.get("id"),
                    "name": tool_chunk.get("name"),
                    "args": tool_chunk.get("args"),
                    "index": numbering.tool_call(tool_chunk.get("index")),
                }
            )
        return blocks

    def last(self) -> ChatGenerationChunk:
        content = "".join(self.content)
        reasoning = "".join(self.reasoning)
        reply = self.reply
        metadata = response_metadata_from(reply.summary())
        if self.v1:
            metadata["output_version"] = "v1"
        if self.headers is not None:
            metadata["headers"] = self.headers
        additional: dict[str, Any] = {"reasoning_content": reasoning} if reasoning else {}
        # The raw entries once, folded by the core: what goes back in the next request.
        if reply.server_calls or reply.server_results:
            additional["server_tool_calls"] = reply.server_tool_calls or []
            additional["server_tool_results"] = reply.server_tool_results or []
        if reply.unmodelled:
            additional[PASSTHROUGH] = dict(reply.unmodelled)
        message = AIMessageChunk(
            content=(
                self._blocks(content, reasoning, self.tool_chunks, self.server)
                if self.v1
                else with_server_blocks(content, self.server)
            ),
            additional_kwargs=additional,
            tool_call_chunks=self.tool_chunks,
            usage_metadata=usage_metadata_from(reply.usage) if reply.usage is not None else None,
            response_metadata=metadata,
            id=reply.id or None,
            chunk_position="last",
        )
        # As ChatOpenAI's last chunk: LangChain merges it into the message's metadata.
        generation_info = {
            "finish_reason": reply.finish_reason,
            "model_name": reply.model,
            "system_fingerprint": reply.system_fingerprint,
        }
        return ChatGenerationChunk(message=message, generation_info=generation_info)
