"""``DeepSeekAPI``: a llama-index ``FunctionCallingLLM`` over ``deepseekapi_core``.

This module is a translation layer only. HTTP, retries, streaming, error mapping and the
reasoner's history rules are the core's; the core (and httpx) is imported on first use, so
importing the adapter costs little more than llama-index itself.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    ImageBlock,
)
from llama_index.core.bridge.pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)
from llama_index.core.llms.callbacks import llm_chat_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.schema import ImageNode

from deepseekapi_core._adapters._mixins import HoldsClients

from ._fim import completion_with_fim
from ._metadata import DeepSeekLLMMetadata, llm_metadata

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from deepseekapi_core import (
        ChatCompletionChunk,
        ChatRequest,
        ModelProfile,
        RequestOptions,
    )
    from deepseekapi_core._adapters._holder import ClientHolder
    from deepseekapi_core._adapters._keywords import ConstructorPolicy
    from deepseekapi_core.accounting._pricing import AnsweredReply
    from deepseekapi_core.accounting._tokenizer import DeepSeekTokenizer
    from deepseekapi_core.wire import ReasoningEffort
else:
    # The field's values are the core's ReasoningEffort, checked by _check_core_fields:
    # importing the core (and httpx) here would make importing the adapter cost 0.2 s more.
    ReasoningEffort = str

__all__ = ["DeepSeekAPI"]

logger = logging.getLogger("llama_index_deepseekapi")

DEFAULT_MODEL = "deepseek-chat"
# Where llama-index's own LLMs (``DeepSeek`` and ``OpenAILike`` extend llama-index-llms-openai's
# ``OpenAI``) default differently from the core and their users rely on it, this class takes
# their default; declared here and nowhere else. Retries: three 429s in a row then success must
# succeed, as it does with those LLMs (the core's 2 give up). Their 60 s timeout is already the
# core's read timeout; their temperature 0.1 is not taken (unset sends the service's own default,
# and thinking models ignore or refuse a temperature).
PEER_DEFAULTS: dict[str, Any] = {"max_retries": 3}
_ResponseT = TypeVar("_ResponseT", ChatResponse, CompletionResponse)

# Fields sent with every request (None: unset).
_REQUEST_FIELDS = (
    "model",
    "temperature",
    "max_tokens",
    "thinking",
    "reasoning_effort",
    "logprobs",
    "top_logprobs",
    "allow_dropped_images",
)


@functools.cache
def _constructor_policy() -> ConstructorPolicy:
    """llama-index's ``DeepSeek``/``OpenAILike``/``OpenAI`` keywords that are not our fields
    (built on first use: the core is imported lazily)."""
    from deepseekapi_core._adapters._keywords import ConstructorPolicy

    return ConstructorPolicy(
        owner="DeepSeekAPI",
        aliases={"api_base": "base_url", "max_new_tokens": "max_tokens"},
        refused=frozenset(
            {"api_version", "openai_client", "async_openai_client", "audio_config", "tokenizer"}
        ),
        unknown_hint="Request parameters go in additional_kwargs={...}",
    )


def _client_only(description: str) -> Any:
    """A field only the core clients use: never serialised or shown (the core checks its
    type; typed ``Any`` so that importing the adapter does not load httpx)."""
    return Field(default=None, exclude=True, repr=False, description=description)


class DeepSeekAPI(HoldsClients, FunctionCallingLLM):
    """DeepSeek chat models (``deepseek-chat``, ``deepseek-reasoner``, V4 ids) for LlamaIndex.

    A function-calling LLM: ``chat``/``stream_chat``/``complete``/``stream_complete`` and their
    async forms, tool calling for ``FunctionAgent``/``ReActAgent``, ``structured_predict``, and
    reasoning surfaced as thinking blocks and ``additional_kwargs["reasoning_content"]``. Vision
    models (``deepseek-flash``) read ``ImageBlock`` in user messages and tool results, and
    ``complete(prompt, image_documents=[...])``.

    Args:
        model: the model id (``deepseek-chat``, ``deepseek-reasoner``, ``deepseek-v4-flash`` ...).
        api_key: the key; else from the environment, paired with its base URL
            (``DEEPSEEKAPI_API_KEY`` with ``DEEPSEEKAPI_BASE_URL`` or the proxy, else
            ``DEEPSEEK_API_KEY`` with ``DEEPSEEK_API_BASE``/``DEEPSEEK_BASE_URL`` or
            ``https://api.deepseek.com``). Never shown in ``repr`` or serialised.
        base_url: the base URL (``api_base`` is llama-index's name for it); else paired with
            the key as above.
        temperature: sampling temperature (0..2); the service's default when unset.
        max_tokens: the most tokens to generate (``max_new_tokens`` is accepted for it).
        timeout: the read timeout in seconds (also between stream events), a
            ``(connect, read)`` tuple or an ``httpx.Timeout``.
        max_retries: retries after the first attempt (3, llama-index's ``OpenAI`` default;
            the core's is 2).
        thinking: turn thinking mode on or off for models with a switch.
        reasoning_effort: how hard a thinking model reasons.
        reasoning_replay: how earlier turns' reasoning is sent back (``"auto"``: the service's
            rules).
        era: whose wire rules to follow (``None``: the newest, V4.1).
        allow_dropped_images: send images to a model that accepts but silently drops them
            (``deepseek-v4-pro``); otherwise that is an error before sending.
        additional_kwargs: further request parameters (``top_p``, ``stop``, ``user_id``,
            ``response_format``, ``extra_body`` ...) sent with every request, sorted by the
            core's options policy (``seed`` dropped with a warning, ``user`` sent as
            ``user_id``, an unknown name refused at construction).
        default_headers: extra HTTP headers.
        context_window: the context window ``metadata`` reports (default: the registry's).
        is_chat_model: what ``metadata`` reports; ``False`` makes ``chat`` send
            ``messages_to_prompt(messages)`` as one user message, as ``OpenAILike`` does.
        is_function_calling_model: what ``metadata`` reports (default: whether the model can
            call tools in its mode).
        strict: send tools strict (beta URL; schemas closed or refused, see strict_tools.md).
        logprobs: return log probabilities (rejected in thinking mode).
        top_logprobs: how many alternatives per token (needs ``logprobs``).
        reuse_client: ``False`` builds a new connection pool for each request.
        prices: the proxy's prices for ``additional_kwargs["cost"]``: a
            :class:`~deepseekapi_core.accounting.PriceTable` or ``{model: [hit, miss, output]}`` per
            million tokens (else ``DEEPSEEKAPI_PRICES``, else DeepSeek's published prices).
        transport: an httpx transport (the emulator's serves both sync and async calls).
        async_transport: an httpx async transport for async calls, when it differs.
        http_client: an ``httpx.Client`` to use instead of building one.
        async_http_client: an ``httpx.AsyncClient`` to use instead of building one.
        retry_policy: the core's full :class:`~deepseekapi_core.RetryPolicy` (backoff, the
            ``Retry-After`` cap); overrides ``max_retries``.
        max_concurrency: the account's requests in flight at most, shared by every instance
            and client using the account (None: the limiter's cap, else the model's documented
            one).
        limiter: where that limit lives: None for the process-wide one, a
            ``deepseekapi_core.accounting.RedisLimiter`` for a fleet of processes, ``"off"`` for
            none (docs/scaling.md).

    Example:
        >>> from llama_index_deepseekapi import DeepSeekAPI
        >>> llm = DeepSeekAPI(model="deepseek-reasoner")  # doctest: +SKIP
        >>> print(llm.complete("Why is the sky blue?"))  # doctest: +SKIP
    """

    model: str = Field(default=DEFAULT_MODEL, description="The DeepSeek model id.")
    api_key: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description="The API key (never serialised)."
    )
    base_url: str | None = Field(default=None, description="The API base URL.")
    temperature: float | None = Field(
        default=None, ge=0.0, le=2.0, description="Sampling temperature."
    )
    max_tokens: int | None = Field(default=None, ge=1, description="Most tokens to generate.")
    timeout: Any = Field(
        default=None,
        description="Read timeout in seconds, a (connect, read) tuple or an httpx.Timeout.",
    )
    max_retries: int = Field(
        default=PEER_DEFAULTS["max_retries"],
        ge=0,
        description="Retries after the first attempt (3, as in llama-index's own LLMs).",
    )
    thinking: bool | None = Field(
        default=None, description="Thinking mode on/off for models with a switch."
    )
    reasoning_effort: ReasoningEffort | None = Field(
        default=None, description="How hard a thinking model reasons."
    )
    reasoning_replay: Literal["auto", "always", "never"] = Field(
        default="auto", description="How earlier turns' reasoning is sent back."
    )
    era: str | None = Field(
        default=None, description="Which era's wire rules to follow (None: the newest)."
    )
    allow_dropped_images: bool = Field(
        default=False,
        description="Send images to a model that drops them silently (deepseek-v4-pro).",
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra request parameters sent with every request."
    )
    default_headers: dict[str, str] | None = Field(
        default=None, exclude=True, repr=False, description="Extra HTTP headers (not serialised)."
    )
    deadline: float | None = Field(
        default=None,
        gt=0,
        description="Seconds one request may take in all (None: no limit, the default).",
    )
    recover_tool_calls: bool = Field(
        default=True,
        description="Recover tool calls the service leaked into the text (marked in "
        "additional_kwargs as tool_calls_recovered).",
    )
    prices: Any = Field(
        default=None,
        exclude=True,
        description="The proxy's prices for additional_kwargs['cost']: a PriceTable or "
        "{model: [hit, miss, output]} per million tokens (else DEEPSEEKAPI_PRICES, else "
        "DeepSeek's published prices).",
    )
    context_window: int | None = Field(
        default=None, gt=0, description="The context window metadata reports."
    )
    is_chat_model: bool = Field(default=True, description="What metadata reports.")
    is_function_calling_model: bool | None = Field(
        default=None, description="What metadata reports (default: from the model's mode)."
    )
    strict: bool = Field(default=False, description="Send tools in strict mode.")
    logprobs: bool | None = Field(default=None, description="Return log probabilities.")
    top_logprobs: int | None = Field(
        default=None, ge=0, le=20, description="Alternatives per token (needs logprobs)."
    )
    reuse_client: bool = Field(
        default=True, description="Reuse one connection pool; False builds one per request."
    )
    max_concurrency: int | None = Field(
        default=None,
        description="The account's requests in flight at most, across every instance using it.",
    )
    # A field, not a private attribute: LlamaIndex rebuilds a pickled LLM from its fields, and
    # a worker process (IngestionPipeline's num_workers) must keep the fleet's limiter. Typed
    # Any so that importing the adapter does not load the core; the core checks the value.
    limiter: Any = Field(
        default=None,
        exclude=True,
        description="Where the limit lives: None (this process), a RedisLimiter, or 'off'.",
    )
    default_query: dict[str, str] | None = Field(
        default=None, exclude=True, repr=False, description="Query parameters on every URL."
    )
    stream_chunk_timeout: float | None = Field(
        default=None,
        gt=0,
        description="The longest wait in seconds between two chunks of a stream (the read "
        "timeout of streaming requests; timeout's read value otherwise).",
    )
    max_response_bytes: int = Field(
        default=64 * 1024 * 1024,
        gt=0,
        description="The largest reply body read, decoded; a larger one is refused.",
    )
    max_sse_line_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="The longest line of a stream read; a longer one is refused.",
    )
    extra_client_options: dict[str, Any] = Field(
        default_factory=dict,
        exclude=True,
        repr=False,
        description="Core client options this class has no field for (newer than it).",
    )
    retry_policy: Any = _client_only("The core's full RetryPolicy (overrides max_retries).")
    transport: Any = _client_only("An httpx transport (the emulator's serves sync and async).")
    async_transport: Any = _client_only("An httpx async transport, when it differs.")
    http_client: Any = _client_only("An httpx.Client to use (not closed here).")
    async_http_client: Any = _client_only("An httpx.AsyncClient to use (not closed here).")

    # hide_input_in_errors: a validation error would otherwise quote every argument, the key
    # among them.
    model_config = ConfigDict(hide_input_in_errors=True)

    # HoldsClients gives the holder as ``clients`` (built in __init__ so that bad client
    # options fail at construction) and follows changes of the fields named as ClientOptions'.
    _clients: ClientHolder = PrivateAttr()

    def __init__(self, model: str = DEFAULT_MODEL, **kwargs: Any) -> None:
        # ``model`` stays the first positional argument, as in llama-index's own LLMs.
        super().__init__(model=model, **kwargs)
        from deepseekapi_core._adapters._holder import ClientHolder
        from deepseekapi_core._adapters._keywords import client_options_from
        from deepseekapi_core._adapters._options_policy import classify_options

        if self.additional_kwargs:
            classify_options(self.additional_kwargs, where="additional_kwargs key")  # refused now
        self._clients = ClientHolder(client_options_from(self, self._client_fields()))

    @model_validator(mode="before")
    @classmethod
    def _sort_keywords(cls, values: Any) -> Any:
        """Peers' keywords: aliases renamed, the meaningless refused by name with the reason,
        any other unknown name refused with the closest known name suggested."""
        if not isinstance(values, dict):
            return values
        from deepseekapi_core._adapters._keywords import sort_constructor_keywords

        values = sort_constructor_keywords(values, cls, _constructor_policy())
        for name in ("api_key", "additional_kwargs"):  # "" or None: the default
            if not values.get(name, True):
                del values[name]
        return values

    @field_serializer("timeout")
    def _serialize_timeout(self, timeout: Any) -> Any:
        """An ``httpx.Timeout`` as its parts, which the constructor takes back."""
        as_dict = getattr(timeout, "as_dict", None)
        return as_dict() if callable(as_dict) else timeout

    def __getstate__(self) -> dict[Any, Any]:
        """The pickled state; the model itself keeps every field."""
        # Needed for correctness, not speed: llama-index's BaseComponent.__getstate__ deletes
        # what it cannot pickle (an injected transport or HTTP client) from the state's
        # "__dict__", which pydantic hands over as this model's own __dict__, so pickling would
        # strip the live model of its transport (tests/llama_index/test_clients.py fails without
        # this). Let it delete from a copy, swapped in for the call only.
        live = self.__dict__
        object.__setattr__(self, "__dict__", dict(live))
        try:
            return super().__getstate__()
        finally:
            object.__setattr__(self, "__dict__", live)

    @field_validator("era", "prices", "reasoning_effort", "timeout")
    @classmethod
    def _check_core_fields(cls, value: Any, info: ValidationInfo) -> Any:
        from deepseekapi_core._adapters._keywords import check_field

        return check_field(info.field_name or "", value)

    @classmethod
    def class_name(cls) -> str:
        """The name llama-index serialises this LLM under."""
        return "DeepSeekAPI_llm"

    # ------------------------------------------------------------------------------------------
    # Configuration

    def _profile(self) -> ModelProfile:
        from deepseekapi_core import get_model_profile

        return get_model_profile(self.model, self._clients.options.era)

    @property
    def metadata(self) -> DeepSeekLLMMetadata:
        """Context window, output size and capabilities from the core's model registry,
        including whether the model reads images (``image_inputs``, ``input_modalities``)."""
        # LlamaIndex's callbacks read this on every call: built once per set of inputs, then
        # copied (a copy, with its own list, so a caller changing it changes no other's).
        template = llm_metadata(
            self.model,
            self._clients.options.era,
            self.thinking,
            self.is_function_calling_model,
            self.context_window,
            self.max_tokens,
            self.is_chat_model,
        )
        return template.model_copy(update={"input_modalities": list(template.input_modalities)})

    @property
    def tokenizer(self) -> DeepSeekTokenizer:
        """The DeepSeek tokenizer (``text -> ids``; ``Settings.tokenizer = llm.tokenizer``)."""
        from ._tokens import deepseek_tokenizer

        return deepseek_tokenizer()

    def count_message_tokens(
        self, messages: Sequence[ChatMessage], tools: Sequence[BaseTool] | None = None
    ) -> int:
        """The ``prompt_tokens`` the service will count for ``messages`` (chat template and
        ``tools`` included), offline; needs the ``[tokenizer]`` extra."""
        from deepseekapi_core.accounting._tokenizer import count_prompt_tokens

        from ._messages import to_core_messages, tool_specs

        wire_tools = [spec.model_dump(exclude_none=True) for spec in tool_specs(tools or [])]
        return count_prompt_tokens(
            to_core_messages(messages),
            tools=wire_tools,
            thinking=self._profile().thinks(self._thinking_switch({})),
            era=self._clients.options.era,
        )

    def _thinking_switch(self, call_kwargs: Mapping[str, Any]) -> bool | None:
        """The thinking switch the request will carry (the core's one rule, read as sent)."""
        from deepseekapi_core.wire._prepare import sent_thinking_switch

        merged = {**self.additional_kwargs, **call_kwargs}
        extra_body = merged.get("extra_body")
        return sent_thinking_switch(
            merged.get("thinking", self.thinking),
            merged.get("reasoning_effort", self.reasoning_effort),
            extra_body if isinstance(extra_body, Mapping) else None,
        )

    def _priced(self, response: _ResponseT, reply: AnsweredReply) -> _ResponseT:
        """``response`` with the call's cost in ``additional_kwargs`` once ``reply`` (a reply or
        stream chunk) carries usage, priced when it was answered."""
        if reply.usage is not None:
            from deepseekapi_core.accounting._totals import reply_cost_metadata

            # A stream chunk holds its own server calls only; the response counts the stream's.
            counts = response.additional_kwargs.get("builtin_tool_calls", {})
            era = self._clients.options.era
            cost = reply_cost_metadata(
                reply, self.model, self.prices, era, builtin_tool_calls=counts
            )
            response.additional_kwargs.update(cost)
        return response

    def _request(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]
    ) -> tuple[ChatRequest, RequestOptions]:
        """The validated request and this call's HTTP options (timeout, headers, query)."""
        from deepseekapi_core._adapters._compose_request import OptionSource, compose_request

        from ._messages import to_core_messages, tool_specs

        return compose_request(
            {name: getattr(self, name) for name in _REQUEST_FIELDS},
            to_core_messages(messages),
            sources=(
                OptionSource(self.additional_kwargs, where="additional_kwargs key"),
                OptionSource(kwargs),
            ),
            convert_tools=lambda tools: tool_specs(tools, strict=self.strict or None),
        )

    # ------------------------------------------------------------------------------------------
    # Chat

    def _chat(self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]) -> ChatResponse:
        from ._messages import chat_response

        completion = self._clients.chat(*self._request(messages, kwargs))
        return self._priced(chat_response(completion), completion)

    async def _achat(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]
    ) -> ChatResponse:
        from ._messages import chat_response

        completion = await self._clients.achat(*self._request(messages, kwargs))
        return self._priced(chat_response(completion), completion)

    def _stream(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]
    ) -> Iterator[ChatCompletionChunk]:
        # Validation (and request errors) happen here, before the generator is returned.
        return self._clients.stream_chat(*self._request(messages, kwargs))

    def _astream(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]
    ) -> AsyncIterator[ChatCompletionChunk]:
        return self._clients.astream_chat(*self._request(messages, kwargs))

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Send the conversation and return the reply (with reasoning and usage)."""
        return self._chat(self._as_chat(messages), kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async :meth:`chat`."""
        return await self._achat(self._as_chat(messages), kwargs)

    def _as_chat(self, messages: Sequence[ChatMessage]) -> Sequence[ChatMessage]:
        """The messages, or with ``is_chat_model=False`` one user message holding
        ``messages_to_prompt(messages)`` (as ``OpenAILike`` sends to a completion model)."""
        if self.is_chat_model:
            return messages
        from llama_index.core.base.llms.generic_utils import messages_to_prompt

        from ._messages import prompt_messages

        return prompt_messages((self.messages_to_prompt or messages_to_prompt)(messages))

    def _as_prompt(
        self,
        prompt: str,
        formatted: bool,
        image_documents: Sequence[ImageNode | ImageBlock] | None = None,
    ) -> list[ChatMessage]:
        """``prompt`` as one user message (with any images), through ``completion_to_prompt``
        unless it is already formatted."""
        if not formatted and self.completion_to_prompt is not None:
            prompt = self.completion_to_prompt(prompt)
        from ._messages import prompt_messages

        return prompt_messages(prompt, image_documents)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the reply: each response holds the message so far and the new ``delta``.

        New reasoning arrives in ``additional_kwargs["thinking_delta"]``; the last responses
        carry the token counts and ``finish_reason``.
        """
        from ._messages import StreamFolder

        chunks = self._stream(self._as_chat(messages), kwargs)

        def gen() -> ChatResponseGen:
            folder = StreamFolder()
            for chunk in chunks:
                yield self._priced(folder.chat(chunk), chunk)

        return gen()

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async :meth:`stream_chat`."""
        from ._messages import StreamFolder

        chunks = self._astream(self._as_chat(messages), kwargs)

        async def gen() -> ChatResponseAsyncGen:
            folder = StreamFolder()
            async for chunk in chunks:
                yield self._priced(folder.chat(chunk), chunk)

        return gen()

    # ------------------------------------------------------------------------------------------
    # Completion (a single user message)

    @completion_with_fim()
    def complete(
        self,
        prompt: str,
        formatted: bool = False,
        image_documents: Sequence[ImageNode | ImageBlock] | None = None,
        **kwargs: Any,
    ) -> CompletionResponse:
        """Complete ``prompt`` (one user message; reasoning in ``additional_kwargs``), or
        with ``suffix=`` (or ``fim=True``) fill in the middle (beta FIM, see ``_fim.py``).
        ``image_documents`` (``ImageNode``/``ImageBlock``, as llama-index's multimodal LLMs
        take them) go in the message before the prompt; ``deepseek-flash`` reads them."""
        from ._messages import completion_response

        messages = self._as_prompt(prompt, formatted, image_documents)
        return completion_response(self._chat(messages, kwargs))

    @completion_with_fim()
    async def acomplete(
        self,
        prompt: str,
        formatted: bool = False,
        image_documents: Sequence[ImageNode | ImageBlock] | None = None,
        **kwargs: Any,
    ) -> CompletionResponse:
        """Async :meth:`complete`."""
        from ._messages import completion_response

        messages = self._as_prompt(prompt, formatted, image_documents)
        return completion_response(await self._achat(messages, kwargs))

    @completion_with_fim()
    def stream_complete(
        self,
        prompt: str,
        formatted: bool = False,
        image_documents: Sequence[ImageNode | ImageBlock] | None = None,
        **kwargs: Any,
    ) -> CompletionResponseGen:
        """Stream the completion of ``prompt``: the text so far and the new ``delta``."""
        from ._messages import StreamFolder

        chunks = self._stream(self._as_prompt(prompt, formatted, image_documents), kwargs)

        def gen() -> CompletionResponseGen:
            folder = StreamFolder()
            for chunk in chunks:
                yield self._priced(folder.completion(chunk), chunk)

        return gen()

    @completion_with_fim()
    async def astream_complete(
        self,
        prompt: str,
        formatted: bool = False,
        image_documents: Sequence[ImageNode | ImageBlock] | None = None,
        **kwargs: Any,
    ) -> CompletionResponseAsyncGen:
        """Async :meth:`stream_complete`."""
        from ._messages import StreamFolder

        chunks = self._astream(self._as_prompt(prompt, formatted, image_documents), kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            folder = StreamFolder()
            async for chunk in chunks:
                yield self._priced(folder.completion(chunk), chunk)

        return gen()

    # ------------------------------------------------------------------------------------------
    # Tools

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments for a tool-calling turn.

        ``tool_required`` asks for ``tool_choice="required"``, except in thinking mode, where the
        service refuses forced choices; there the tools are offered with ``"auto"``. A
        ``tool_choice`` that names a tool forces that tool. ``strict`` (else the LLM's) sends
        the functions strict.
        """
        from ._tool_calling import tool_turn

        return tool_turn(
            tools,
            user_msg,
            chat_history,
            call_kwargs=kwargs,
            strict=(self.strict or None) if strict is None else strict,
            thinking=self._thinking_switch(kwargs),
            model=self.model,
            era=self._clients.options.era,
            tool_required=tool_required,
            tool_choice=tool_choice,
        )

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls are allowed.

        DeepSeek has no switch for parallel calls, so a single call is enforced here.
        """
        if not allow_parallel_tool_calls:
            from ._messages import keep_first_tool_call_only

            keep_first_tool_call_only(response.message)
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls in ``response`` as :class:`ToolSelection` objects.

        Raises ``ValueError`` if there is none and ``error_on_no_tool_call`` is true. A call
        whose arguments are not a JSON object comes with ``{}`` (as in llama-index's own LLMs),
        so that the tool's error goes back to the model; the response keeps the raw arguments.
        """
        from ._messages import tool_selections

        return tool_selections(response, error_on_no_tool_call=error_on_no_tool_call)
