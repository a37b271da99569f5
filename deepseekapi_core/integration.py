"""Support for framework adapters: what the LangChain and LlamaIndex adapters share.

Users of the core need none of this; adapter authors import from here rather than from the
core's private modules. Nothing here imports a framework.
"""

from __future__ import annotations

from ._client import coerce_chat_request, invalid_request_from
from ._compose import OptionSource, compose_request
from ._config import (
    API_KEY_ENV_VARS,
    BASE_URL_ENV_VAR,
    ENV_VARS,
    TimeoutSpec,
    resolve_endpoint,
    resolve_timeout,
)
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
from ._holder import ClientHolder, ClientOptions, HoldsClients
from ._images import content_from_blocks, content_from_parts
from ._json_mode import parse_json_reply
from ._options import (
    IGNORED_OPTIONS,
    RequestOptions,
    SortedOptions,
    closest_name,
    known_option_names,
    refuse_options,
    sort_options,
    unknown_option_error,
)
from ._prepare import prepare_messages
from ._stream import StreamAccumulator, ToolCallBuilder
from ._version import __version__
from .models import forced_tool_choice_allowed

__all__ = [
    "API_KEY_ENV_VARS",
    "BASE_URL_ENV_VAR",
    "ENV_VARS",
    "IGNORED_OPTIONS",
    "ROLE_ALIASES",
    "TOOL_CALLS_RECOVERED",
    "ClientHolder",
    "ClientOptions",
    "HoldsClients",
    "OptionSource",
    "RequestOptions",
    "SortedOptions",
    "StreamAccumulator",
    "TimeoutSpec",
    "ToolCallBuilder",
    "ToolChoice",
    "WireToolChoice",
    "__version__",
    "closest_name",
    "coerce_chat_request",
    "compose_request",
    "content_from_blocks",
    "content_from_parts",
    "core_message",
    "core_role",
    "forced_tool_choice_allowed",
    "invalid_request_from",
    "join_text_parts",
    "known_option_names",
    "parse_json_reply",
    "parse_tool_arguments",
    "prepare_messages",
    "refuse_options",
    "resolve_endpoint",
    "resolve_timeout",
    "resolve_tool_choice",
    "sort_options",
    "tool_call_from",
    "tool_spec_from",
    "unknown_option_error",
    "usage_summary",
]


TOOL_CALLS_RECOVERED = "tool_calls_recovered"
"""The metadata key (LangChain ``response_metadata``, LlamaIndex ``additional_kwargs``) that
marks a reply whose tool calls the core recovered from its text; the value is the shape."""
