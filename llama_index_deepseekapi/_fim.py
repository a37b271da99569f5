"""Fill-in-the-middle completion (beta) for ``DeepSeekAPI.complete`` and its stream/async forms.

``complete(prompt)`` stays a chat request (one user message), as before. Given ``suffix=``
(the text after the gap) or ``fim=True``, the call is a FIM completion instead: the core's
``fim``/``stream_fim`` at ``<beta_base_url>/completions``, with ``prompt`` as the text before
the gap, sent as it is (``completion_to_prompt`` applies to chat prompts only).
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
)
from llama_index.core.llms.callbacks import llm_completion_callback

if TYPE_CHECKING:
    from deepseekapi_core.wire import FIMChunk, FIMCompletion, FIMRequest

__all__ = ["completion_with_fim"]

_F = TypeVar("_F", bound=Callable[..., Any])

# DeepSeekAPI's own fields a FIM request takes; further FIM fields come from the call or from
# additional_kwargs (those FIMRequest knows).
_FROM_FIELDS = ("model", "temperature", "max_tokens")


def completion_with_fim() -> Callable[[_F], _F]:
    """llama-index's completion callback around a ``complete`` method (as
    ``llm_completion_callback()``), which turns into a FIM completion when the call gives
    ``suffix=`` or ``fim=True`` (the callbacks see either)."""

    def decorate(method: _F) -> _F:
        streams = "stream" in method.__name__
        if inspect.iscoroutinefunction(method):

            async def awrapper(llm: Any, prompt: str, *args: Any, **kwargs: Any) -> Any:
                request = _fim_request(llm, prompt, args, kwargs)
                if request is None:
                    return await method(llm, prompt, *args, **kwargs)
                if streams:
                    return _astream(llm._clients.astream_fim(request))
                return _response(await llm._clients.afim(request))

            return cast(_F, llm_completion_callback()(_named_as(method, awrapper)))

        def wrapper(llm: Any, prompt: str, *args: Any, **kwargs: Any) -> Any:
            request = _fim_request(llm, prompt, args, kwargs)
            if request is None:
                return method(llm, prompt, *args, **kwargs)
            if streams:
                return _stream(llm._clients.stream_fim(request))
            return _response(llm._clients.fim(request))

        return cast(_F, llm_completion_callback()(_named_as(method, wrapper)))

    return decorate


def _named_as(method: Callable[..., Any], wrapper: _F) -> _F:
    """``wrapper`` under ``method``'s name and docstring. Not ``functools.wraps``: the
    ``__wrapped__`` it sets tells ``llm_completion_callback`` the callback is already there,
    and it would then send no events."""
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(wrapper, attr, getattr(method, attr))
    return wrapper


def _fim_request(
    llm: Any, prompt: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> FIMRequest | None:
    """The checked FIM request when the call asks for one (``suffix`` or ``fim=True``, both
    taken out of ``kwargs``), else None (the call stays a chat request)."""
    wants = kwargs.pop("fim", None)
    if "suffix" not in kwargs and not wants:
        return None
    from deepseekapi_core.http import InvalidRequestError
    from deepseekapi_core.http._fim_calls import coerce_fim_request
    from deepseekapi_core.wire import FIMRequest
    from deepseekapi_core.wire._fim import build_fim_body

    images = kwargs.pop("image_documents", None) or (args[1] if len(args) > 1 else None)
    if images:
        raise InvalidRequestError(
            "FIM completion takes text only: image_documents cannot go with suffix=/fim=True",
            param="image_documents",
        )
    kwargs.pop("formatted", None)
    fields: dict[str, Any] = {name: getattr(llm, name) for name in _FROM_FIELDS}
    extra: Mapping[str, Any] = llm.additional_kwargs or {}
    fields.update({k: v for k, v in extra.items() if k in FIMRequest.model_fields})
    fields.update(kwargs, prompt=prompt)
    request = coerce_fim_request(None, {k: v for k, v in fields.items() if v is not None})
    build_fim_body(request, stream=False, era=llm._clients.options.era)  # refuses the reasoner
    return request


def _extra(completion: FIMCompletion | FIMChunk) -> dict[str, Any]:
    extra: dict[str, Any] = completion.usage.as_dict() if completion.usage is not None else {}
    if completion.finish_reason is not None:
        extra["finish_reason"] = completion.finish_reason
    choice = completion.choices[0] if completion.choices else None
    if choice is not None and choice.logprobs is not None:
        extra["logprobs"] = choice.logprobs.model_dump(exclude_none=True)
    return extra


def _response(completion: FIMCompletion) -> CompletionResponse:
    """The middle as a :class:`CompletionResponse` (``raw`` the core's completion; token
    counts and ``finish_reason`` in ``additional_kwargs``)."""
    return CompletionResponse(
        text=completion.text, raw=completion, additional_kwargs=_extra(completion)
    )


def _stream(chunks: Iterator[FIMChunk]) -> CompletionResponseGen:
    text = ""
    for chunk in chunks:
        text += chunk.text
        yield CompletionResponse(
            text=text, delta=chunk.text, raw=chunk, additional_kwargs=_extra(chunk)
        )


async def _astream(chunks: AsyncIterator[FIMChunk]) -> CompletionResponseAsyncGen:
    text = ""
    async for chunk in chunks:
        text += chunk.text
        yield CompletionResponse(
            text=text, delta=chunk.text, raw=chunk, additional_kwargs=_extra(chunk)
        )
