"""Typed wire models of chat-completions requests (pydantic v2), and the tool-call models
requests and replies share (the replies themselves are in :mod:`._responses`).

Request models forbid unknown fields and validate before anything is sent, so a typo or an
out-of-range value fails locally with the field named. Response models keep unknown fields
(``extra="allow"``): the service adds fields over time and they must not be lost.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ._builtin_tools import (
    BUILTIN_TOOL_TYPES,
    BuiltinToolSpec,
    add_assistant_extras,
    assistant_extras_problem,
)
from ._prefix import prefix_position_problem, prefix_problem, with_prefix

Role = Literal["system", "user", "assistant", "tool"]
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max", "ultra"]
"""Values the service documents; ``none`` means thinking off, the others are mapped onto the
service's own levels (see :data:`deepseekapi_core.wire.REASONING_EFFORTS`)."""

TOOL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""What the service accepts as a function name (the emulator checks requests against it too)."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


# --------------------------------------------------------------------------------------------
# Tools


class FunctionCall(_Response):
    """A function call the model made: its name and its arguments as a JSON string."""

    name: str
    arguments: str = ""


class ToolCall(_Response):
    """One tool call in an assistant message."""

    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class FunctionSpec(_Request):
    """A function offered to the model."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        if not TOOL_NAME_PATTERN.match(name):
            raise ValueError(
                f"tool name {name!r} must be 1-64 characters of a-z, A-Z, 0-9, '_' or '-'"
            )
        return name

    @field_validator("parameters")
    @classmethod
    def _check_parameters(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is None:
            return None
        kind = schema.get("type", "object")
        if kind != "object":
            raise ValueError(
                f"tool parameters must be a JSON schema of type 'object', not {kind!r}"
            )
        properties = schema.get("properties", {})
        if not isinstance(properties, dict) or not all(
            isinstance(value, dict) for value in properties.values()
        ):
            raise ValueError("tool parameters 'properties' must map each name to a JSON schema")
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise ValueError("tool parameters 'required' must be a list of property names")
        return schema


class ToolSpec(_Request):
    """A tool offered to the model (only ``function`` tools exist)."""

    type: Literal["function"] = "function"
    function: FunctionSpec


class NamedToolChoice(_Request):
    """Force a call of one named function."""

    class _Name(_Request):
        name: str

    type: Literal["function"] = "function"
    function: _Name


# --------------------------------------------------------------------------------------------
# Messages


class TextPart(_Request):
    """A text part of multi-part content."""

    type: Literal["text"] = "text"
    text: str


class ImageURL(_Request):
    """Where an image is: a ``data:`` URL with the bytes in base64, or an http(s) URL."""

    url: str = Field(min_length=1)
    detail: Literal["auto", "low", "high"] | None = None
    """OpenAI's resolution hint, passed through; DeepSeek does not document whether it acts."""

    @field_validator("url")
    @classmethod
    def _check_scheme(cls, url: str) -> str:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ("data", "http", "https"):
            raise ValueError(
                "an image url must be a data: URL or an http(s) URL, "
                f"not {url[:40]!r}{'...' if len(url) > 40 else ''}"
            )
        return url


class ImagePart(_Request):
    """An image part (OpenAI's ``image_url`` shape), read by vision models only.

    Build one with :func:`deepseekapi_core.image_part_from_bytes`, ``image_part_from_path`` or
    ``image_part_from_url``; its bytes are checked before sending (format, size, model).
    """

    type: Literal["image_url"] = "image_url"
    image_url: ImageURL

    def __repr__(self) -> str:
        # A data: URL can be megabytes; a repr names the image without dumping it.
        url = self.image_url.url
        if url.startswith("data:"):
            url = url.split(",", 1)[0] + f",<{len(url)} chars>"
        return f"ImagePart(url={url!r}, detail={self.image_url.detail!r})"


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]
"""One part of multi-part content: text or an image."""


class ChatMessage(_Request):
    """One message of a conversation, as sent to the service.

    ``content`` is a string, or (user messages and tool results only) a list of text and
    image parts.
    """

    role: Role
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    reasoning_content: str | None = None
    prefix: bool | None = None
    server_tool_calls: list[dict[str, Any]] | None = None
    """The service's own calls of built-in tools in an earlier reply (assistant messages
    only), sent back exactly as they came (see :mod:`deepseekapi_core.wire._builtin_tools`)."""
    server_tool_results: list[dict[str, Any]] | None = None
    """Those calls' results, sent back exactly as they came."""
    passthrough: dict[str, Any] | None = None
    """Fields of an earlier reply's message this library does not model (assistant messages
    only), sent back as they came: the service may add some (see ``docs/web_tools.md``)."""

    @model_validator(mode="after")
    def _check_shape(self) -> ChatMessage:
        if isinstance(self.content, list):
            if self.role not in ("user", "tool"):
                raise ValueError(
                    f"a {self.role} message takes text content only; content parts (images) "
                    "go in user messages and tool results"
                )
            if not self.content:
                raise ValueError(f"a {self.role} message needs content, not an empty part list")
        if self.role == "tool":
            if not self.tool_call_id:
                raise ValueError("a tool message needs the tool_call_id of the call it answers")
            if self.content is None:
                raise ValueError("a tool message needs content (the tool's result)")
        elif self.tool_call_id is not None:
            raise ValueError(f"tool_call_id is only allowed on tool messages, not {self.role}")
        problem = assistant_extras_problem(self)
        if problem is not None:
            raise ValueError(problem)
        if self.role != "assistant":
            if self.tool_calls:
                raise ValueError(
                    f"tool_calls are only allowed on assistant messages, not {self.role}"
                )
            if self.reasoning_content is not None:
                raise ValueError(
                    f"reasoning_content is only allowed on assistant messages, not {self.role}"
                )
            if self.prefix:
                raise ValueError(
                    "prefix=True is only allowed on an assistant message (the one the model "
                    f"continues), not on a {self.role} message"
                )
            if self.content is None:
                raise ValueError(f"a {self.role} message needs content")
        elif self.content is None and not self.tool_calls and not self.server_tool_calls:
            raise ValueError("an assistant message needs content or tool_calls")
        return self

    def to_wire(self) -> dict[str, Any]:
        """The message as a JSON-ready dict, without empty optional fields."""
        content: Any = self.content
        if isinstance(content, list):
            content = [part.model_dump(exclude_none=True) for part in content]
        wire: dict[str, Any] = {"role": self.role, "content": content}
        if self.name is not None:
            wire["name"] = self.name
        if self.tool_calls:
            wire["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
                for call in self.tool_calls
            ]
        if self.tool_call_id is not None:
            wire["tool_call_id"] = self.tool_call_id
        if self.reasoning_content is not None:
            wire["reasoning_content"] = self.reasoning_content
        if self.prefix is not None:
            wire["prefix"] = self.prefix
        if self.server_tool_calls or self.server_tool_results or self.passthrough:
            add_assistant_extras(wire, self)
        return wire


# --------------------------------------------------------------------------------------------
# Request


class ResponseFormat(_Request):
    """``{"type": "json_object"}`` turns on JSON Output.

    ``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}`` (openai's
    structured outputs, which LangChain and llama-index send) is accepted too. The service has
    no such mode, so :func:`~deepseekapi_core.build_request_body` serves it the way the service
    can: JSON Output, with the schema given to the model in a system message.
    """

    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check_schema(self) -> ResponseFormat:
        if self.type != "json_schema":
            if self.json_schema is not None:
                raise ValueError(
                    f"json_schema is only allowed with type 'json_schema', not {self.type!r}"
                )
            return self
        schema = (self.json_schema or {}).get("schema")
        if not isinstance(schema, dict):
            raise ValueError(
                "type 'json_schema' needs json_schema={'name': ..., 'schema': {...}} "
                "with the JSON schema of the reply"
            )
        return self


class StreamOptions(_Request):
    """Streaming options; ``include_usage`` adds token usage to the stream."""

    include_usage: bool | None = None


class ThinkingConfig(_Request):
    """The V4 thinking switch."""

    type: Literal["enabled", "disabled"]


class SafetyCheck(_Request):
    """Content safety review (``deepseek-flash``, from 2026-11-13; the service's "Model Content
    Safety" guide, https://api-docs.deepseek.com/guides/safety).

    ``"high"`` turns on the basic risk control, which reviews the input and the output: a
    request may then be refused with 400 "Content Exists Risk" or its reply end in a refusal.
    ``"low"`` is the default checks, the same as leaving the field out.
    """

    level: Literal["low", "high"]


class ChatRequest(_Request):
    """A chat-completions request, validated before it is sent.

    This model is the one list of request parameters: every field is sent (when set) under its
    own name, except the fields in :attr:`NON_WIRE_FIELDS`. A new service parameter is added
    here and nowhere else; the clients, both adapters' options and the emulator's checks follow.
    :func:`deepseekapi_core.build_request_body` applies the mode rules on top (``thinking`` as
    a plain bool or the wire object, parameters a model ignores or rejects, JSON schema output,
    reasoning replay, ``stream`` set by the method called).
    """

    NON_WIRE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"extra_body", "allow_dropped_images", "prefix"}
    )
    """Fields that steer how the request is built and are never sent under their own name:
    ``extra_body`` (merged into the body as it is), ``allow_dropped_images`` and ``prefix``
    (applied to the messages)."""

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    stop: str | Annotated[list[str], Field(max_length=16)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    response_format: ResponseFormat | None = None
    tools: Annotated[list[ToolSpec | BuiltinToolSpec], Field(max_length=128)] | None = None
    """Function tools, and the service's built-in tools (``{"type": "deepseek_web_search"}``,
    ``deepseek-flash`` only; see :func:`deepseekapi_core.wire.web_search`)."""
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    thinking: bool | ThinkingConfig | None = None
    reasoning_effort: ReasoningEffort | None = None
    user_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,512}$")] | None = None
    safety_check: SafetyCheck | None = None
    extra_body: dict[str, Any] | None = None
    allow_dropped_images: bool = False
    """Send image parts to a model known to drop them silently (``deepseek-v4-pro``).

    Not a wire field. Without it such a request is refused before sending, because the reply
    would come back as if the model had seen the image."""
    prefix: bool | str | None = None
    """Chat prefix completion (beta): the model continues an assistant message.

    ``True`` marks the last message, which must be an assistant message, with the wire's
    ``"prefix": true``; a string appends ``{"role": "assistant", "content": <it>, "prefix":
    true}``. Not a wire field: it is applied to :attr:`messages` when the request is validated
    (a message may also carry ``prefix=True`` itself). Such a request goes to the beta base URL,
    and the reply's content is the continuation only, without the prefix."""

    @field_validator("messages")
    @classmethod
    def _check_prefix_position(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        problem = prefix_position_problem(messages)
        if problem is not None:
            raise ValueError(problem)
        return messages

    @field_validator("prefix")
    @classmethod
    def _check_prefix(cls, prefix: bool | str | None, info: ValidationInfo) -> bool | str | None:
        problem = prefix_problem(prefix, info.data.get("messages"))
        if problem is not None:
            raise ValueError(problem)
        return prefix

    @field_validator("extra_body")
    @classmethod
    def _check_extra_body(cls, extra_body: dict[str, Any] | None) -> dict[str, Any] | None:
        if extra_body is not None:
            problem = json_problem(extra_body, "extra_body")
            if problem is not None:
                raise ValueError(problem)
        return extra_body

    @model_validator(mode="after")
    def _check_consistency(self) -> ChatRequest:
        if self.top_logprobs is not None and not self.logprobs:
            raise ValueError("top_logprobs needs logprobs=True")
        if self.reasoning_effort == "none" and self.thinking_switch:
            raise ValueError("reasoning_effort 'none' means thinking off, but thinking is on")
        if self.tool_choice is not None and self.tool_choice != "none" and not self.tools:
            raise ValueError("tool_choice needs tools")
        if isinstance(self.tool_choice, NamedToolChoice):
            names = {tool.function.name for tool in self.tools or () if isinstance(tool, ToolSpec)}
            wanted = self.tool_choice.function.name
            if wanted not in names:
                raise ValueError(f"tool_choice names {wanted!r}, which is not among the tools")
        if self.tools:
            seen: set[str] = set()
            for tool in self.tools:
                name = tool.function.name if isinstance(tool, ToolSpec) else tool.type
                if name in seen:
                    raise ValueError(f"two tools are named {name!r}")
                if isinstance(tool, ToolSpec) and name in BUILTIN_TOOL_TYPES:
                    # A reply's call of this name is read as the service's own call.
                    raise ValueError(
                        f"a function tool may not be named {name!r}, the name of a built-in "
                        "tool; offer the built-in one as {'type': " + repr(name) + "}"
                    )
                seen.add(name)
        _check_tool_call_ids(self.messages)
        if self.prefix:
            self.messages = with_prefix(self.messages, self.prefix)
        return self

    @property
    def function_tools(self) -> list[ToolSpec]:
        """The function tools offered (the service's built-in tools left out)."""
        return [tool for tool in self.tools or () if isinstance(tool, ToolSpec)]

    @property
    def beta_features(self) -> tuple[str, ...]:
        """The beta features this request uses; any of them sends it to the beta base URL
        (DeepSeek honours them only there: strict tools, chat prefix completion)."""
        features: list[str] = []
        if any(tool.function.strict for tool in self.function_tools):
            features.append("strict tools")
        if self.messages[-1].prefix:
            features.append("chat prefix completion")
        return tuple(features)

    @property
    def thinking_switch(self) -> bool | None:
        """``thinking`` as a bool, or None when the request leaves it to the model.

        ``reasoning_effort="none"`` is the effort scale's way of saying thinking off.
        """
        if isinstance(self.thinking, ThinkingConfig):
            return self.thinking.type == "enabled"
        if self.thinking is None and self.reasoning_effort == "none":
            return False
        return self.thinking


def json_problem(value: object, path: str) -> str | None:
    """Why ``value`` cannot be sent as JSON (naming the path to the first bad value), or None.

    Only what ``json.dumps`` writes as standard JSON passes: dicts with string keys, lists and
    tuples, strings, booleans, None, integers and finite floats.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path} is {value!r}, which JSON cannot carry"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path} has the key {key!r}; JSON object keys must be strings"
            problem = json_problem(item, f"{path}.{key}")
            if problem is not None:
                return problem
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problem = json_problem(item, f"{path}[{index}]")
            if problem is not None:
                return problem
        return None
    hint = " (use a list)" if isinstance(value, (set, frozenset)) else ""
    return f"{path} is a {type(value).__name__}, which JSON cannot carry{hint}"


def _check_tool_call_ids(messages: list[ChatMessage]) -> None:
    """Every tool message answers a call made by an earlier assistant message, once."""
    open_calls: set[str] = set()
    answered: set[str] = set()
    for index, message in enumerate(messages):
        if message.role == "assistant" and message.tool_calls:
            open_calls.update(call.id for call in message.tool_calls)
        elif message.role == "tool":
            call_id = message.tool_call_id or ""
            if call_id not in open_calls:
                raise ValueError(
                    f"messages[{index}] is a tool result for {call_id!r}, "
                    "but no earlier assistant message made a call with that id"
                )
            if call_id in answered:
                raise ValueError(f"messages[{index}] answers tool call {call_id!r} a second time")
            answered.add(call_id)
