"""``DeepSeekAPIFIM``: DeepSeek's fill-in-the-middle completion (beta) as a LangChain ``BaseLLM``.

A thin translation layer over the core's ``fim``/``stream_fim``: the request is a core
:class:`~deepseekapi_core.wire.FIMRequest` (checked before sending: a thinking-only model, or
``max_tokens`` over the documented 4K, is refused naming the problem), the reply becomes
LangChain generations. HTTP, retries, the beta URL and its 404 live in the core.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, ClassVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams
from langchain_core.language_models.llms import BaseLLM
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from deepseekapi_core import Era, Usage
from deepseekapi_core._adapters._holder import ClientHolder
from deepseekapi_core._adapters._keywords import (
    ConstructorPolicy,
    client_options_from,
    sort_constructor_keywords,
)
from deepseekapi_core._adapters._mixins import HoldsClients
from deepseekapi_core.accounting._totals import add_usage_counts
from deepseekapi_core.http._fim_calls import coerce_fim_request
from deepseekapi_core.wire import DEFAULT_ERA, FIMChunk, FIMCompletion, FIMRequest, StreamOptions
from deepseekapi_core.wire._fim import build_fim_body

from ._messages import MODEL_PROVIDER

__all__ = ["DeepSeekAPIFIM"]

_REQUEST_FIELDS = (
    "suffix",
    "max_tokens",
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "echo",
)
_CONSUMED_KWARGS = frozenset({"stream", "stream_usage"})
_POLICY = ConstructorPolicy(
    owner="DeepSeekAPIFIM",
    aliases={"openai_api_key": "api_key", "openai_api_base": "base_url"},
    unknown_hint=" (further request fields go in model_kwargs or extra_body)",
)


class DeepSeekAPIFIM(HoldsClients, BaseLLM):
    """Fill-in-the-middle (FIM) code completion with DeepSeek (beta), as a LangChain LLM.

    The model writes what goes between ``prompt`` (the text before the cursor) and ``suffix``
    (the text after it, optional). Requests go to ``<beta_base_url>/completions``; FIM runs in
    non-thinking mode only, so ``deepseek-reasoner`` is refused before sending, and
    ``max_tokens`` may be at most 4096 ("The max tokens of FIM completion is 4K").

    Setup:
        Set ``DEEPSEEKAPI_API_KEY`` (or ``DEEPSEEK_API_KEY``), or pass ``api_key``. Offline:
        ``transport=deepseekapi_core.testing.Emulator().transport()``. Every core client
        option is accepted by its own name (``timeout``, ``max_retries``, ``beta_base_url``,
        ``transport``, ``deadline`` ...), as for ``ChatDeepSeekAPI``.

    Example:
        .. code-block:: python

            from langchain_deepseekapi import DeepSeekAPIFIM

            llm = DeepSeekAPIFIM(model="deepseek-chat", max_tokens=128)
            middle = llm.invoke("def fib(a):\\n", suffix="    return fib(a-1) + fib(a-2)\\n")
            for piece in llm.stream("def fib(a):\\n", suffix="..."):
                print(piece, end="")

    Each generation's ``generation_info`` has ``finish_reason`` (and ``logprobs`` when asked
    for); ``llm_output`` has ``token_usage`` and ``model_name``. Streaming calls the callbacks'
    ``on_llm_new_token`` for every piece; the last chunk carries the finish reason and usage.
    """

    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, hide_input_in_errors=True
    )

    model_name: str = Field(default="deepseek-chat", alias="model")
    """A non-thinking model id (``deepseek-chat``, ``deepseek-flash``, ``deepseek-v4-pro``)."""
    api_key: SecretStr | None = None
    """API key; else from the environment, as for the core clients."""
    base_url: str | None = Field(default=None, alias="api_base")
    """Base URL; the beta URL is derived from it unless ``beta_base_url`` is given."""
    suffix: str | None = None
    """The text after the gap, when a call gives none (``invoke(prompt, suffix=...)``)."""
    max_tokens: int | None = None
    """Tokens to generate at most (up to 4096)."""
    temperature: float | None = None
    """Sampling temperature, 0 to 2."""
    top_p: float | None = None
    """Nucleus sampling, above 0 to 1."""
    presence_penalty: float | None = None
    """Presence penalty, -2 to 2."""
    frequency_penalty: float | None = None
    """Frequency penalty, -2 to 2."""
    logprobs: int | None = None
    """Log probabilities of this many most likely tokens per position (0 to 20)."""
    echo: bool | None = None
    """Return the prompt in front of the completion (not with ``suffix`` or ``logprobs``)."""
    stop: list[str] | str | None = None
    """Stop sequences (up to 16); a call's ``stop`` replaces them."""
    streaming: bool = False
    """Whether ``invoke`` streams under the hood (callbacks then see every piece)."""
    stream_usage: bool = True
    """Whether streams report token usage on their last chunk."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further FIM request fields (validated as the core's ``FIMRequest``)."""
    extra_body: dict[str, Any] | None = None
    """Fields added to the JSON body as they are."""
    era: Era = DEFAULT_ERA
    """Which era of the service's rules to follow (newest by default)."""
    extra_client_options: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)
    """The core client options given by their own names (``timeout``, ``transport``,
    ``beta_base_url``, ...): every :class:`~deepseekapi_core.ClientOptions` field is taken."""

    _client_option_aliases: ClassVar[Mapping[str, str]] = {}
    _clients: ClientHolder | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _sort_keywords(cls, values: Any) -> Any:
        """Client options by their own names go to ``extra_client_options``; an unknown name
        is refused with the closest field's name."""
        if not isinstance(values, dict):
            return values
        return sort_constructor_keywords(values, cls, _POLICY)

    @model_validator(mode="after")
    def _check_now(self) -> Self:
        """A bad client option or request field is refused here, naming it."""
        client_options_from(self, self._client_fields())
        build_fim_body(self._request("", None, {}), stream=False, era=self.era)
        return self

    @property
    def _llm_type(self) -> str:
        return "deepseekapi-fim"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The key serialises as a reference to its environment variable, never its value."""
        return {"api_key": "DEEPSEEKAPI_API_KEY"}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"model_name": self.model_name}
        params.update(
            {
                name: getattr(self, name)
                for name in _REQUEST_FIELDS
                if getattr(self, name) is not None
            }
        )
        return params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=MODEL_PROVIDER, ls_model_name=self.model_name, ls_model_type="llm"
        )
        if self.temperature is not None:
            params["ls_temperature"] = self.temperature
        if self.max_tokens is not None:
            params["ls_max_tokens"] = self.max_tokens
        return params

    # ------------------------------------------------------------------------------------
    # Requests and replies

    def _request(
        self, prompt: str, stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> FIMRequest:
        """The checked core request: the model's fields, then ``model_kwargs``, then the
        call's keywords (``suffix=``, ``max_tokens=`` ...)."""
        fields: dict[str, Any] = {name: getattr(self, name) for name in _REQUEST_FIELDS}
        fields.update(model=self.model_name, prompt=prompt, stop=self.stop or None)
        fields["extra_body"] = self.extra_body
        fields.update(self.model_kwargs)
        if stop is not None:
            fields["stop"] = stop or None
        fields.update({k: v for k, v in kwargs.items() if k not in _CONSUMED_KWARGS})
        return coerce_fim_request(None, {k: v for k, v in fields.items() if v is not None})

    def _streamed(self, request: FIMRequest, kwargs: Mapping[str, Any]) -> FIMRequest:
        usage = kwargs.get("stream_usage", self.stream_usage)
        return request.model_copy(
            update={"stream_options": StreamOptions(include_usage=bool(usage))}
        )

    @staticmethod
    def _generation(completion: FIMCompletion) -> Generation:
        choice = completion.choices[0]
        info: dict[str, Any] = {"finish_reason": choice.finish_reason}
        if choice.logprobs is not None:
            info["logprobs"] = choice.logprobs.model_dump(exclude_none=True)
        return Generation(text=choice.text, generation_info=info)

    def _result(self, completions: list[FIMCompletion]) -> LLMResult:
        usage: dict[str, Any] = {}
        for completion in completions:
            add_usage_counts(usage, _counts(completion.usage))
        generations = [[self._generation(completion)] for completion in completions]
        model = completions[0].model if completions else self.model_name
        return LLMResult(
            generations=generations, llm_output={"token_usage": usage, "model_name": model}
        )

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        if self.streaming:
            chunks = [self._gathered(self._stream(p, stop, run_manager, **kwargs)) for p in prompts]
            return self._result(chunks)
        requests = [self._request(prompt, stop, kwargs) for prompt in prompts]
        return self._result([self.clients.fim(request) for request in requests])

    async def _agenerate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        if self.streaming:
            streams = [self._astream(p, stop, run_manager, **kwargs) for p in prompts]
            return self._result([await self._agathered(stream) for stream in streams])
        requests = [self._request(prompt, stop, kwargs) for prompt in prompts]
        return self._result(await asyncio.gather(*(self.clients.afim(r) for r in requests)))

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        # BaseLLM.stream leaves on_llm_new_token to the model (BaseChatModel does it itself).
        request = self._streamed(self._request(prompt, stop, kwargs), kwargs)
        for chunk in self.clients.stream_fim(request):
            generation = _generation_chunk(chunk)
            if run_manager is not None and generation.text:
                run_manager.on_llm_new_token(generation.text, chunk=generation)
            yield generation

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        request = self._streamed(self._request(prompt, stop, kwargs), kwargs)
        async for chunk in self.clients.astream_fim(request):
            generation = _generation_chunk(chunk)
            if run_manager is not None and generation.text:
                await run_manager.on_llm_new_token(generation.text, chunk=generation)
            yield generation

    @staticmethod
    def _gathered(chunks: Iterator[GenerationChunk]) -> FIMCompletion:
        return _completion_of(list(chunks))

    @staticmethod
    async def _agathered(chunks: AsyncIterator[GenerationChunk]) -> FIMCompletion:
        return _completion_of([chunk async for chunk in chunks])


def _counts(usage: Usage | None) -> dict[str, int]:
    """The usage's token counts (those the service sent)."""
    if usage is None:
        return {}
    dumped = usage.model_dump(exclude_none=True)
    return {name: value for name, value in dumped.items() if isinstance(value, int)}


def _generation_chunk(chunk: FIMChunk) -> GenerationChunk:
    """A core chunk as LangChain's: its text; the last also the finish reason and usage."""
    info: dict[str, Any] = {}
    if chunk.finish_reason is not None:
        info.update(finish_reason=chunk.finish_reason, model_name=chunk.model)
    if chunk.usage is not None:
        info["token_usage"] = _counts(chunk.usage)
    if chunk.choices and chunk.choices[0].logprobs is not None:
        info["logprobs"] = chunk.choices[0].logprobs.model_dump(exclude_none=True)
    return GenerationChunk(text=chunk.text, generation_info=info or None)


def _completion_of(chunks: list[GenerationChunk]) -> FIMCompletion:
    """A streamed reply's chunks as one completion (for ``invoke`` with ``streaming=True``)."""
    info: dict[str, Any] = {}
    for chunk in chunks:
        info.update(chunk.generation_info or {})
    choice = {"text": "".join(c.text for c in chunks), "finish_reason": info.get("finish_reason")}
    usage = info.get("token_usage")
    return FIMCompletion.model_validate(
        {"model": info.get("model_name", ""), "choices": [choice], "usage": usage}
    )
