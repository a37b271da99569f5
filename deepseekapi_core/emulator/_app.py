"""The emulator itself: request in, response out, with no I/O.

:meth:`Emulator.handle` is the whole service: routing, authentication, the service's strict
request checks (era by era), the reply (scripted or generated), usage, and faults. The
transports in ``_transport.py`` and the server in ``_server.py`` only move bytes.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models import (
    DEFAULT_ERA,
    Era,
    ModelProfile,
    get_model_profile,
    known_model_ids,
    listed_model_ids,
)
from ._faults import FaultKind, FaultRule, Faults
from ._replies import (
    Hints,
    count_tokens,
    find_json_in_text,
    instance_for_schema,
    looks_like_schema,
    pick_tool,
    snippet,
)
from ._script import Script, ScriptedError, ScriptedReply
from ._vision import (
    ImageRejected,
    SeenImage,
    describe_images,
    image_part_problem,
    inspect_request_images,
)
from ._wire import (
    DEFAULT_ERRORS,
    EMULATOR_HEADER,
    FINGERPRINTS,
    HTML_PAGE,
    REASONS,
    EmulatedResponse,
    RecordedRequest,
    dumps,
    error_response,
    plain_error,
)

if TYPE_CHECKING:
    from ._transport import EmulatorTransport

__all__ = ["Emulator"]

_ROLES = ("system", "user", "assistant", "tool")
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PIECE = re.compile(r"\s*\S+\s*")
_TOKEN_SPAN = re.compile(r"\w+|[^\w\s]")
_MAX_CONTENT_EVENTS = 64
_CACHE_BLOCK = 64
_CACHE_LIMIT = 50_000
_EFFORTS = ("minimal", "low", "medium", "high", "xhigh", "max", "ultra")
_EFFORTS_V4_1 = ("none", *_EFFORTS)
_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "proxy-authorization"})

_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class _Rejected(Exception):
    """Raised inside the checks with the response to send."""

    def __init__(self, response: EmulatedResponse) -> None:
        super().__init__()
        self.response = response


def _describe(value: object) -> str:
    """A value as serde describes it in its deserialisation errors."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(value)}"
    if isinstance(value, list):
        return "a sequence"
    return "a map"


def _content_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


@dataclass
class _Chat:
    """A checked chat-completions request."""

    model: str
    response_model: str
    profile: ModelProfile
    thinking: bool
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    tool_choice: object
    json_mode: bool
    stream: bool
    include_usage: bool
    max_tokens: int | None
    stop: list[str]
    prompt_tokens: int
    images: tuple[SeenImage, ...] = ()


@dataclass
class _Reply:
    content: str
    reasoning: str | None
    tool_calls: list[tuple[str, str, str]]
    finish_reason: str


class Emulator:
    """An offline, deterministic stand-in for the DeepSeek chat-completions service.

    It answers ``POST /v1/chat/completions`` (plain JSON and SSE), ``GET /v1/models`` and
    ``GET /v1/user/balance`` (also without the ``/v1`` prefix), rejects what the service of
    ``era`` rejects with the service's error bodies, and labels every generated reply as
    emulated. Use :meth:`transport` for an in-process httpx transport, or
    :class:`~deepseekapi_core.emulator.EmulatorServer` to serve it on 127.0.0.1.

    Args:
        era: Which period of the service to emulate (rules differ; the newest by default).
        api_key: If set, the only key accepted; otherwise any non-empty bearer token is.
        seed: Seeds ids and fault rates, so runs repeat exactly.
        keep_alive_comments: ``: keep-alive`` comments sent while "thinking" in streams.
        extra_models: Model ids to accept besides the registry's ones for ``era``.
        record_requests: Keep every request in :attr:`requests` (turn off on hot paths;
            :attr:`request_count` is always kept).
    """

    def __init__(
        self,
        *,
        era: Era | str = DEFAULT_ERA,
        api_key: str | None = None,
        seed: int = 0,
        keep_alive_comments: int = 1,
        extra_models: Iterable[str] = (),
        record_requests: bool = True,
    ) -> None:
        self.era = Era(era)
        self.api_key = api_key
        self.keep_alive_comments = keep_alive_comments
        self.extra_models = tuple(extra_models)
        self.record_requests = record_requests
        self.script = Script()
        """Replies to hand out before generated ones (see :class:`Script`)."""
        self.faults = Faults(seed=seed)
        """Faults to inject (see :class:`Faults`)."""
        self.requests: list[RecordedRequest] = []
        """Every request received, oldest first (unless ``record_requests`` is off)."""
        self.request_count = 0
        """How many requests arrived, faulted ones included."""
        self._seed = seed
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._prefix_cache: dict[int, int] = {}
        self._fingerprint = FINGERPRINTS[self.era]
        self._models = frozenset(self.model_ids())

    def __repr__(self) -> str:
        return f"Emulator(era={self.era.value!r}, requests={self.request_count})"

    # ----------------------------------------------------------------------------------------
    # Convenience

    @property
    def last_request(self) -> RecordedRequest | None:
        """The most recent recorded request."""
        return self.requests[-1] if self.requests else None

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The recorded chat-completions requests."""
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    def reset(self) -> None:
        """Forget requests, scripted replies, faults and the context cache."""
        with self._lock:
            self.requests.clear()
            self.request_count = 0
            self._prefix_cache.clear()
            self._random = random.Random(self._seed)
        self.script.clear()
        self.faults.clear()

    def transport(self) -> EmulatorTransport:
        """An httpx transport, usable both as sync and async transport, serving this emulator."""
        from ._transport import EmulatorTransport

        return EmulatorTransport(self)

    def model_ids(self) -> tuple[str, ...]:
        """The model ids this emulator accepts (and lists at ``GET /models``)."""
        return known_model_ids(self.era) + self.extra_models

    # ----------------------------------------------------------------------------------------
    # The service

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> EmulatedResponse:
        """Answer one HTTP request. ``headers`` must allow lower-case lookups."""
        route = _route(path)
        parsed: Any = None
        streaming = False
        if body and route == "chat":
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                streaming = parsed.get("stream") is True
        with self._lock:
            self.request_count += 1
            if self.record_requests:
                self.requests.append(
                    RecordedRequest(
                        method=method,
                        path=path,
                        headers={
                            k.lower(): v
                            for k, v in headers.items()
                            if k.lower() not in _SECRET_HEADERS
                        },
                        json=parsed,
                        body=body,
                    )
                )
        delay = 0.0
        event_delay = 0.0
        before = self.faults._take(before_reply=True, streaming=streaming)
        for rule in before:
            if rule.kind is FaultKind.LATENCY:
                delay += rule.seconds
                event_delay += rule.per_event
        response = self._before_reply(before)
        if response is None:
            try:
                response = self._serve(route, method, path, headers, body, parsed, streaming)
            except _Rejected as rejected:
                response = rejected.response
        response.delay += delay
        response.event_delay += event_delay
        return response

    def _before_reply(self, rules: list[FaultRule]) -> EmulatedResponse | None:
        for rule in rules:
            if rule.kind is FaultKind.STATUS:
                return self._status_error(
                    rule.status,
                    rule.message,
                    rule.error_type,
                    None,
                    _retry_headers(rule.retry_after, rule.retry_after_ms),
                )
            if rule.kind is FaultKind.HTML_ERROR:
                reason = REASONS.get(rule.status, "Error")
                return EmulatedResponse(
                    rule.status,
                    [("content-type", "text/html"), ("server", "elb"), EMULATOR_HEADER],
                    HTML_PAGE.format(status=rule.status, reason=reason).encode(),
                )
            if rule.kind is FaultKind.DROP:
                return EmulatedResponse(0, [], drop=True)
        return None

    def _status_error(
        self,
        status: int,
        message: str | None,
        error_type: str | None,
        code: str | None,
        headers: list[tuple[str, str]],
    ) -> EmulatedResponse:
        default_message, default_type = DEFAULT_ERRORS.get(
            status,
            (
                REASONS.get(status, "Error"),
                "server_error" if status >= 500 else "invalid_request_error",
            ),
        )
        return error_response(
            status,
            message or default_message,
            error_type=error_type or default_type,
            code=code or "invalid_request_error",
            headers=[("x-ds-trace-id", self._trace_id()), *headers],
        )

    def _serve(
        self,
        route: str | None,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        parsed: Any,
        streaming: bool,
    ) -> EmulatedResponse:
        if route is None:
            return EmulatedResponse(404, [EMULATOR_HEADER], b"")
        wanted = "POST" if route == "chat" else "GET"
        if method.upper() != wanted:
            return EmulatedResponse(405, [("allow", wanted), EMULATOR_HEADER], b"")
        self._authenticate(headers)
        if route == "models":
            return self._json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": model, "object": "model", "owned_by": "deepseek"}
                        for model in listed_model_ids(self.era) + self.extra_models
                    ],
                },
            )
        if route == "balance":
            return self._json(
                200,
                {
                    "is_available": True,
                    "balance_infos": [
                        {
                            "currency": "USD",
                            "total_balance": "10.00",
                            "granted_balance": "0.00",
                            "topped_up_balance": "10.00",
                        }
                    ],
                },
            )
        content_type = headers.get("content-type", "")
        if "json" not in content_type.lower():
            raise _Rejected(
                plain_error(415, "Expected request with `Content-Type: application/json`")
            )
        if parsed is None:
            raise _Rejected(_syntax_error(body))
        chat = self._check(parsed, len(body))
        item = self.script._pop()
        if isinstance(item, ScriptedError):
            return self._status_error(
                item.status, item.message, item.error_type, item.code, list(item.headers)
            )
        reply = self._scripted(item, chat) if item is not None else self._compose(chat)
        reply = _limit(reply, chat)
        response = self._stream(chat, reply) if chat.stream else self._complete(chat, reply)
        if response.status == 200:
            self._apply_reply_faults(response, streaming)
        return response

    # ----------------------------------------------------------------------------------------
    # Authentication

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        value = headers.get("authorization", "")
        scheme, _, key = value.partition(" ")
        key = key.strip()
        if (
            scheme.lower() != "bearer"
            or not key
            or (self.api_key is not None and key != self.api_key)
        ):
            masked = "****" + (key[-4:] if len(key) >= 4 else "")
            raise _Rejected(
                error_response(
                    401,
                    f"Authentication Fails, Your api key: {masked} is invalid",
                    error_type="authentication_error",
                    headers=[("x-ds-trace-id", self._trace_id())],
                )
            )

    # ----------------------------------------------------------------------------------------
    # The service's request checks

    def _check(self, body: Any, size: int) -> _Chat:
        def shape(detail: str) -> _Rejected:
            return _Rejected(
                plain_error(
                    422,
                    "Failed to deserialize the JSON body into the target type: "
                    f"{detail} at line 1 column {size}",
                )
            )

        if not isinstance(body, dict):
            raise shape(f"invalid type: {_describe(body)}, expected struct ChatCompletionRequest")
        if "model" not in body:
            raise shape("missing field `model`")
        model = body["model"]
        if not isinstance(model, str):
            raise shape(f"model: invalid type: {_describe(model)}, expected a string")
        if "messages" not in body:
            raise shape("missing field `messages`")
        messages = body["messages"]
        if not isinstance(messages, list):
            raise shape(f"messages: invalid type: {_describe(messages)}, expected a sequence")
        for index, message in enumerate(messages):
            _check_message_shape(index, message, shape, images=self.era is Era.V4_1)
        for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
            value = body.get(name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float))
            ):
                raise shape(f"{name}: invalid type: {_describe(value)}, expected f32")
        for name in ("max_tokens", "top_logprobs"):
            value = body.get(name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise shape(f"{name}: invalid value: {_describe(value)}, expected u32")
        for name in ("stream", "logprobs"):
            value = body.get(name)
            if value is not None and not isinstance(value, bool):
                raise shape(f"{name}: invalid type: {_describe(value)}, expected a boolean")
        stop = body.get("stop")
        if (
            stop is not None
            and not isinstance(stop, str)
            and not (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
        ):
            raise shape("stop: data did not match any variant of untagged enum StopSequence")
        response_format = body.get("response_format")
        json_mode = False
        if response_format is not None:
            kind = response_format.get("type") if isinstance(response_format, dict) else None
            if kind not in ("text", "json_object"):
                raise shape(
                    f"response_format.type: unknown variant `{kind}`, "
                    "expected `text` or `json_object`"
                )
            json_mode = kind == "json_object"
        tools = body.get("tools")
        if tools is not None:
            if not isinstance(tools, list):
                raise shape(f"tools: invalid type: {_describe(tools)}, expected a sequence")
            for index, tool in enumerate(tools):
                if not isinstance(tool, dict) or tool.get("type", "function") != "function":
                    raise shape(f"tools[{index}].type: unknown variant, expected `function`")
                function = tool.get("function")
                if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                    raise shape(f"tools[{index}]: missing field `function`")
                parameters = function.get("parameters")
                if parameters is not None and not isinstance(parameters, dict):
                    raise shape(f"tools[{index}].function.parameters: expected a map")
        tool_choice = body.get("tool_choice")
        if tool_choice is not None and not (
            tool_choice in ("none", "auto", "required")
            or (
                isinstance(tool_choice, dict)
                and tool_choice.get("type") == "function"
                and isinstance(tool_choice.get("function"), dict)
                and isinstance(tool_choice["function"].get("name"), str)
            )
        ):
            raise shape("tool_choice: data did not match any variant of untagged enum ToolChoice")
        stream = body.get("stream") is True
        stream_options = body.get("stream_options")
        if stream_options is not None and not isinstance(stream_options, dict):
            raise shape("stream_options: invalid type, expected struct StreamOptions")

        if model not in self._models:
            if self.era is Era.V4_1:
                # As probed on 2026-09-10 (reference 1.16): the refusal names the listed ids.
                supported = ", ".join(listed_model_ids(self.era) + self.extra_models)
                raise _bad(f"The supported API model names are {supported}")
            raise _bad("Model Not Exist")
        profile = get_model_profile(model, self.era)

        thinking_switch: bool | None = None
        thinking = body.get("thinking")
        if thinking is not None and self.era.has_thinking_switch:
            kind = thinking.get("type") if isinstance(thinking, dict) else None
            if kind not in ("enabled", "disabled"):
                raise shape(
                    f"thinking.type: unknown variant `{kind}`, expected `enabled` or `disabled`"
                )
            thinking_switch = kind == "enabled"
        effort = body.get("reasoning_effort")
        efforts = _EFFORTS_V4_1 if self.era is Era.V4_1 else _EFFORTS
        if effort is not None and self.era in (Era.V4, Era.V4_1) and effort not in efforts:
            raise shape(
                f"reasoning_effort: unknown variant `{effort}`, expected one of "
                + ", ".join(f"`{e}`" for e in efforts)
            )
        if effort == "none" and thinking_switch is None and self.era is Era.V4_1:
            thinking_switch = False

        if not messages:
            raise _bad("Empty input messages")

        _check_range(body, "temperature", 0.0, 2.0, "[0, 2.0]", low_open=False)
        _check_range(body, "top_p", 0.0, 1.0, "(0, 1.0]", low_open=True)
        _check_range(body, "presence_penalty", -2.0, 2.0, "[-2.0, 2.0]", low_open=False)
        _check_range(body, "frequency_penalty", -2.0, 2.0, "[-2.0, 2.0]", low_open=False)
        max_tokens = body.get("max_tokens")
        if max_tokens is not None and not 1 <= max_tokens <= profile.max_output_tokens:
            raise _bad(
                "Invalid max_tokens value, the valid range of max_tokens is "
                f"[1, {profile.max_output_tokens}]"
            )
        top_logprobs = body.get("top_logprobs")
        if top_logprobs is not None:
            if top_logprobs > 20:
                raise _bad("Invalid top_logprobs value, the valid range of top_logprobs is [0, 20]")
            if not body.get("logprobs"):
                raise _bad("logprobs must be set to true if top_logprobs is used")
        stops = [stop] if isinstance(stop, str) else list(stop or [])
        if len(stops) > 16:
            raise _bad("Invalid stop value: up to 16 stop sequences are supported")

        tool_list: list[dict[str, Any]] = list(tools or [])
        if len(tool_list) > 128:
            raise _bad("Invalid tools: a maximum of 128 functions are supported")
        names: set[str] = set()
        for index, tool in enumerate(tool_list):
            name = tool["function"]["name"]
            if not _TOOL_NAME.match(name):
                raise _bad(
                    f"Invalid 'tools[{index}].function.name': string does not match pattern. "
                    "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'."
                )
            names.add(name)
        if tool_choice is not None and tool_choice != "none" and not tool_list:
            raise _bad("tool_choice is only allowed when tools are specified")
        if isinstance(tool_choice, dict) and tool_choice["function"]["name"] not in names:
            raise _bad(
                f"Invalid tool_choice: function `{tool_choice['function']['name']}` "
                "is not among the tools"
            )

        _check_tool_sequence(messages)

        thinks = profile.thinks(thinking_switch)
        response_model = model
        if tool_list and thinks and not profile.supports_tools_when_thinking:
            if not profile.supports_tools:
                raise _bad(f"{model} does not support Function Calling")
            # V3.1: tools on the reasoner were silently served by the chat model.
            thinks = False
            response_model = "deepseek-chat"
        if json_mode and not profile.supports_json_mode:
            raise _bad(f"{model} does not support Json Output")
        if (
            thinks
            and tool_choice not in (None, "auto", "none")
            and self.era.rejects_forced_tool_choice_when_thinking
        ):
            raise _bad("Thinking mode does not support this tool_choice")
        if thinks:
            for name in ("logprobs", "top_logprobs"):
                if body.get(name):
                    subject = model if self.era in (Era.R1, Era.V3_1) else "Thinking mode"
                    raise _bad(f"{subject} does not support the parameter `{name}`")

        if self.era.rejects_reasoning_in_input:
            for index, message in enumerate(messages):
                if message["role"] == "assistant" and message.get("reasoning_content") is not None:
                    raise _bad(
                        "The `reasoning_content` field is not supported in input messages: "
                        f"remove it from the assistant message at message index {index}"
                    )
        elif thinks and self.era.replays_reasoning_in_tool_turns:
            for index, message in enumerate(messages):
                if (
                    message["role"] == "assistant"
                    and message.get("tool_calls")
                    and message.get("reasoning_content") is None
                ):
                    raise _bad(
                        "Missing `reasoning_content` field in the assistant message at "
                        f"message index {index}"
                    )

        if profile.answered_as is not None and response_model == model:
            response_model = profile.answered_as

        try:
            images = tuple(inspect_request_images(messages, profile, self.era))
        except ImageRejected as exc:
            raise _bad(exc.message) from None
        prompt_tokens = _prompt_tokens(messages, tool_list) + sum(i.tokens for i in images)
        completion_budget = max_tokens or 0
        if prompt_tokens + completion_budget > profile.context_window:
            limit = profile.context_window - 11
            raise _Rejected(
                error_response(
                    400,
                    f"This model's maximum context length is {limit} tokens. However, you "
                    f"requested {prompt_tokens + completion_budget} tokens ({prompt_tokens} in "
                    f"the messages, {completion_budget} in the completion). Please reduce the "
                    "length of the messages or completion.",
                    content_type="application/octet-stream",
                )
            )

        include_usage = bool(
            stream and isinstance(stream_options, dict) and stream_options.get("include_usage")
        )
        return _Chat(
            model=model,
            response_model=response_model,
            profile=profile,
            thinking=thinks,
            messages=messages,
            tools=tool_list,
            tool_choice=tool_choice,
            json_mode=json_mode,
            stream=stream,
            include_usage=include_usage,
            max_tokens=max_tokens,
            stop=stops,
            prompt_tokens=prompt_tokens,
            images=images,
        )

    # ----------------------------------------------------------------------------------------
    # Replies

    def _scripted(self, item: ScriptedReply, chat: _Chat) -> _Reply:
        calls = [
            (self._call_id(i), call.name, call.arguments) for i, call in enumerate(item.tool_calls)
        ]
        reasoning: str | None = None
        if chat.thinking:
            reasoning = item.reasoning
            if reasoning is None:
                reasoning = _reasoning(_last_user_text(chat.messages), calls, chat.messages)
        finish = item.finish_reason or ("tool_calls" if calls else "stop")
        return _Reply(item.content, reasoning, calls, finish)

    def _compose(self, chat: _Chat) -> _Reply:
        messages = chat.messages
        last = messages[-1]
        user_text = _last_user_text(messages)
        label = f"[emulated {chat.response_model}]"
        choice = chat.tool_choice
        forced = choice == "required" or isinstance(choice, dict)
        calls: list[tuple[str, str, str]] = []
        content: str
        if chat.tools and choice != "none" and (forced or last["role"] == "user"):
            if isinstance(choice, dict):
                wanted = choice["function"]["name"]
                function = next(
                    t["function"] for t in chat.tools if t["function"]["name"] == wanted
                )
            else:
                function = pick_tool(chat.tools, user_text)
            parameters = function.get("parameters") or {"type": "object", "properties": {}}
            arguments = instance_for_schema(parameters, Hints(user_text))
            if not isinstance(arguments, dict):
                arguments = {}
            calls.append(
                (self._call_id(0), str(function["name"]), json.dumps(arguments, ensure_ascii=False))
            )
            content = ""
        elif last["role"] == "tool":
            results = _tool_results(messages, chat.images)
            summary = " ".join(
                f"The {name} tool returned: {snippet(result, 300)}" for name, result in results
            )
            if chat.json_mode:
                content = json.dumps({"result": summary}, ensure_ascii=False, indent=2)
            else:
                content = f"{label} {summary}"
        else:
            instance = _json_for_prompt(messages, user_text, chat.json_mode)
            if instance is not None:
                content = json.dumps(instance, ensure_ascii=False, indent=2)
            elif chat.json_mode:
                content = json.dumps(
                    {"result": f"{label} {snippet(user_text, 200)}"}, ensure_ascii=False, indent=2
                )
            else:
                content = f'{label} You said: "{snippet(user_text)}"'
                shown = describe_images(_images_of_last_user_message(messages, chat.images))
                if shown:
                    content = f"{content} {shown}"
        reasoning = _reasoning(user_text, calls, messages) if chat.thinking else None
        return _Reply(content, reasoning, calls, "tool_calls" if calls else "stop")

    # ----------------------------------------------------------------------------------------
    # Response bodies

    def _usage(self, chat: _Chat, reply: _Reply) -> dict[str, Any]:
        hit = self._cache_hit(chat.messages, chat.prompt_tokens)
        reasoning_tokens = count_tokens(reply.reasoning or "")
        completion = count_tokens(reply.content) + reasoning_tokens
        for _, _name, arguments in reply.tool_calls:
            completion += count_tokens(arguments) + 3
        usage: dict[str, Any] = {
            "prompt_tokens": chat.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": chat.prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": hit},
        }
        if chat.thinking:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
        usage["prompt_cache_hit_tokens"] = hit
        usage["prompt_cache_miss_tokens"] = chat.prompt_tokens - hit
        return usage

    def _complete(self, chat: _Chat, reply: _Reply) -> EmulatedResponse:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if reply.reasoning is not None:
            message["reasoning_content"] = reply.reasoning
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    "index": index,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }
                for index, (call_id, name, arguments) in enumerate(reply.tool_calls)
            ]
        body = {
            "id": self._completion_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": chat.response_model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": self._usage(chat, reply),
            "system_fingerprint": self._fingerprint,
        }
        return EmulatedResponse(
            200,
            [
                ("content-type", "application/json"),
                ("x-ds-trace-id", self._trace_id()),
                EMULATOR_HEADER,
            ],
            dumps(body),
        )

    def _stream(self, chat: _Chat, reply: _Reply) -> EmulatedResponse:
        head = (
            dumps(
                {
                    "id": self._completion_id(),
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": chat.response_model,
                    "system_fingerprint": self._fingerprint,
                }
            )[:-1]
            + b',"choices":[{"index":0,"delta":'
        )
        usage_null = b',"usage":null}' if chat.include_usage else b"}"
        tail = b',"logprobs":null,"finish_reason":null}]' + usage_null + b"\n\n"

        def event(delta: dict[str, Any]) -> bytes:
            return b"data: " + head + dumps(delta) + tail

        events: list[bytes] = []
        if chat.thinking:
            events.append(event({"role": "assistant", "content": None, "reasoning_content": ""}))
            events.extend(b": keep-alive\n\n" for _ in range(self.keep_alive_comments))
            for piece in _pieces(reply.reasoning or ""):
                events.append(event({"content": None, "reasoning_content": piece}))
            for piece in _pieces(reply.content):
                events.append(event({"content": piece, "reasoning_content": None}))
            final_delta: dict[str, Any] = {"content": "", "reasoning_content": None}
        else:
            events.append(event({"role": "assistant", "content": ""}))
            for piece in _pieces(reply.content):
                events.append(event({"content": piece}))
            final_delta = {"content": ""}
        for index, (call_id, name, arguments) in enumerate(reply.tool_calls):
            events.append(
                event(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": call_id,
                                "type": "function",
                                "function": {"name": name, "arguments": ""},
                            }
                        ]
                    }
                )
            )
            for fragment in _fragments(arguments):
                events.append(
                    event({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
                )
        final = (
            b"data: "
            + head
            + dumps(final_delta)
            + b',"logprobs":null,"finish_reason":'
            + dumps(reply.finish_reason)
            + b"}]"
        )
        if chat.include_usage:
            final += b',"usage":' + dumps(self._usage(chat, reply)) + b"}\n\n"
        else:
            self._cache_hit(chat.messages, chat.prompt_tokens)
            final += b"}\n\n"
        events.append(final)
        events.append(b"data: [DONE]\n\n")
        return EmulatedResponse(
            200,
            [
                ("content-type", "text/event-stream; charset=utf-8"),
                ("cache-control", "no-cache"),
                ("x-ds-trace-id", self._trace_id()),
                EMULATOR_HEADER,
            ],
            events=events,
        )

    def _json(self, status: int, body: Any) -> EmulatedResponse:
        return EmulatedResponse(
            status,
            [
                ("content-type", "application/json"),
                ("x-ds-trace-id", self._trace_id()),
                EMULATOR_HEADER,
            ],
            dumps(body),
        )

    def _apply_reply_faults(self, response: EmulatedResponse, streaming: bool) -> None:
        rules = self.faults._take(before_reply=False, streaming=streaming)
        for rule in rules:
            events = response.events
            if rule.kind is FaultKind.KEEP_ALIVE:
                if events is not None:
                    events[0:0] = [b": keep-alive\n\n"] * rule.count
                else:
                    response.body = b"\n" * rule.count + response.body
            elif rule.kind is FaultKind.MALFORMED:
                if events is None:
                    response.body = response.body[: max(len(response.body) // 2, 1)]
                else:
                    position = _data_index(events, rule.after_events)
                    while position < len(events) - 1 and not events[position].startswith(
                        b"data: {"
                    ):
                        position += 1
                    broken = events[position]
                    events[position] = broken[: max(len(broken) // 2, 8)] + b"\n\n"
            elif rule.kind is FaultKind.CUT_STREAM and events is not None:
                response.cut_after = _data_index(events, rule.after_events)
            elif rule.kind is FaultKind.STREAM_ERROR and events is not None:
                position = _data_index(events, rule.after_events)
                error = dumps(
                    {
                        "error": {
                            "message": rule.message,
                            "type": rule.error_type,
                            "param": None,
                            "code": rule.error_type,
                        }
                    }
                )
                del events[position:]
                events.append(b"data: " + error + b"\n\n")

    # ----------------------------------------------------------------------------------------
    # Ids and the context cache

    def _completion_id(self) -> str:
        with self._lock:
            bits = self._random.getrandbits(128)
        return str(uuid.UUID(int=bits, version=4))

    def _trace_id(self) -> str:
        with self._lock:
            return f"{self._random.getrandbits(128):032x}"

    def _call_id(self, index: int) -> str:
        with self._lock:
            suffix = "".join(self._random.choices(_ALPHANUMERIC, k=24))
        return f"call_{index:02d}_{suffix}"

    def _cache_hit(self, messages: list[dict[str, Any]], prompt_tokens: int) -> int:
        """Prompt tokens found in the emulated context cache (whole 64-token blocks of the
        longest message prefix seen before); the prompt's prefixes are then cached."""
        best = 0
        running = 0
        tokens = 0
        keys: list[tuple[int, int]] = []
        for message in messages:
            running = hash(
                (
                    running,
                    message.get("role"),
                    _content_text(message.get("content")),
                    str(message.get("tool_calls") or ""),
                    message.get("tool_call_id"),
                )
            )
            tokens += _message_tokens(message)
            keys.append((running, tokens))
        with self._lock:
            cache = self._prefix_cache
            for key, cumulative in keys:
                if key in cache:
                    best = cumulative
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            cache.update(keys)
        hit = (min(best, prompt_tokens) // _CACHE_BLOCK) * _CACHE_BLOCK
        return hit


# --------------------------------------------------------------------------------------------
# Helpers


def _route(path: str) -> str | None:
    path = path.split("?", 1)[0].rstrip("/")
    for prefix in ("/v1", "/beta"):
        if path.startswith(prefix + "/"):
            path = path[len(prefix) :]
            break
    if path == "/chat/completions":
        return "chat"
    if path == "/models":
        return "models"
    if path == "/user/balance":
        return "balance"
    return None


def _bad(message: str) -> _Rejected:
    return _Rejected(error_response(400, message))


def _syntax_error(body: bytes) -> EmulatedResponse:
    try:
        json.loads(body)
    except ValueError as error:
        detail = str(error)
    else:
        detail = "expected value"
    return plain_error(400, f"Failed to parse the request body as JSON: {detail}")


def _check_range(
    body: Mapping[str, Any], name: str, low: float, high: float, shown: str, *, low_open: bool
) -> None:
    value = body.get(name)
    if value is None:
        return
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        raise _bad(f"Invalid {name} value, the valid range of {name} is {shown}")


def _check_message_shape(index: int, message: object, shape: Any, *, images: bool) -> None:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        raise shape(f"{where}: invalid type: {_describe(message)}, expected internally tagged enum")
    if "role" not in message:
        raise shape(f"{where}: missing field `role`")
    role = message["role"]
    if role not in _ROLES:
        raise shape(
            f"{where}: unknown variant `{role}`, expected one of "
            "`system`, `user`, `assistant`, `tool`"
        )
    content = message.get("content")
    if role != "assistant" and "content" not in message:
        raise shape(f"{where}: missing field `content`")
    if role != "assistant" or content is not None:
        if isinstance(content, list):
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if images and kind == "image_url" and role in ("user", "tool"):
                    problem = image_part_problem(part)
                    if problem is not None:
                        raise shape(f"{where}: {problem}")
                    continue
                if kind != "text":
                    expected = "`text` or `image_url`" if images else "`text`"
                    raise shape(f"{where}: unknown variant `{kind}`, expected {expected}")
                if not isinstance(part.get("text"), str):
                    raise shape(f"{where}: missing field `text`")
        elif not isinstance(content, str):
            raise shape(
                f"{where}: data did not match any variant of untagged enum "
                "ChatCompletionRequestContent"
            )
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise shape(f"{where}: missing field `tool_call_id`")
    reasoning = message.get("reasoning_content")
    if reasoning is not None and not isinstance(reasoning, str):
        raise shape(
            f"{where}.reasoning_content: invalid type: {_describe(reasoning)}, expected a string"
        )
    tool_calls = message.get("tool_calls")
    if tool_calls is not None and role == "assistant":
        if not isinstance(tool_calls, list):
            raise shape(
                f"{where}.tool_calls: invalid type: {_describe(tool_calls)}, expected a sequence"
            )
        for call in tool_calls:
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(call, dict) or not isinstance(call.get("id"), str):
                raise shape(f"{where}.tool_calls: missing field `id`")
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise shape(f"{where}.tool_calls: missing field `function`")
            if not isinstance(function.get("arguments"), str):
                raise shape(f"{where}.tool_calls.function: missing field `arguments`")


def _check_tool_sequence(messages: list[dict[str, Any]]) -> None:
    """A tool message must answer a call of the assistant message just before it (or of the
    same block of tool messages); every call of that message must get its tool message."""
    offered: set[str] = set()
    pending: set[str] = set()
    for message in messages:
        role = message["role"]
        if role == "tool":
            call_id = message["tool_call_id"]
            if call_id not in offered:
                raise _bad(
                    "Messages with role 'tool' must be a response to a preceding message "
                    "with 'tool_calls'"
                )
            pending.discard(call_id)
            continue
        if pending:
            raise _insufficient_tool_messages()
        calls = message.get("tool_calls") if role == "assistant" else None
        if calls:
            offered = {call["id"] for call in calls}
            pending = set(offered)
        else:
            offered = set()
    if pending:
        raise _insufficient_tool_messages()


def _insufficient_tool_messages() -> _Rejected:
    return _bad(
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        "to each 'tool_call_id'. (insufficient tool messages following tool_calls message)"
    )


def _message_tokens(message: Mapping[str, Any]) -> int:
    tokens = 4 + count_tokens(_content_text(message.get("content")))
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str):
        tokens += count_tokens(reasoning)
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        tokens += 3 + count_tokens(str(function.get("arguments", "")))
    return tokens


def _prompt_tokens(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
    total = sum(_message_tokens(m) for m in messages) + 2
    if tools:
        total += len(json.dumps(tools, separators=(",", ":"))) // 4
    return total


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            return _content_text(message.get("content"))
    for message in reversed(messages):
        if message["role"] == "system":
            return _content_text(message.get("content"))
    return ""


def _images_of_last_user_message(
    messages: list[dict[str, Any]], images: tuple[SeenImage, ...]
) -> list[SeenImage]:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index]["role"] == "user":
            return [image for image in images if image.message_index == index]
    return []


def _tool_results(
    messages: list[dict[str, Any]], images: tuple[SeenImage, ...] = ()
) -> list[tuple[str, str]]:
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            names[call["id"]] = call["function"]["name"]
    trailing: list[tuple[str, str]] = []
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message["role"] != "tool":
            break
        call_id = message["tool_call_id"]
        result = _content_text(message.get("content"))
        shown = describe_images([image for image in images if image.message_index == index])
        trailing.append((names.get(call_id, "tool"), f"{result} {shown}".strip()))
    trailing.reverse()
    return trailing


def _json_for_prompt(messages: list[dict[str, Any]], user_text: str, json_mode: bool) -> Any:
    """A JSON instance for a prompt that asks for JSON: valid against a schema found in the
    system/user messages, or shaped like an example found there."""
    example: Any = None
    for message in messages:
        if message["role"] not in ("system", "user"):
            continue
        text = _content_text(message.get("content"))
        if "{" not in text or (not json_mode and "json" not in text.lower()):
            continue
        for found in find_json_in_text(text):
            if looks_like_schema(found):
                return instance_for_schema(found, Hints(user_text))
            if example is None:
                example = found
    if example is None and json_mode:
        keys = _keys_named_in(user_text)
        if keys:
            return {key: f"[emulated] {key}" for key in keys}
    return example


_KEY_PHRASE = re.compile(r"\b(?:keys?|fields?|properties)\b", re.IGNORECASE)
_QUOTED_KEY = re.compile(r"[\"'`]([A-Za-z_][A-Za-z0-9_]{0,63})[\"'`]")


def _keys_named_in(text: str) -> list[str]:
    """Quoted identifiers in a prompt that mentions keys or fields ("with 'setup' and
    'punchline' keys"): the object the prompt asks for, when it gives no schema or example."""
    if not _KEY_PHRASE.search(text):
        return []
    return list(dict.fromkeys(_QUOTED_KEY.findall(text)))


def _reasoning(
    user_text: str, calls: list[tuple[str, str, str]], messages: list[dict[str, Any]]
) -> str:
    opening = f'[emulated reasoning] The user wrote: "{snippet(user_text, 200)}".'
    if calls:
        names = ", ".join(f"`{name}`" for _, name, _ in calls)
        return f"{opening} I should call {names} with {calls[0][2]} before answering."
    if messages and messages[-1]["role"] == "tool":
        return f"{opening} The tool results are in, so I can answer now."
    return f"{opening} I can answer this directly."


def _pieces(text: str) -> list[str]:
    if not text:
        return []
    pieces = _PIECE.findall(text) or [text]
    if len(pieces) > _MAX_CONTENT_EVENTS:
        size = -(-len(pieces) // _MAX_CONTENT_EVENTS)
        pieces = ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]
    return pieces


def _fragments(arguments: str) -> list[str]:
    if len(arguments) <= 4:
        return [arguments] if arguments else []
    size = -(-len(arguments) // 4)
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]


def _limit(reply: _Reply, chat: _Chat) -> _Reply:
    """Apply ``stop`` sequences and ``max_tokens`` to the answer text."""
    content = reply.content
    finish = reply.finish_reason
    if chat.stop and content and not reply.tool_calls:
        cut = min((i for i in (content.find(s) for s in chat.stop if s) if i >= 0), default=-1)
        if cut >= 0:
            content = content[:cut]
            finish = "stop"
    if chat.max_tokens is not None and not reply.tool_calls:
        spans = list(_TOKEN_SPAN.finditer(content))
        if len(spans) > chat.max_tokens:
            content = content[: spans[chat.max_tokens - 1].end()]
            finish = "length"
    if content is reply.content and finish == reply.finish_reason:
        return reply
    return _Reply(content, reply.reasoning, reply.tool_calls, finish)


def _data_index(events: list[bytes], after: int) -> int:
    """The position in ``events`` just after ``after`` data events (keep-alives skipped)."""
    seen = 0
    for position, frame in enumerate(events):
        if seen >= after:
            return position
        if frame.startswith(b"data: "):
            seen += 1
    return len(events) - 1


def _retry_headers(
    retry_after: float | str | None, retry_after_ms: float | None
) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    if retry_after is not None:
        if isinstance(retry_after, str):
            headers.append(("retry-after", retry_after))
        else:
            value = float(retry_after)
            headers.append(("retry-after", str(int(value)) if value.is_integer() else str(value)))
    if retry_after_ms is not None:
        value = float(retry_after_ms)
        headers.append(("retry-after-ms", str(int(value)) if value.is_integer() else str(value)))
    return headers
