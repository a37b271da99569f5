"""The service's built-in web tools in LlamaIndex: tools to put in a tool list, and what the
service's calls and results become on a reply.

llama-index-core has no block for a tool the provider runs itself, so (``docs/web_tools.md``):

* each page the service found or read becomes a :class:`CitationBlock` (its ``source`` the URL,
  ``title`` the page's title, ``cited_content`` the snippet, ``additional_location_info``
  ``{"server_tool_call": i, "rank": r}``), before the answer's :class:`TextBlock`;
* the raw calls and results are kept in ``message.additional_kwargs["server_tool_calls"]`` and
  ``["server_tool_results"]`` and go back unchanged in the next request;
* nothing of them becomes a :class:`ToolCallBlock`, so no agent ever tries to run them, and
  the response's ``additional_kwargs["builtin_tool_calls"]`` counts the calls per tool (what
  the service bills per call).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import CitationBlock, TextBlock
from llama_index.core.tools.types import AsyncBaseTool, ToolMetadata, ToolOutput

from deepseekapi_core.wire._builtin_tools import (
    PASSTHROUGH,
    READ_URL,
    SERVER_TOOL_CALLS,
    SERVER_TOOL_RESULTS,
    WEB_SEARCH,
    BuiltinToolSpec,
    builtin_tool_call_counts,
    builtin_tool_calls,
    builtin_tool_results,
)

__all__ = [
    "DeepSeekBuiltinTool",
    "DeepSeekReadURLTool",
    "DeepSeekWebSearchTool",
    "citation_blocks",
    "server_extra",
    "server_fields",
]


class DeepSeekBuiltinTool(AsyncBaseTool):
    """A tool the DeepSeek service runs itself, for a LlamaIndex tool list.

    Put it beside ``FunctionTool`` objects (``FunctionAgent(tools=[...])``,
    ``llm.chat_with_tools([...])``): ``DeepSeekAPI`` offers it to the model as the built-in
    tool, and the service runs it. An agent never gets a call of it to run; if one is made
    anyway, the tool answers with an error saying so.
    """

    def __init__(self, spec: BuiltinToolSpec, description: str) -> None:
        self.builtin_tool_spec = spec
        self._metadata = ToolMetadata(description=description, name=spec.type, fn_schema=None)

    @property
    def metadata(self) -> ToolMetadata:
        """The tool's name (its built-in type) and description."""
        return self._metadata

    def call(self, input: Any) -> ToolOutput:
        """Never run here: the service runs this tool while it answers."""
        name = self.builtin_tool_spec.type
        return ToolOutput(
            tool_name=name,
            content=f"{name} runs on the DeepSeek service; there is nothing to run locally",
            raw_input={"input": input},
            raw_output=None,
            is_error=True,
        )

    async def acall(self, input: Any) -> ToolOutput:
        """Never run here (see :meth:`call`)."""
        return self.call(input)


class DeepSeekWebSearchTool(DeepSeekBuiltinTool):
    """DeepSeek's built-in web search (``deepseek-flash``); with thinking on, deep thinking
    search. ``options`` are extra keys for the declaration, sent as they are."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            BuiltinToolSpec(type=WEB_SEARCH, **options),
            "Searches the web (run by the DeepSeek service itself).",
        )


class DeepSeekReadURLTool(DeepSeekBuiltinTool):
    """DeepSeek's built-in URL reading (``deepseek-flash``): fetches the links in the user's
    message. ``options`` are extra keys for the declaration, sent as they are."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            BuiltinToolSpec(type=READ_URL, **options),
            "Reads the web pages linked in the user's message (run by the DeepSeek service).",
        )


def citation_blocks(
    calls: Sequence[dict[str, Any]] | None, results: Sequence[dict[str, Any]] | None
) -> list[CitationBlock]:
    """A :class:`CitationBlock` per page the service's calls found or read."""
    if not results:
        return []
    order = {call.id: index for index, call in enumerate(builtin_tool_calls(_of(calls, results)))}
    blocks: list[CitationBlock] = []
    for result in builtin_tool_results(_of(calls, results)):
        call_index = order.get(result.tool_call_id, -1)
        for rank, source in enumerate(result.sources, 1):
            text = source.get("snippet") or source.get("summary") or source.get("title") or ""
            blocks.append(
                CitationBlock(
                    cited_content=TextBlock(text=str(text)),
                    source=str(source["url"]),
                    title=str(source.get("title") or source["url"]),
                    additional_location_info={"server_tool_call": call_index, "rank": rank},
                )
            )
    return blocks


def server_extra(
    calls: list[dict[str, Any]] | None, results: list[dict[str, Any]] | None
) -> dict[str, Any]:
    """The raw entries for a reply message's ``additional_kwargs`` (empty when none)."""
    if not calls and not results:
        return {}
    return {SERVER_TOOL_CALLS: calls or [], SERVER_TOOL_RESULTS: results or []}


def call_counts(calls: list[dict[str, Any]] | None) -> dict[str, Any]:
    """``{"builtin_tool_calls": {tool: n}}`` for a response's ``additional_kwargs``."""
    counts = builtin_tool_call_counts({SERVER_TOOL_CALLS: calls or []})
    return {"builtin_tool_calls": counts} if counts else {}


def server_fields(extra: Mapping[str, Any]) -> dict[str, Any]:
    """What an assistant message sends back from its ``additional_kwargs``: the server entries
    and the reply's unmodelled fields (``extra_message_fields``)."""
    fields: dict[str, Any] = {}
    for name in (SERVER_TOOL_CALLS, SERVER_TOOL_RESULTS):
        if extra.get(name):
            fields[name] = extra[name]
    if extra.get(PASSTHROUGH):
        fields["passthrough"] = extra[PASSTHROUGH]
    return fields


def passthrough_extra(unmodelled: Mapping[str, Any]) -> dict[str, Any]:
    """A reply message's unmodelled fields for its ``additional_kwargs`` (empty when none)."""
    kept = {key: value for key, value in unmodelled.items() if value is not None}
    return {PASSTHROUGH: kept} if kept else {}


def _of(
    calls: Sequence[dict[str, Any]] | None, results: Sequence[dict[str, Any]] | None
) -> dict[str, Any]:
    return {SERVER_TOOL_CALLS: list(calls or ()), SERVER_TOOL_RESULTS: list(results or ())}
