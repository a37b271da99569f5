"""Folding stream chunks into one reply: the one accumulator of the clients and both adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..tools._calls import ToolCallBuilder, add_tool_fragments
from ._builtin_tools import fold_server_entries, fold_unmodelled, folded_list
from ._models import ToolCall
from ._replies import ReplySummary
from ._responses import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkChoice,
    Delta,
    FunctionCallDelta,
    ToolCallDelta,
    Usage,
)

__all__ = ["StreamAccumulator", "ToolCallBuilder", "chunks_from_completion"]


@dataclass(slots=True)
class StreamAccumulator:
    """Accumulates a streamed reply: text, reasoning, tool calls, finish reason and usage.

    Tool calls are keyed by their ``index``; a name split across fragments is concatenated like
    the arguments. Usage is taken from whichever chunk carries it (the finish chunk, or the
    choices-less chunk after it).
    """

    id: str = ""
    model: str = ""
    created: int = 0
    system_fingerprint: str | None = None
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: dict[int, ToolCallBuilder] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: Usage | None = None
    tool_calls_recovered: str | None = None
    """The shape of tool calls the client recovered from the streamed text, if it did."""
    server_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    """The service's own built-in tool calls, folded by stream index (raw dicts)."""
    server_results: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Their results, folded by stream index (raw dicts)."""
    unmodelled: dict[str, Any] = field(default_factory=dict)
    """Delta fields this library does not model, folded (kept for the round trip)."""

    def add(self, chunk: ChatCompletionChunk) -> bool:
        """Fold ``chunk`` in; return whether it carried anything a caller would see."""
        if chunk.tool_calls_recovered is not None:
            self.tool_calls_recovered = chunk.tool_calls_recovered
        if chunk.id:
            self.id = chunk.id
        if chunk.model:
            self.model = chunk.model
        if chunk.created:
            self.created = chunk.created
        if chunk.system_fingerprint:
            self.system_fingerprint = chunk.system_fingerprint
        if chunk.usage is not None:
            self.usage = chunk.usage
        choices = chunk.choices
        if not choices:
            return False
        choice = choices[0]
        if choice.finish_reason is not None:
            self.finish_reason = choice.finish_reason
        delta = choice.delta
        visible = False
        text = delta.content
        if text:
            self.content.append(text)
            visible = True
        text = delta.reasoning_content
        if text:
            self.reasoning.append(text)
            visible = True
        if delta.tool_calls:
            add_tool_fragments(self.tool_calls, delta.tool_calls)
            visible = True
        if delta.server_tool_calls:
            fold_server_entries(self.server_calls, delta.server_tool_calls)
            visible = True
        if delta.server_tool_results:
            fold_server_entries(self.server_results, delta.server_tool_results)
            visible = True
        extra = delta.__pydantic_extra__
        if extra:
            fold_unmodelled(self.unmodelled, extra)
        return visible

    @property
    def server_tool_calls(self) -> list[dict[str, Any]] | None:
        """The service's built-in tool calls so far (raw dicts, stream order), or None."""
        return folded_list(self.server_calls)

    @property
    def server_tool_results(self) -> list[dict[str, Any]] | None:
        """Their results so far (raw dicts, stream order), or None."""
        return folded_list(self.server_results)

    @property
    def text(self) -> str:
        """The answer so far."""
        return "".join(self.content)

    @property
    def reasoning_text(self) -> str:
        """The reasoning so far."""
        return "".join(self.reasoning)

    @property
    def finished(self) -> bool:
        """Whether a finish reason arrived."""
        return self.finish_reason is not None

    def tool_calls_so_far(self) -> list[ToolCallBuilder]:
        """The tool calls being assembled, in index order (cheaper than
        :meth:`completed_tool_calls` while the stream goes on)."""
        calls = self.tool_calls
        return [calls[index] for index in sorted(calls)]

    def completed_tool_calls(self) -> list[ToolCall]:
        """The tool calls in index order."""
        return [call.to_tool_call() for call in self.tool_calls_so_far()]

    def summary(self) -> ReplySummary:
        """The reply's metadata so far (complete once the stream has ended)."""
        return ReplySummary.of(self)

    def to_completion(self) -> ChatCompletion:
        """The accumulated reply as a non-streaming completion."""
        tool_calls = self.completed_tool_calls()
        message = AssistantMessage(
            content=self.text,
            reasoning_content=self.reasoning_text if self.reasoning else None,
            tool_calls=tool_calls or None,
            server_tool_calls=self.server_tool_calls,
            server_tool_results=self.server_tool_results,
            **self.unmodelled,
        )
        return ChatCompletion(
            id=self.id,
            created=self.created,
            model=self.model,
            system_fingerprint=self.system_fingerprint,
            choices=[Choice(message=message, finish_reason=self.finish_reason)],
            usage=self.usage,
            tool_calls_recovered=self.tool_calls_recovered,
        )


def chunks_from_completion(completion: ChatCompletion) -> list[ChatCompletionChunk]:
    """A complete reply as the chunks a stream of it would carry, in the service's order:
    the role, the reasoning, the answer, the tool calls, then the finish reason with usage."""
    message = completion.message
    deltas = [Delta(role="assistant", content="")]
    if message.reasoning_content:
        deltas.append(Delta(reasoning_content=message.reasoning_content))
    # The service's calls and results come before the answer that cites them.
    if message.server_tool_calls:
        deltas.append(Delta(server_tool_calls=_indexed(message.server_tool_calls)))
    if message.server_tool_results:
        deltas.append(Delta(server_tool_results=_indexed(message.server_tool_results)))
    if message.content:
        deltas.append(Delta(content=message.content))
    if message.tool_calls:
        deltas.append(
            Delta(
                tool_calls=[
                    ToolCallDelta(
                        index=index,
                        id=call.id,
                        type="function",
                        function=FunctionCallDelta(
                            name=call.function.name, arguments=call.function.arguments
                        ),
                    )
                    for index, call in enumerate(message.tool_calls)
                ]
            )
        )
    chunks = [
        ChatCompletionChunk(
            id=completion.id,
            created=completion.created,
            model=completion.model,
            system_fingerprint=completion.system_fingerprint,
            choices=[ChunkChoice(delta=delta)],
        )
        for delta in deltas
    ]
    chunks.append(
        ChatCompletionChunk(
            id=completion.id,
            created=completion.created,
            model=completion.model,
            system_fingerprint=completion.system_fingerprint,
            choices=[ChunkChoice(delta=Delta(content=""), finish_reason=completion.finish_reason)],
            usage=completion.usage,
        )
    )
    return chunks


def _indexed(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"index": index, **entry} for index, entry in enumerate(entries)]
