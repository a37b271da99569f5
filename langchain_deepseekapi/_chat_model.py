"""``ChatDeepSeekAPI``: a LangChain chat model over :mod:`deepseekapi_core`.

A thin translation layer: HTTP, retries, error mapping, SSE and the reasoner's history rules all
live in the core. This module turns LangChain messages and options into a core
:class:`~deepseekapi_core.ChatRequest` and the core's replies into LangChain messages.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal

import httpx
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models import ModelProfile as LCModelProfile
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    InstanceOf,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from deepseekapi_core import (
    ChatCompletion,
    ChatRequest,
    Era,
    RequestOptions,
    RetryPolicy,
    get_model_profile,
)
from deepseekapi_core._adapters._compose_request import OptionSource, compose_request
from deepseekapi_core._adapters._holder import ClientHolder
from deepseekapi_core._adapters._keywords import (
    ConstructorPolicy,
    check_field,
    client_options_from,
    sort_constructor_keywords,
)
from deepseekapi_core._adapters._mixins import HoldsClients
from deepseekapi_core.accounting._limiter import ConcurrencyLimiter
from deepseekapi_core.accounting._pricing import AnsweredReply, PriceTable
from deepseekapi_core.accounting._totals import reply_cost_metadata
from deepseekapi_core.http import InvalidAPIKeyError
from deepseekapi_core.http._config import DEFAULT_MAX_RETRIES, resolve_endpoint
from deepseekapi_core.tools._specs import (
    ToolChoice,
    forced_tool_choice_allowed,
    resolve_tool_choice,
)
from deepseekapi_core.wire import DEFAULT_ERA, ReasoningEffort
from deepseekapi_core.wire._prepare import sent_thinking_switch

from ._compat import (
    combine_llm_outputs,
)
from ._messages import (
    MODEL_PROVIDER,
    to_core_messages,
)
from ._results import StreamFolder, chat_result
from ._structured import structured_output, tool_wire
from ._tokens import count_message_tokens, token_ids

__all__ = ["ChatDeepSeekAPI"]

# Call options LangChain (or callers porting from ChatOpenAI) may pass that are not request
# fields: consumed here, never sent.
_CONSUMED_KWARGS = frozenset({"stream", "stream_usage", "ls_structured_output_format", "messages"})
_PARAM_FIELDS = (
    "temperature",
    "top_p",
    "max_tokens",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "thinking",
    "reasoning_effort",
    "user_id",
)
# The fields that configure the core clients are ClientOptions' fields, named as there, but for
# this one: ChatOpenAI's spelling (``async_http_client`` is accepted as well).
_CLIENT_OPTION_ALIASES = {"async_http_client": "http_async_client"}
# ChatDeepSeek's and ChatOpenAI's constructor keywords that are not our fields.
_CONSTRUCTOR_POLICY = ConstructorPolicy(
    owner="ChatDeepSeekAPI",
    aliases={"openai_api_key": "api_key", "openai_api_base": "base_url", "openai_proxy": "proxy"},
    refused=frozenset(
        {
            "organization",
            "openai_organization",
            "tiktoken_model_name",
            "reasoning",
            "use_responses_api",
            "verbosity",
            "include",
            "truncation",
            "use_previous_response_id",
            "context_management",
            "client",
            "async_client",
            "root_client",
            "root_async_client",
        }
    ),
    http_clients=("http_client", "http_async_client"),
    unknown_to="model_kwargs",
    client_option_aliases=_CLIENT_OPTION_ALIASES,
)


class ChatDeepSeekAPI(HoldsClients, BaseChatModel):
    """DeepSeek chat models (``deepseek-chat``, ``deepseek-reasoner``, V4 ids) for LangChain.

    Setup:
        Set ``DEEPSEEKAPI_API_KEY`` (or ``DEEPSEEK_API_KEY``), or pass ``api_key``. Without a
        network, pass the offline emulator's transport
        (``transport=deepseekapi_core.testing.Emulator().transport()``).

    Example:
        .. code-block:: python

            from langchain_deepseekapi import ChatDeepSeekAPI

            llm = ChatDeepSeekAPI(model="deepseek-reasoner")
            reply = llm.invoke("Why is the sky blue?")
            reply.content                                 # the answer
            reply.additional_kwargs["reasoning_content"]  # the reasoning
            reply.content_blocks  # [{"type": "reasoning", ...}, {"type": "text", ...}]

    Reasoning: ``deepseek-reasoner`` (or a thinking-capable model with ``thinking=True``)
    returns its reasoning apart from the answer, in ``additional_kwargs["reasoning_content"]``
    (as langchain-deepseek does) and as a standard ``{"type": "reasoning"}`` content block;
    ``content`` stays the answer string. In later turns the core sends reasoning back exactly
    when the service requires it (thinking-mode tool calls), so agent loops with the reasoner
    do not fail with a 400 on their second step.

    Streaming: each chunk carries its answer text, its reasoning delta (in
    ``additional_kwargs["reasoning_content"]``) and its tool-call fragments; the last chunk
    (``chunk_position="last"``) carries the finish reason, model name, system fingerprint and
    token usage.

    Structured output: ``method="function_calling"`` (default, a forced tool call),
    ``"json_mode"`` (``response_format={"type": "json_object"}``; describe the JSON in the
    prompt), and ``"json_schema"``, which the service does not offer natively and which is
    therefore served by function calling with the same schema, or in thinking mode (where no
    tool can be forced) by JSON Output with the schema in a system message. A call returns the
    object or raises ``OutputParserException``, never a bare ``None``.

    Images: ``deepseek-flash`` (V4.1) reads them, in ``HumanMessage`` and ``ToolMessage``
    content as standard image blocks (``{"type": "image", "base64" | "url": ...}``, v1 or v0)
    or OpenAI ``image_url`` parts; each is checked before sending (JPEG/PNG/GIF/WebP, 20 MiB,
    a model that can see it) and a failure names the message and part.

    Errors are the core's (:mod:`deepseekapi_core`): e.g. ``InsufficientCreditsError`` on 402
    (top up the balance), ``RateLimitError`` after retries, ``UnsupportedParameterError`` for a
    parameter the reasoner rejects, before anything is sent.
    """

    # hide_input_in_errors: a validation error would otherwise quote every argument, the key
    # among them.
    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, hide_input_in_errors=True
    )

    model_name: str = Field(default="deepseek-chat", alias="model")
    """Model id: ``deepseek-flash`` (reads images), ``deepseek-v4-pro``, ``deepseek-chat``,
    ``deepseek-reasoner``, ..."""
    api_key: SecretStr | None = None
    """API key (alias ``openai_api_key``); else from the environment, paired with its base URL:
    ``DEEPSEEKAPI_API_KEY`` (with ``DEEPSEEKAPI_BASE_URL`` or the proxy), else
    ``DEEPSEEK_API_KEY`` (with ``DEEPSEEK_API_BASE``/``DEEPSEEK_BASE_URL`` or
    ``https://api.deepseek.com``). See :func:`deepseekapi_core._adapters.resolve_endpoint`."""
    base_url: str | None = Field(default=None, alias="api_base")
    """Base URL (aliases ``api_base``, ``openai_api_base``); else paired with the key."""
    temperature: float | None = None
    """Sampling temperature, 0 to 2 (ignored by the service in thinking mode)."""
    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    """Maximum tokens to generate (reasoning included)."""
    top_p: float | None = None
    """Nucleus sampling, 0 to 1."""
    stop: list[str] | str | None = Field(default=None, alias="stop_sequences")
    """Stop sequences (up to 16)."""
    presence_penalty: float | None = None
    """Presence penalty, -2 to 2 (no effect on V4 models)."""
    frequency_penalty: float | None = None
    """Frequency penalty, -2 to 2 (no effect on V4 models)."""
    logprobs: bool | None = None
    """Return log probabilities (rejected in thinking mode)."""
    top_logprobs: int | None = None
    """Number of most likely tokens to return per position (needs ``logprobs``)."""
    thinking: bool | None = None
    """Thinking switch for models that have one (``None``: the model's default)."""
    reasoning_effort: ReasoningEffort | None = None
    """Reasoning effort in thinking mode (``"high"``, ``"max"``, ...)."""
    user_id: str | None = None
    """End-user id for the service's safety and cache isolation."""
    allow_dropped_images: bool = False
    """Send images to a model that accepts but silently drops them (``deepseek-v4-pro``).

    Off by default: such a request fails before sending, since the reply would read as if the
    model had seen the image. Vision models (``deepseek-flash``) need no opt-in."""
    reasoning_replay: Literal["auto", "always", "never"] = "auto"
    """Whether earlier turns' reasoning is sent back: by the service's rules, always, never."""
    era: Era = DEFAULT_ERA
    """Which era of the service's rules to follow (newest by default)."""
    timeout: float | tuple[float | None, float | None] | httpx.Timeout | None = Field(
        default=None, alias="request_timeout"
    )
    """Read timeout in seconds (also between stream events), a ``(connect, read)`` tuple, or
    an ``httpx.Timeout``."""
    max_retries: int | None = DEFAULT_MAX_RETRIES
    """Retries after the first attempt, done by the core (with ``Retry-After`` honoured);
    None means the default (2), as in ``ChatOpenAI``."""
    retry_policy: RetryPolicy | None = Field(default=None, exclude=True)
    """A full core retry policy (overrides ``max_retries``)."""
    streaming: bool = False
    """Whether ``invoke`` streams under the hood (callbacks then see every token)."""
    stream_usage: bool = True
    """Whether streams report token usage on their last chunk."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further request parameters; names the core does not know go to the request body."""
    extra_body: dict[str, Any] | None = None
    """Fields added to the JSON body as they are (for parameters newer than this package)."""
    default_headers: dict[str, str] | None = Field(default=None, exclude=True, repr=False)
    """Headers added to every request. Never serialised (not in ``dumpd``/``dumps``,
    ``model_dump``, ``repr`` or traced runs), since gateway keys live there, as LlamaIndex's
    adapter does; pass them again when loading a saved model."""
    default_query: dict[str, str] | None = None
    """Query parameters added to every request's URL."""
    include_response_headers: bool = False
    """Put the HTTP response's headers in ``response_metadata["headers"]``."""
    disabled_params: dict[str, Any] | None = None
    """Parameters never sent: ``{"name": None}`` drops ``name`` always, ``{"name": [values]}``
    drops it when it has one of those values (as in ``ChatOpenAI``)."""
    stream_chunk_timeout: float | None = Field(default=None, gt=0)
    """The longest wait, in seconds, between two chunks of a stream (the read timeout of
    streaming requests; the ``timeout``'s read value otherwise)."""
    max_response_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    """The largest reply body read, decoded; a larger one is refused, not buffered."""
    max_sse_line_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    """The longest line of a stream read; a longer one is refused, not buffered."""
    http_client: httpx.Client | None = Field(default=None, exclude=True)
    """An ``httpx.Client`` for synchronous calls (not closed by the model)."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True)
    """An ``httpx.AsyncClient`` for asynchronous calls (not closed by the model)."""
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = Field(
        default=None, exclude=True
    )
    """An httpx transport (e.g. the emulator's, which serves both sync and async calls)."""
    async_transport: httpx.AsyncBaseTransport | None = Field(default=None, exclude=True)
    """An async transport, when it differs from ``transport``."""
    deadline: float | None = None
    """Seconds one request may take in all (attempts, waits, streaming); None (the default)
    for no limit. Past it: the core's ``DeadlineExceededError``."""
    recover_tool_calls: bool = True
    """Recover tool calls the service leaked into the text (marked in ``response_metadata``
    as ``tool_calls_recovered``)."""
    prices: dict[str, Any] | InstanceOf[PriceTable] | None = Field(default=None, exclude=True)
    """The proxy's prices for ``response_metadata["cost"]`` (else ``DEEPSEEKAPI_PRICES``, else
    DeepSeek's published prices): a ``PriceTable`` or ``{model: [hit, miss, output]}``."""
    max_concurrency: int | None = None
    """The account's requests in flight at most, across every model instance using it (None:
    the limiter's cap, else the model's documented one). Not LangChain's per-call
    ``config={"max_concurrency": ...}``, which sizes one ``batch``'s thread pool."""
    limiter: ConcurrencyLimiter | Literal["off"] | None = Field(default=None, exclude=True)
    """Where that limit lives: None for the process-wide one, a ``RedisLimiter`` for a fleet,
    ``"off"`` for none (docs/scaling.md). ``rate_limiter`` still applies beside it."""
    reuse_client: bool = True
    """Reuse one connection pool; ``False`` builds one per request (closed when it is done)."""
    extra_client_options: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)
    """Core client options this class has no field for (a ``ClientOptions`` field newer than
    it); a keyword naming one lands here and reaches the clients."""

    # HoldsClients builds the holder from the fields named as ClientOptions' (spelled as these
    # aliases say) on first use and follows their changes.
    _client_option_aliases: ClassVar[Mapping[str, str]] = _CLIENT_OPTION_ALIASES
    _clients: ClientHolder | None = PrivateAttr(default=None)
    _key_error: InvalidAPIKeyError | None = PrivateAttr(default=None)
    _key_env_var: str = PrivateAttr(default="DEEPSEEKAPI_API_KEY")
    _base_url_given: bool = PrivateAttr(default=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A key a header cannot carry fails here, not at the first request (never quoted).
        if self._key_error is not None:
            raise self._key_error

    def __setattr__(self, name: str, value: Any) -> None:
        # max_retries=None set later means the default too (the validator sees only __init__).
        if name == "max_retries" and value is None:
            value = DEFAULT_MAX_RETRIES
        super().__setattr__(name, value)

    @field_validator("max_retries")
    @classmethod
    def _default_retries(cls, value: int | None) -> int:
        """None is ChatOpenAI's spelling of "the default": stored as the number it means."""
        return DEFAULT_MAX_RETRIES if value is None else value

    @field_validator("prices", "timeout")
    @classmethod
    def _check_core_fields(cls, value: Any, info: ValidationInfo) -> Any:
        """A bad price or timeout is refused here, naming it."""
        return check_field(info.field_name or "", value)

    @model_validator(mode="before")
    @classmethod
    def _build_extra(cls, values: Any) -> Any:
        """Peer parameters: aliases renamed, the meaningless refused by name, options the
        service ignores dropped with a warning, other unknown names moved to ``model_kwargs``
        (sent with each request) with a warning that suggests the closest field."""
        if not isinstance(values, dict):
            return values
        return sort_constructor_keywords(values, cls, _CONSTRUCTOR_POLICY)

    @model_validator(mode="after")
    def _resolve_endpoint(self) -> Self:
        """Key and base URL as a pair (one family of environment variables, or arguments)."""
        self._base_url_given = self.base_url is not None
        try:
            endpoint = resolve_endpoint(self.api_key, self.base_url)
        except InvalidAPIKeyError as exc:
            # Raised by __init__ once validation is over: raised here, pydantic would wrap it
            # in a ValidationError whose text quotes the input, the key with it.
            self._key_error = exc
            self.api_key = None
            return self
        self.api_key = endpoint.api_key
        self.base_url = endpoint.base_url
        if endpoint.source == "deepseek":
            self._key_env_var = "DEEPSEEK_API_KEY"
        return self

    @model_validator(mode="after")
    def _check_client_options(self) -> Self:
        """A bad client option (``deadline``, ``max_concurrency``, ``max_retries`` ...) is
        refused here, naming it, as ``DeepSeekAPI`` does: the clients are built at first use."""
        if self._key_error is None:  # else __init__ raises the key's own error
            client_options_from(self, self._client_fields())
        return self

    # ------------------------------------------------------------------------------------
    # LangChain metadata

    @property
    def _llm_type(self) -> str:
        return "deepseekapi-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The key serialises as a reference to its environment variable, never its value."""
        return {"api_key": self._key_env_var}

    def to_json(self) -> Any:
        """LangChain's serialisation, without a base URL that was not given as an argument
        (a loaded model then pairs key and URL from its own environment)."""
        serialized = super().to_json()
        kwargs = serialized.get("kwargs")
        if not self._base_url_given and isinstance(kwargs, dict):
            kwargs.pop("base_url", None)
            kwargs.pop("api_base", None)
        return serialized

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Whether this model can be serialised by LangChain (it can; the key is excluded)."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The import path LangChain's loader uses: ``langchain_deepseekapi``."""
        return ["langchain_deepseekapi"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"model_name": self.model_name}
        for name in _PARAM_FIELDS:
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        if self.stop:
            params["stop"] = self.stop
        return params

    def _get_invocation_params(
        self, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """What callbacks and tracers see as ``invocation_params``: the model's parameters
        with ``model`` and ``stream`` (cost and tracing handlers read them, as ChatOpenAI's)."""
        params = super()._get_invocation_params(stop=stop)
        params["model"] = self.model_name
        params["stream"] = self.streaming
        params.update(kwargs)
        return params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        model = kwargs.get("model")
        params = LangSmithParams(
            ls_provider=MODEL_PROVIDER,
            ls_model_name=model if isinstance(model, str) else self.model_name,
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stops = stop or kwargs.get("stop") or self.stop
        # A malformed stop is the core's to refuse with a clear error; tracing just skips it.
        if isinstance(stops, str):
            params["ls_stop"] = [stops]
        elif isinstance(stops, (list, tuple)):
            params["ls_stop"] = [str(item) for item in stops]
        return params

    def _thinking_switch(self) -> bool | None:
        """The thinking switch this model's requests carry (None: the model's default),
        wherever it was given: ``thinking``, ``reasoning_effort="none"``, ``extra_body`` or
        ``model_kwargs``, read by the core's one rule (``sent_thinking_switch``)."""
        kwargs = self.model_kwargs
        extra = self.extra_body
        if isinstance(kwargs.get("extra_body"), Mapping):  # sent over the model's extra_body
            extra = {**(extra or {}), **kwargs["extra_body"]}
        return sent_thinking_switch(
            kwargs.get("thinking", self.thinking),
            kwargs.get("reasoning_effort", self.reasoning_effort),
            extra,
        )

    def _resolve_model_profile(self) -> LCModelProfile | None:
        profile = get_model_profile(self.model_name, self.era)
        switch = self._thinking_switch()
        thinks = profile.thinks(switch)
        forcing = forced_tool_choice_allowed(self.model_name, thinking=switch, era=self.era)
        return LCModelProfile(
            max_input_tokens=profile.context_window,
            max_output_tokens=profile.max_output_tokens,
            text_inputs=True,
            image_inputs=profile.accepts_images,
            image_url_inputs=profile.accepts_images,
            image_tool_message=profile.accepts_images,
            audio_inputs=False,
            video_inputs=False,
            pdf_inputs=False,
            reasoning_output=thinks,
            tool_calling=profile.calls_tools(switch),
            tool_choice=forcing,
            tool_call_streaming=True,
            # LangChain's create_agent uses the provider's structured output (a json_schema
            # response_format, served here by JSON Output) when this is true, and a forced tool
            # otherwise: the tool where it can be forced, JSON Output where it cannot.
            structured_output=not forcing,
            text_outputs=True,
            temperature=not thinks,
        )

    # ------------------------------------------------------------------------------------
    # Token counts (offline, with the optional tokenizer) and cost

    def get_token_ids(self, text: str) -> list[int]:
        """The DeepSeek token ids of ``text`` (exact with the ``[tokenizer]`` extra)."""
        if self.custom_get_token_ids is None:
            ids = token_ids(text, "get_token_ids")
            if ids is not None:
                return ids
        return super().get_token_ids(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """The ``prompt_tokens`` the service will count for ``messages`` (and ``tools``),
        chat template included; offline and exact with the ``[tokenizer]`` extra."""
        if self.custom_get_token_ids is None:
            profile = get_model_profile(self.model_name, self.era)
            thinking = profile.thinks(self._thinking_switch())
            counted = count_message_tokens(messages, tools=tools, thinking=thinking, era=self.era)
            if counted is not None:
                return counted
        return super().get_num_tokens_from_messages(messages, tools=tools)

    def _priced(self, message: BaseMessage, reply: AnsweredReply) -> None:
        """Put the call's cost into ``response_metadata["cost"]`` (when the model is priced),
        priced when ``reply`` was answered."""
        message.response_metadata.update(
            reply_cost_metadata(reply, self.model_name, self.prices, self.era)
        )

    # ------------------------------------------------------------------------------------
    # Requests

    def _chat_request(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        *,
        stream_usage: bool | None = None,
    ) -> tuple[ChatRequest, RequestOptions]:
        """The validated request and this call's HTTP options (timeout, headers, query)."""
        fields = {name: getattr(self, name) for name in _PARAM_FIELDS}
        fields["model"] = self.model_name
        fields["stop"] = self.stop or None
        fields["allow_dropped_images"] = self.allow_dropped_images
        sources = [
            OptionSource(
                self.model_kwargs,
                where="model_kwargs key",
                unknown_to_body=True,
                consumed=_CONSUMED_KWARGS,
            )
        ]
        if stop is not None:  # the call's stop replaces the model's; an empty one clears it
            sources.append(OptionSource({"stop": stop or None}))
        sources.append(OptionSource(kwargs, consumed=_CONSUMED_KWARGS))
        return compose_request(
            fields,
            to_core_messages(messages),
            sources=sources,
            extra_body=self.extra_body,
            disabled=self.disabled_params,
            stream_usage=stream_usage,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._result(self.clients.chat(*self._chat_request(messages, stop, kwargs)))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request, options = self._chat_request(messages, stop, kwargs)
        return self._result(await self.clients.achat(request, options))

    def _result(self, completion: ChatCompletion) -> ChatResult:
        result = chat_result(completion, headers=self.include_response_headers)
        self._priced(result.generations[0].message, completion)
        return result

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None], /) -> dict[str, Any]:
        return combine_llm_outputs(llm_outputs, self.model_name)

    def _stream_start(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> tuple[ChatRequest, RequestOptions, StreamFolder]:
        """The streaming request, its HTTP options, and the folder that turns its chunks into
        LangChain's."""
        stream_usage = kwargs.get("stream_usage")
        request, options = self._chat_request(
            messages,
            stop,
            kwargs,
            stream_usage=self.stream_usage if stream_usage is None else bool(stream_usage),
        )
        folder = StreamFolder(v1=self.output_version == "v1", headers=self.include_response_headers)
        return request, options, folder

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # LangChain itself calls run_manager.on_llm_new_token for each chunk yielded here;
        # calling it here too would report every token twice.
        request, options, folder = self._stream_start(messages, stop, kwargs)
        for chunk in self.clients.stream_chat(request, options):
            if (generation := folder.feed(chunk)) is not None:
                yield generation
        yield self._last(folder)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        request, options, folder = self._stream_start(messages, stop, kwargs)
        async for chunk in self.clients.astream_chat(request, options):
            if (generation := folder.feed(chunk)) is not None:
                yield generation
        yield self._last(folder)

    def _last(self, folder: StreamFolder) -> ChatGenerationChunk:
        """The stream's last chunk: its metadata, usage and cost."""
        last = folder.last()
        self._priced(last.message, folder.reply)
        return last

    # ------------------------------------------------------------------------------------
    # Tools and structured output

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: ToolChoice = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer tools to the model.

        Args:
            tools: functions, pydantic models, TypedDicts, LangChain tools, OpenAI-style tool
                dicts (converted by ``convert_to_openai_tool``, validated by the core), and the
                service's own ``{"type": "deepseek_web_search" | "deepseek_read_url"}``.
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` (must call
                a tool; ``True`` with a single tool forces that tool), ``None`` or ``False``
                (no effect: the service's default, as in ``ChatOpenAI``), a tool's name, or a
                ``{"type": "function", "function": {"name": ...}}`` dict. Thinking mode accepts
                only ``"auto"`` and ``"none"``; the core sends a forced choice there as
                ``"auto"`` with an ``IgnoredParameterWarning`` (the service would answer 400).
            strict: send the functions strict: requests go to the beta base URL and each
                schema is closed first (see docs/strict_tools.md), or refused with
                ``StrictSchemaError`` naming the tool and the part that cannot be strict.
            parallel_tool_calls: the service has no switch for this; it may call several
                tools at once. ``False`` is dropped with a warning.
            kwargs: further call options bound with the tools.
        """
        formatted = [spec.model_dump(exclude_none=True) for spec in tool_wire(tools, strict)]
        # False leaves the choice to the service, as in ChatOpenAI and ChatDeepSeek (whose
        # `if tool_choice:` skips it); "none" is how to switch tools off.
        choice = resolve_tool_choice(
            None if tool_choice is False else tool_choice,
            [tool["function"]["name"] for tool in formatted if "function" in tool],
        )
        if choice is not None:
            kwargs["tool_choice"] = choice if isinstance(choice, str) else choice.model_dump()
        if parallel_tool_calls is False:
            warnings.warn(
                "DeepSeek has no parallel_tool_calls switch; the model may still call "
                "several tools in one turn",
                UserWarning,
                stacklevel=2,
            )
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """A runnable that returns output matching ``schema``.

        Args:
            schema: a pydantic model (output is an instance), a TypedDict, a JSON schema or
                an OpenAI tool dict (output is a dict). Optional for ``json_mode``.
            method: ``"function_calling"`` forces a call of a tool shaped like the schema
                (in thinking mode, where the service refuses a forced tool choice, the tool is
                offered alone with ``tool_choice="auto"``, and a reply without the call gets
                one corrective turn); ``"json_mode"`` sets
                ``response_format={"type": "json_object"}`` (the prompt must ask for JSON and
                describe it); ``"json_schema"`` is served as ``"function_calling"`` where a
                tool can be forced and by JSON Output with the schema in a system message in
                thinking mode, since the service has no native JSON-schema output.
            include_raw: return ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``
                instead of raising on a parsing error (a reply without the schema's tool call
                and without a matching JSON object in its text is such an error).
            strict: send the schema's tool strict (as in ``bind_tools``); ``"json_schema"``
                then uses the tool even in thinking mode; refused with ``"json_mode"``.
            kwargs: not supported; raises ``ValueError`` when given.
        """
        if kwargs:
            raise ValueError(f"Received unsupported arguments {sorted(kwargs)}")
        return structured_output(
            self, schema, method=method, include_raw=include_raw, strict=strict
        )
