"""Translation between LangChain messages and the core's wire models.

Outbound: LangChain ``BaseMessage`` objects become :class:`deepseekapi_core.ChatMessage`. An
assistant message always carries its ``reasoning_content`` into the core, which decides, by the
service's rules, whether it is sent back (see ``deepseekapi_core.build_request_body``). A final
``AIMessage`` with ``additional_kwargs={"prefix": True}`` is the text the model continues (chat
prefix completion, as with ``ChatMistralAI``); the reply holds the continuation only.

Inbound: a :class:`deepseekapi_core.ChatCompletion` becomes an ``AIMessage`` and each
:class:`deepseekapi_core.ChatCompletionChunk` an ``AIMessageChunk``. Reasoning goes to
``additional_kwargs["reasoning_content"]`` (the key langchain-deepseek users read) and, because
``response_metadata["model_provider"]`` is set, appears as a standard ``{"type": "reasoning"}``
block in ``content_blocks``, while ``content`` stays the answer string.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages import ChatMessage as LCChatMessage
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import ToolCall as LCToolCall
from langchain_core.messages.tool import (
    ToolCallChunk,
    invalid_tool_call,
    tool_call_chunk,
)

from deepseekapi_core import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatMessage,
    InvalidRequestError,
    Usage,
)
from deepseekapi_core.tools._calls import parse_tool_calls, tool_calls_from
from deepseekapi_core.tools._recovery import TOOL_CALLS_RECOVERED
from deepseekapi_core.wire._builtin_tools import PASSTHROUGH, unmodelled_fields
from deepseekapi_core.wire._convert import (
    SKIPPED_BLOCK_TYPES,
    core_message,
    core_role,
    join_text_parts,
    reasoning_block_texts,
    reasoning_from,
)
from deepseekapi_core.wire._images import content_from_blocks
from deepseekapi_core.wire._replies import ReplySummary

from ._server_tools import server_blocks, server_fields, unindexed, with_server_blocks

__all__ = [
    "MODEL_PROVIDER",
    "ai_message_from_completion",
    "chunk_message",
    "to_core_message",
    "to_core_messages",
    "usage_metadata_from",
]

MODEL_PROVIDER = "deepseek"
"""``response_metadata["model_provider"]``: the same value langchain-deepseek reports."""


# --------------------------------------------------------------------------------------------
# LangChain -> core


def to_core_messages(messages: Sequence[BaseMessage]) -> list[ChatMessage]:
    """The conversation as core messages (raises :class:`InvalidRequestError` on bad input)."""
    return [to_core_message(message, index) for index, message in enumerate(messages)]


def to_core_message(message: BaseMessage, index: int = 0) -> ChatMessage:
    """One LangChain message as a core :class:`ChatMessage`."""
    where = f"messages[{index}] ({type(message).__name__})"
    if isinstance(message, HumanMessage):
        return _plain("user", message, where)
    if isinstance(message, AIMessage):
        return _assistant(message, index, where)
    if isinstance(message, SystemMessage):
        return _plain("system", message, where)
    if isinstance(message, ToolMessage):
        return core_message(
            where,
            role="tool",
            content=content_from_blocks(message.content, where=where),
            tool_call_id=message.tool_call_id,
        )
    if isinstance(message, LCChatMessage):
        role = core_role(message.role, where)
        if role == "assistant":
            return core_message(
                where,
                role="assistant",
                content=join_text_parts(message.content, where=where, skip=SKIPPED_BLOCK_TYPES),
                prefix=message.additional_kwargs.get("prefix"),
            )
        return _plain(role, message, where)
    raise InvalidRequestError(
        f"{where}: message type {type(message).__name__!r} (type={message.type!r}) is not "
        "supported; use SystemMessage, HumanMessage, AIMessage, ToolMessage or ChatMessage",
        param="messages",
    )


def _plain(role: str, message: BaseMessage, where: str) -> ChatMessage:
    content = (
        content_from_blocks(message.content, where=where)
        if role == "user"
        else join_text_parts(message.content, where=where)
    )
    return core_message(where, role=role, content=content, name=message.name)


def _assistant(message: AIMessage, index: int, where: str) -> ChatMessage:
    # Invalid calls are sent back as the model produced them, so a ToolMessage answering one
    # stays valid.
    calls = (
        tool_calls_from(
            [*message.tool_calls, *message.invalid_tool_calls], id_prefix=f"call_{index}_"
        )
        if message.tool_calls or message.invalid_tool_calls
        else []  # most turns call nothing: skip the conversion
    )
    text = join_text_parts(message.content, where=where, skip=SKIPPED_BLOCK_TYPES)
    # output_version="v1" messages keep reasoning as content blocks.
    blocks = message.content if isinstance(message.content, list) else ()
    return core_message(
        where,
        role="assistant",
        content=text if text or not calls else None,
        name=message.name,
        tool_calls=calls or None,
        reasoning_content=reasoning_from(
            reasoning_block_texts(blocks), message.additional_kwargs.get("reasoning_content")
        ),
        # Chat prefix completion: ChatMistralAI's spelling, additional_kwargs={"prefix": True}.
        prefix=message.additional_kwargs.get("prefix"),
        **server_fields(message),
    )


# --------------------------------------------------------------------------------------------
# core -> LangChain


def usage_metadata_from(usage: Usage) -> UsageMetadata:
    """LangChain usage metadata, with cache-read input and reasoning output token details."""
    return UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
        input_token_details=InputTokenDetails(cache_read=usage.cache_hit_tokens),
        output_token_details=OutputTokenDetails(reasoning=usage.reasoning_tokens),
    )


def response_metadata_from(reply: ReplySummary) -> dict[str, Any]:
    """The ``response_metadata`` of a finished reply (``tool_calls_recovered`` when the core
    recovered its tool calls from the text)."""
    metadata = {
        "model_name": reply.model,
        "finish_reason": reply.finish_reason,
        "system_fingerprint": reply.system_fingerprint,
        "id": reply.id,
        "model_provider": MODEL_PROVIDER,
    }
    if reply.tool_calls_recovered is not None:
        metadata[TOOL_CALLS_RECOVERED] = reply.tool_calls_recovered
    return metadata


def ai_message_from_completion(
    completion: ChatCompletion, token_usage: dict[str, Any] | None = None
) -> AIMessage:
    """The completion's first choice as an ``AIMessage``; ``token_usage`` is the service's
    usage object as a dict, when the caller has it already (else it is dumped here)."""
    choice = completion.choices[0]
    message = choice.message
    additional: dict[str, Any] = {}
    if message.reasoning_content is not None:
        additional["reasoning_content"] = message.reasoning_content
    unmodelled = unmodelled_fields(message)
    if unmodelled:
        additional[PASSTHROUGH] = unmodelled
    server = server_blocks(message.server_tool_calls, message.server_tool_results)
    if server:
        additional.update(server_tool_calls=message.server_tool_calls or [])
        additional.update(server_tool_results=message.server_tool_results or [])
    valid: list[LCToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in parse_tool_calls(message.tool_calls) if message.tool_calls else ():
        if call.args is None:
            invalid.append(
                invalid_tool_call(name=call.name, args=call.arguments, id=call.id, error=call.error)
            )
        else:
            valid.append(LCToolCall(name=call.name, args=call.args, id=call.id, type="tool_call"))
    metadata = response_metadata_from(ReplySummary.of(completion))
    # Always present, None without log probabilities, as in ChatOpenAI and ChatDeepSeek.
    metadata["logprobs"] = choice.logprobs
    if completion.usage is not None:
        # The service's own usage object, nested as ChatDeepSeek gives it.
        if token_usage is None:
            token_usage = completion.usage.model_dump(exclude_none=True)
        metadata["token_usage"] = token_usage
    return AIMessage(
        content=with_server_blocks(message.content or "", server),
        additional_kwargs=additional,
        tool_calls=valid,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata_from(completion.usage) if completion.usage else None,
        response_metadata=metadata,
        id=completion.id or None,
    )


_PROVIDER_ONLY: dict[str, Any] = {"model_provider": MODEL_PROVIDER}


def chunk_message(chunk: ChatCompletionChunk) -> AIMessageChunk | None:
    """The visible part of one stream chunk as an ``AIMessageChunk`` (None when it has none).

    Finish reason and usage are not put here: the adapter folds them into the last chunk.
    """
    if not chunk.choices:
        return None
    delta = chunk.choices[0].delta
    content = delta.content or ""
    reasoning = delta.reasoning_content
    fragments = delta.tool_calls
    server = (
        server_blocks(unindexed(delta.server_tool_calls), unindexed(delta.server_tool_results))
        if delta.server_tool_calls or delta.server_tool_results
        else None
    )
    if not content and not reasoning and not fragments and not server:
        return None
    tool_chunks: list[ToolCallChunk] = []
    if fragments:
        for fragment in fragments:
            function = fragment.function
            tool_chunks.append(
                tool_call_chunk(
                    name=function.name if function is not None else None,
                    args=function.arguments if function is not None else None,
                    id=fragment.id,
                    index=fragment.index,
                )
            )
    return AIMessageChunk(
        content=with_server_blocks(content, server) if server else content,
        additional_kwargs={"reasoning_content": reasoning} if reasoning else {},
        tool_call_chunks=tool_chunks,
        response_metadata=dict(_PROVIDER_ONLY),
        id=chunk.id or None,
    )
