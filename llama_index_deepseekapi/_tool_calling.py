"""A tool-calling turn's ``chat`` arguments for ``DeepSeekAPI`` (llama-index's
``FunctionCallingLLM._prepare_chat_with_tools``): messages, tool specs and the tool choice the
model's mode allows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from deepseekapi_core.wire import Era


def tool_turn(
    tools: Sequence[BaseTool],
    user_msg: str | ChatMessage | None,
    chat_history: list[ChatMessage] | None,
    *,
    call_kwargs: Mapping[str, Any],
    strict: bool | None,
    thinking: bool | None,
    model: str,
    era: Era,
    tool_required: bool,
    tool_choice: str | dict[str, Any] | None,
) -> dict[str, Any]:
    """The ``chat`` arguments: the history with ``user_msg`` appended, the tools as core specs
    (``strict`` set on functions that do not say), and ``tool_choice`` (``"required"`` or a
    named tool only where the mode allows forcing, else ``"auto"``)."""
    from deepseekapi_core.tools._specs import forced_tool_choice_allowed, resolve_tool_choice

    from ._messages import function_names, tool_specs

    messages = list(chat_history or [])
    if user_msg is not None:
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        messages.append(user_msg)
    prepared: dict[str, Any] = {"messages": messages, **call_kwargs}
    if tools:
        specs = prepared["tools"] = tool_specs(tools, strict=strict)
        choice = resolve_tool_choice(
            tool_choice,
            function_names(specs),
            tool_required=tool_required,
            forcing_allowed=forced_tool_choice_allowed(model, thinking=thinking, era=era),
        )
        prepared["tool_choice"] = choice or "auto"
    return prepared
