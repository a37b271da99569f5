"""Support for framework adapters: what the LangChain and LlamaIndex adapters share.

Users of the core need none of this; adapter authors import from here rather than from the
core's private modules. Nothing here imports a framework.
"""

from __future__ import annotations

from ._client import coerce_chat_request, invalid_request_from
from ._config import API_KEY_ENV_VARS, BASE_URL_ENV_VAR
from ._convert import (
    ROLE_ALIASES,
    ToolChoice,
    WireToolChoice,
    core_message,
    core_role,
    join_text_parts,
    parse_tool_arguments,
    resolve_tool_choice,
    tool_call_from,
    tool_spec_from,
    usage_summary,
)
from ._holder import ClientHolder, ClientOptions
from ._images import content_from_blocks, content_from_parts
from ._prepare import prepare_messages
from ._stream import StreamAccumulator, ToolCallBuilder
from ._version import __version__
from .models import forced_tool_choice_allowed

__all__ = [
    "API_KEY_ENV_VARS",
    "BASE_URL_ENV_VAR",
    "ROLE_ALIASES",
    "ClientHolder",
    "ClientOptions",
    "StreamAccumulator",
    "ToolCallBuilder",
    "ToolChoice",
    "WireToolChoice",
    "__version__",
    "coerce_chat_request",
    "content_from_blocks",
    "content_from_parts",
    "core_message",
    "core_role",
    "forced_tool_choice_allowed",
    "invalid_request_from",
    "join_text_parts",
    "parse_tool_arguments",
    "prepare_messages",
    "resolve_tool_choice",
    "tool_call_from",
    "tool_spec_from",
    "usage_summary",
]
