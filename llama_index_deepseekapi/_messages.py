"""Translation between llama-index's chat types and the core's wire types.

Everything here is pure data conversion: no HTTP, no retries, no error mapping (the core
does those). Reasoning travels as a :class:`ThinkingBlock` plus
``additional_kwargs["reasoning_content"]`` on llama-index messages and as ``reasoning_content``
on core messages; whether it is sent back to the service is the core's decision
(``build_request_body``), never this module's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage as LIChatMessage,
)
from llama_index.core.base.llms.types import (
    ChatResponse,
    CitableBlock,
    CitationBlock,
    CompletionResponse,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.schema import ImageNode

from deepseekapi_core import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatMessage,
    ImagePart,
    InvalidRequestError,
    TextPart,
    ToolSpec,
)
from deepseekapi_core._adapters._model_builder import model_builder
from deepseekapi_core.tools._calls import (
    ParsedToolCall,
    keep_first_tool_call,
    parse_tool_calls,
    tool_call_arguments,
    tool_call_from,
    tool_calls_from,
)
from deepseekapi_core.tools._specs import tool_specs_from
from deepseekapi_core.tools._structured import missing_tool_call_error
from deepseekapi_core.wire._builtin_tools import BuiltinToolSpec
from deepseekapi_core.wire._convert import (
    SKIPPED_BLOCK_TYPES,
    core_role,
    join_text_parts,
    reasoning_from,
)
from deepseekapi_core.wire._images import content_from_parts
from deepseekapi_core.wire._replies import ReplySummary
from deepseekapi_core.wire._stream import StreamAccumulator

from ._images import image_blocks_from_documents, image_part_from_block, prompt_with_images
from ._server_tools import (
    call_counts,
    citation_blocks,
    passthrough_extra,
    server_extra,
    server_fields,
)

__all__ = [
    "StreamFolder",
    "chat_response",
    "completion_response",
    "keep_first_tool_call_only",
    "prompt_messages",
    "to_core_messages",
    "tool_selections",
    "tool_specs",
]

_ASSISTANT = MessageRole.ASSISTANT


# ----------------------------------------------------------------------------------------------
# llama-index -> core


def to_core_messages(messages: Sequence[LIChatMessage]) -> list[ChatMessage]:
    """The conversation as core messages: text everywhere, images (``ImageBlock``) in user
    messages and tool results; anything else fails, naming the part.

    An assistant message keeps its reasoning (thinking blocks, else
    ``additional_kwargs["reasoning_content"]``) and its tool calls (the exact argument strings of
    ``additional_kwargs["tool_calls"]`` when present, else its tool-call blocks);
    ``additional_kwargs={"prefix": True}`` on the last one asks the model to continue it.
    """
    return [_to_core(message, index) for index, message in enumerate(messages)]


def _to_core(message: LIChatMessage, index: int) -> ChatMessage:
    role = core_role(message.role, f"messages[{index}]")
    blocks = message.blocks
    extra = message.additional_kwargs
    if role in ("user", "tool") and any(isinstance(block, ImageBlock) for block in blocks):
        return _with_images(role, blocks, extra, index)
    if not extra and len(blocks) == 1 and isinstance(blocks[0], TextBlock):
        # The common case: one text block and nothing else.
        if role == "tool":
            _tool_call_id(extra, index)  # raises: a tool result needs its call's id
        return ChatMessage(role=role, content=blocks[0].text)
    server = server_fields(extra) if role == "assistant" else {}
    if server:
        # The citations show what the service's calls found; they are not the answer's text.
        blocks = [block for block in blocks if not isinstance(block, CitationBlock)]
    content = _text_of(blocks, index)
    if role == "assistant":
        # The exact argument strings of additional_kwargs["tool_calls"], else the blocks.
        listed = extra.get("tool_calls")
        tool_calls = (
            tool_calls_from(listed, where="additional_kwargs['tool_calls']")
            if listed
            else tool_calls_from(
                [
                    {"id": block.tool_call_id, "name": block.tool_name, "args": block.tool_kwargs}
                    for block in blocks
                    if isinstance(block, ToolCallBlock)
                ],
                id_prefix="call_",
            )
        )
        thoughts = [block.content for block in blocks if isinstance(block, ThinkingBlock)]
        return ChatMessage(
            role="assistant",
            content=content,
            name=extra.get("name"),
            tool_calls=tool_calls or None,
            reasoning_content=reasoning_from(thoughts, extra.get("reasoning_content")),
            # Chat prefix completion: the message the model continues.
            prefix=extra.get("prefix"),
            **server,
        )
    if role == "tool":
        return ChatMessage(role="tool", content=content, tool_call_id=_tool_call_id(extra, index))
    return ChatMessage(role=role, content=content, name=extra.get("name"))


def _tool_call_id(extra: Mapping[str, Any], index: int) -> str:
    call_id = extra.get("tool_call_id")
    if not call_id:
        raise InvalidRequestError(
            f"messages[{index}] is a tool result without additional_kwargs['tool_call_id']",
            param="messages",
        )
    return str(call_id)


def _with_images(
    role: str, blocks: Sequence[Any], extra: Mapping[str, Any], index: int
) -> ChatMessage:
    """A user message or tool result holding images: text and image parts, in block order."""
    where = f"messages[{index}]"
    parts: list[str | TextPart | ImagePart] = []
    for position, block in enumerate(blocks):
        if isinstance(block, ImageBlock):
            parts.append(image_part_from_block(block, f"{where} part {position}"))
            continue
        for piece in _parts([block]):
            if not isinstance(piece, str):
                raise InvalidRequestError(
                    f"{where} part {position} is {piece['type']!r}; DeepSeek reads text and, "  # type: ignore[index]
                    "on vision models, images only",
                    param="messages",
                )
            parts.append(piece)
    content = content_from_parts(parts)
    if role == "tool":
        return ChatMessage(role="tool", content=content, tool_call_id=_tool_call_id(extra, index))
    return ChatMessage(role="user", content=content, name=extra.get("name"))


def _text_of(blocks: Sequence[Any], index: int) -> str:
    if len(blocks) == 1 and isinstance(blocks[0], TextBlock):
        return blocks[0].text
    return join_text_parts(_parts(blocks), where=f"messages[{index}]")


def _parts(blocks: Iterable[Any]) -> Iterable[object]:
    for block in blocks:
        if isinstance(block, TextBlock):
            yield block.text
        elif isinstance(block, CitableBlock):
            yield from _parts(block.content)
        elif isinstance(block, CitationBlock):
            yield from _parts(block.cited_content)
        else:
            kind = getattr(block, "block_type", type(block).__name__)
            if kind not in SKIPPED_BLOCK_TYPES:
                yield {"type": kind}


# ----------------------------------------------------------------------------------------------
# Tools


def tool_specs(
    tools: Sequence[Any], *, strict: bool | None = None
) -> list[ToolSpec | BuiltinToolSpec]:
    """Core tool specs from llama-index tools, OpenAI-style dicts, pydantic classes or functions,
    and the service's built-in tools (:class:`DeepSeekWebSearchTool`, ``{"type": ...}`` dicts).

    ``strict`` (when not None) is set on every function that does not say itself; a call's
    ``strict=False`` thus sticks to its tools when the LLM's ``strict`` is True. Strict schemas
    are closed by the core (the service honours them on its beta URL).
    """
    return tool_specs_from(tools, strict=strict, convert=_openai_tool)


def function_names(specs: Sequence[ToolSpec | BuiltinToolSpec]) -> list[str]:
    """The names of the function tools among ``specs`` (what a ``tool_choice`` may name)."""
    return [spec.function.name for spec in specs if isinstance(spec, ToolSpec)]


def _openai_tool(tool: Any) -> Any:
    """A llama-index tool as its OpenAI-style dict; anything else as it is."""
    to_openai_tool = getattr(getattr(tool, "metadata", None), "to_openai_tool", None)
    return tool if to_openai_tool is None else to_openai_tool(skip_length_check=True)


def tool_selections(
    response: ChatResponse | LIChatMessage, *, error_on_no_tool_call: bool
) -> list[ToolSelection]:
    """The tool calls of a response as llama-index :class:`ToolSelection` objects.

    Raises ``ValueError`` when there is none and ``error_on_no_tool_call`` is set. Arguments
    that are not a JSON object (the service warns they may not be) read as ``{}``, as in
    llama-index's own LLMs: the agent calls the tool, whose error goes back to the model, and
    the run goes on; the reply keeps them as the model sent them (the tool-call block's
    ``tool_kwargs`` and ``additional_kwargs["tool_calls"]``). While a stream is still in
    progress, arguments that are not complete JSON yet read as ``{}`` too.
    """
    message = response.message if isinstance(response, ChatResponse) else response
    in_progress = (
        isinstance(response, ChatResponse)
        and response.delta is not None
        and "finish_reason" not in response.additional_kwargs
    )
    calls: list[tuple[str, str, Mapping[str, Any] | str]] = [
        (block.tool_call_id or "", block.tool_name, block.tool_kwargs)
        for block in message.blocks
        if isinstance(block, ToolCallBlock)
    ]
    if not calls and message.additional_kwargs.get("tool_calls"):
        for call in map(tool_call_from, message.additional_kwargs["tool_calls"]):
            calls.append((call.id, call.function.name, call.function.arguments))
    if not calls and error_on_no_tool_call:
        raise missing_tool_call_error(message.content)
    return [
        ToolSelection(
            tool_id=call_id,
            tool_name=name,
            tool_kwargs=dict(kwargs)
            if not isinstance(kwargs, str)
            else tool_call_arguments(kwargs, partial=in_progress),
        )
        for call_id, name, kwargs in calls
    ]


# ----------------------------------------------------------------------------------------------
# core -> llama-index


def _assistant(
    text: str,
    reasoning: str | None,
    tool_blocks: list[ToolCallBlock],
    tool_dicts: list[dict[str, Any]],
    reasoning_tokens: int | None = None,
    server: tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None] = (None, None),
    unmodelled: dict[str, Any] | None = None,
) -> LIChatMessage:
    blocks: list[Any] = []
    extra: dict[str, Any] = {}
    if reasoning:
        blocks.append(_thinking_block(reasoning, reasoning_tokens))
        extra["reasoning_content"] = reasoning
    if server[0] or server[1]:
        blocks.extend(citation_blocks(*server))
        extra.update(server_extra(*server))
    if unmodelled:
        extra.update(passthrough_extra(unmodelled))
    blocks.append(_new_text_block({"block_type": "text", "text": text}))
    if tool_blocks:
        blocks.extend(tool_blocks)
        extra["tool_calls"] = tool_dicts
    return _new_message({"role": _ASSISTANT, "additional_kwargs": extra, "blocks": blocks})


def _thinking_block(reasoning: str, tokens: int | None) -> ThinkingBlock:
    # Every field given: model_construct then skips pydantic's slow default path (17 % of a
    # reasoner stream, measured with pyinstrument).
    return _new_thinking_block(
        {
            "block_type": "thinking",
            "content": reasoning,
            "num_tokens": tokens,
            "additional_information": {},
        }
    )


def _tool_block(call_id: str, name: str, kwargs: dict[str, Any] | str) -> ToolCallBlock:
    return ToolCallBlock.model_construct(
        block_type="tool_call", tool_call_id=call_id, tool_name=name, tool_kwargs=kwargs
    )


def _tool_parts(calls: list[ParsedToolCall]) -> tuple[list[ToolCallBlock], list[Any]]:
    """A finished reply's tool-call blocks (arguments parsed where they are a JSON object,
    else as the model sent them) and their OpenAI-style dicts."""
    blocks = [
        _tool_block(call.id, call.name, call.arguments if call.args is None else call.args)
        for call in calls
    ]
    return blocks, [call.as_wire() for call in calls]


def chat_response(completion: ChatCompletion) -> ChatResponse:
    """A llama-index :class:`ChatResponse` from a non-streaming completion.

    ``raw`` is the core :class:`ChatCompletion` (usage included); ``additional_kwargs`` holds the
    token counts (``prompt_tokens``, ``completion_tokens``, ``total_tokens``,
    ``prompt_cache_hit_tokens``, ``prompt_cache_miss_tokens``, ``reasoning_tokens``) and the
    ``finish_reason``.
    """
    message = completion.message
    reply = ReplySummary.of(completion)
    tool_blocks, tool_dicts = _tool_parts(parse_tool_calls(message.tool_calls or []))
    return ChatResponse(
        message=_assistant(
            message.content or "",
            message.reasoning_content,
            tool_blocks,
            tool_dicts,
            reply.reasoning_tokens,
            (message.server_tool_calls, message.server_tool_results),
            message.model_extra,
        ),
        raw=completion,
        additional_kwargs={**reply.counts(), **call_counts(message.server_tool_calls)},
    )


def completion_response(response: ChatResponse) -> CompletionResponse:
    """A :class:`CompletionResponse` with the chat response's text, reasoning and usage."""
    extra = dict(response.additional_kwargs)
    reasoning = response.message.additional_kwargs.get("reasoning_content")
    if reasoning:
        extra["reasoning_content"] = reasoning
    return CompletionResponse(
        text=response.message.content or "",
        raw=response.raw,
        delta=response.delta,
        additional_kwargs=extra,
    )


# The models a stream builds per chunk (see model_builder); each call passes a dict literal
# with every field, in the model's order.
_new_text_block = model_builder(TextBlock, ("block_type", "text"))
_new_thinking_block = model_builder(
    ThinkingBlock, ("block_type", "content", "num_tokens", "additional_information")
)
_new_message = model_builder(LIChatMessage, ("role", "additional_kwargs", "blocks"))
_new_chat_response = model_builder(
    ChatResponse, ("message", "raw", "delta", "logprobs", "additional_kwargs")
)
_new_completion_response = model_builder(
    CompletionResponse, ("text", "additional_kwargs", "raw", "logprobs", "delta")
)


class StreamFolder:
    """Turns stream chunks into llama-index's cumulative streaming responses.

    Each response carries the whole message so far (as llama-index expects), the new text in
    ``delta``, the new reasoning in ``additional_kwargs["thinking_delta"]`` (what the workflow
    agents stream as ``AgentStream.thinking_delta``) and the chunk itself in ``raw``. The last
    responses add the token counts and ``finish_reason`` to ``additional_kwargs``. Work per
    chunk is constant apart from the cumulative strings llama-index's messages require.
    """

    def __init__(self) -> None:
        self._reply = StreamAccumulator()
        self._text = ""
        self._reasoning = ""
        self._tool_blocks: list[ToolCallBlock] = []
        self._tool_dicts: list[Any] = []
        self._final_tools = False
        self._text_block: TextBlock | None = None
        self._thinking_block: ThinkingBlock | None = None

    def _fold(self, chunk: ChatCompletionChunk) -> tuple[str, str, dict[str, Any]]:
        reply = self._reply
        text = reasoning = ""
        if reply.add(chunk):
            delta = chunk.choices[0].delta
            if delta.content:
                text = delta.content
                # Kept here as well: llama-index wants the whole text on every response, and
                # one concatenation per chunk is cheaper than joining the reply's parts.
                self._text += text
            if delta.reasoning_content:
                reasoning = delta.reasoning_content
                self._reasoning += reasoning
            if delta.tool_calls:
                # The arguments so far, unparsed: they are not JSON until the call is complete.
                calls = reply.tool_calls_so_far()
                self._tool_blocks = [_tool_block(c.id, c.name, c.arguments) for c in calls]
                self._tool_dicts = [call.as_wire() for call in calls]
        extra: dict[str, Any] = {}
        choices = chunk.choices
        if (choices and choices[0].finish_reason is not None) or chunk.usage is not None:
            extra = reply.summary().counts()
            if reply.server_calls:
                extra.update(call_counts(reply.server_tool_calls))
            if self._tool_blocks and not self._final_tools:
                self._tool_blocks, self._tool_dicts = _tool_parts(
                    parse_tool_calls(reply.completed_tool_calls())
                )
                self._final_tools = True
        if reasoning:
            extra["thinking_delta"] = reasoning
        return text, reasoning, extra

    def _message(self, reasoning_tokens: int | None) -> LIChatMessage:
        # Blocks whose text did not change are reused: the reasoning phase builds no new text
        # block, the answer phase no new thinking block.
        blocks: list[Any] = []
        extra: dict[str, Any] = {}
        reasoning = self._reasoning
        if reasoning:
            thinking = self._thinking_block
            if thinking is None or thinking.content is not reasoning or reasoning_tokens:
                thinking = self._thinking_block = _thinking_block(reasoning, reasoning_tokens)
            blocks.append(thinking)
            extra["reasoning_content"] = reasoning
        reply = self._reply
        if reply.server_calls or reply.server_results:
            calls, results = reply.server_tool_calls, reply.server_tool_results
            blocks.extend(citation_blocks(calls, results))
            extra.update(server_extra(calls, results))
        if reply.unmodelled:
            extra.update(passthrough_extra(reply.unmodelled))
        text_block = self._text_block
        if text_block is None or text_block.text is not self._text:
            text_block = self._text_block = _new_text_block(
                {"block_type": "text", "text": self._text}
            )
        blocks.append(text_block)
        if self._tool_blocks:
            blocks.extend(self._tool_blocks)
            extra["tool_calls"] = self._tool_dicts
        return _new_message({"role": _ASSISTANT, "additional_kwargs": extra, "blocks": blocks})

    def chat(self, chunk: ChatCompletionChunk) -> ChatResponse:
        """The cumulative chat response after ``chunk``."""
        text, _, extra = self._fold(chunk)
        return _new_chat_response(
            {
                "message": self._message(extra.get("reasoning_tokens") or None),
                "raw": chunk,
                "delta": text,
                "logprobs": None,
                "additional_kwargs": extra,
            }
        )

    def completion(self, chunk: ChatCompletionChunk) -> CompletionResponse:
        """The cumulative completion response after ``chunk``."""
        text, _, extra = self._fold(chunk)
        if self._reasoning:
            extra["reasoning_content"] = self._reasoning
        return _new_completion_response(
            {
                "text": self._text,
                "additional_kwargs": extra,
                "raw": chunk,
                "logprobs": None,
                "delta": text,
            }
        )


# ----------------------------------------------------------------------------------------------
# Messages the adapter builds


def prompt_messages(
    prompt: str, image_documents: Sequence[ImageNode | ImageBlock] | None = None
) -> list[LIChatMessage]:
    """``prompt`` as one user message, after any images (``complete``'s ``image_documents``)."""
    if not isinstance(prompt, str):
        # Before this check None became an empty user message, sent (and billed) as such.
        raise InvalidRequestError(
            f"prompt must be a string, not {type(prompt).__name__}", param="prompt"
        )
    if not image_documents:
        return [LIChatMessage(role=MessageRole.USER, content=prompt)]
    blocks = prompt_with_images(prompt, image_blocks_from_documents(image_documents))
    return [LIChatMessage(role=MessageRole.USER, blocks=blocks)]


def keep_first_tool_call_only(message: LIChatMessage) -> None:
    """Drop every tool call of ``message`` but the first (DeepSeek has no switch for that)."""
    message.blocks = keep_first_tool_call(message.blocks, lambda b: isinstance(b, ToolCallBlock))
    calls = message.additional_kwargs.get("tool_calls")
    if calls and len(calls) > 1:
        message.additional_kwargs["tool_calls"] = calls[:1]
