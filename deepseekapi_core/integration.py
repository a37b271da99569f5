"""Support for framework adapters: what the LangChain and LlamaIndex adapters share.

Users of the core need none of this; adapter authors import from here rather than from the
core's private modules. Nothing here imports a framework.

The mixin an adapter's model class inherits (:class:`HoldsClients`, with ``sharing_memo`` and
``follow_client_field``) lives in :mod:`deepseekapi_core.adapter_mixins`, re-exported here: that
module imports nothing heavy, so an adapter that must import fast can inherit it from there
without loading httpx (importing this module loads the clients).
"""

from __future__ import annotations

from ._client import coerce_chat_request, invalid_request_from
from ._compose import OptionSource, compose_request
from ._config import (
    API_KEY_ENV_VARS,
    BASE_URL_ENV_VAR,
    DEEPSEEK_BASE_URL_ENV_VARS,
    DEEPSEEK_DEFAULT_BASE_URL,
    ENV_VARS,
    Endpoint,
    TimeoutSpec,
    resolve_endpoint,
    resolve_timeout,
)
from ._construct import model_builder
from ._constructor import (
    ConstructorPolicy,
    check_field,
    client_options_from,
    sort_constructor_keywords,
)
from ._convert import (
    ROLE_ALIASES,
    SKIPPED_BLOCK_TYPES,
    ToolChoice,
    WireToolChoice,
    core_message,
    core_role,
    join_text_parts,
    json_schema_format,
    parse_tool_arguments,
    reasoning_block_texts,
    reasoning_from,
    resolve_tool_choice,
    tool_call_from,
    tool_calls_from,
    tool_spec_from,
    tool_specs_from,
    usage_summary,
)
from ._extras import install_command, require_module
from ._holder import ClientHolder, ClientOptions
from ._images import (
    check_request_images,
    content_from_blocks,
    content_from_parts,
    image_part_from_source,
)
from ._json_mode import parse_json_reply
from ._options import (
    IGNORED_OPTIONS,
    RequestOptions,
    SortedOptions,
    closest_name,
    known_option_names,
    sort_options,
    unknown_option_error,
)
from ._prepare import prepare_messages
from ._replies import (
    TOOL_CALLS_RECOVERED,
    BlockNumbering,
    ParsedToolCall,
    ReplySummary,
    corrective_turn_text,
    json_object_in_text,
    keep_first_tool_call,
    missing_tool_call_error,
    no_structured_call_message,
    parse_partial_arguments,
    parse_tool_calls,
    tool_call_arguments,
)
from ._stream import StreamAccumulator, ToolCallBuilder
from ._tool_recovery import RecoveredToolCalls, recover_tool_calls, schema_problems
from ._totals import UsageTotals, add_usage_counts, cost_metadata
from ._version import __version__
from .adapter_mixins import HoldsClients, follow_client_field, sharing_memo
from .models import forced_tool_choice_allowed

__all__ = [
    "API_KEY_ENV_VARS",
    "BASE_URL_ENV_VAR",
    "DEEPSEEK_BASE_URL_ENV_VARS",
    "DEEPSEEK_DEFAULT_BASE_URL",
    "ENV_VARS",
    "IGNORED_OPTIONS",
    "ROLE_ALIASES",
    "SKIPPED_BLOCK_TYPES",
    "TOOL_CALLS_RECOVERED",
    "BlockNumbering",
    "ClientHolder",
    "ClientOptions",
    "ConstructorPolicy",
    "Endpoint",
    "HoldsClients",
    "OptionSource",
    "ParsedToolCall",
    "RecoveredToolCalls",
    "ReplySummary",
    "RequestOptions",
    "SortedOptions",
    "StreamAccumulator",
    "TimeoutSpec",
    "ToolCallBuilder",
    "ToolChoice",
    "UsageTotals",
    "WireToolChoice",
    "__version__",
    "add_usage_counts",
    "check_field",
    "check_request_images",
    "client_options_from",
    "closest_name",
    "coerce_chat_request",
    "compose_request",
    "content_from_blocks",
    "content_from_parts",
    "core_message",
    "core_role",
    "corrective_turn_text",
    "cost_metadata",
    "follow_client_field",
    "forced_tool_choice_allowed",
    "image_part_from_source",
    "install_command",
    "invalid_request_from",
    "join_text_parts",
    "json_object_in_text",
    "json_schema_format",
    "keep_first_tool_call",
    "known_option_names",
    "missing_tool_call_error",
    "model_builder",
    "no_structured_call_message",
    "parse_json_reply",
    "parse_partial_arguments",
    "parse_tool_arguments",
    "parse_tool_calls",
    "prepare_messages",
    "reasoning_block_texts",
    "reasoning_from",
    "recover_tool_calls",
    "require_module",
    "resolve_endpoint",
    "resolve_timeout",
    "resolve_tool_choice",
    "schema_problems",
    "sharing_memo",
    "sort_constructor_keywords",
    "sort_options",
    "tool_call_arguments",
    "tool_call_from",
    "tool_calls_from",
    "tool_spec_from",
    "tool_specs_from",
    "unknown_option_error",
    "usage_summary",
]
