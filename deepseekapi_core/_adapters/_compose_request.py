"""One request composer for both adapters: their settings and options in, a checked request out.

An adapter's own fields (``model``, ``temperature`` ...) come first; then each option mapping
in its precedence order (LangChain: ``model_kwargs``, the call's ``stop``, the call's kwargs;
LlamaIndex: ``additional_kwargs``, the call's kwargs), each sorted by :func:`classify_options`
(``_options_policy``), a later one winning name by name; then ``disabled_params`` drop what
must never be sent. What comes out is a validated :class:`ChatRequest` and the
call's HTTP options (timeout, headers, query), merged in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from ..http._client import coerce_chat_request
from ..http._options import RequestOptions
from ..wire._models import ChatMessage, ChatRequest
from ._options_policy import classify_options


class OptionSource(NamedTuple):
    """One mapping of options and how :func:`classify_options` treats it (a tuple: one is made
    per source per call, so it must be cheap).

    Attributes:
        options: the names and values as the user gave them.
        where: what an error calls a bad name ("call option", "model_kwargs key",
            "additional_kwargs key").
        unknown_to_body: send names the core does not know in the JSON body as they are (what
            LangChain's ``model_kwargs`` means) instead of refusing them.
        consumed: names the adapter handles itself; never sent.
    """

    options: Mapping[str, Any]
    where: str = "call option"
    unknown_to_body: bool = False
    consumed: frozenset[str] = frozenset()


def compose_request(
    fields: Mapping[str, Any],
    messages: Sequence[ChatMessage],
    *,
    sources: Iterable[OptionSource] = (),
    extra_body: Mapping[str, Any] | None = None,
    disabled: Mapping[str, Any] | None = None,
    stream_usage: bool | None = None,
    convert_tools: Callable[[Any], Any] | None = None,
) -> tuple[ChatRequest, RequestOptions]:
    """The validated request and its HTTP options, from an adapter's settings and options.

    Args:
        fields: the adapter's own request values (``model``, ``temperature`` ...); None means
            unset and is left out.
        messages: the conversation, already in the core's message form.
        sources: option mappings, lowest precedence first; a later one wins name by name.
            A value of None clears what an earlier one set (the service's default then).
        extra_body: fields for the JSON body as they are, under any the sources add.
        disabled: names never sent (``{"name": None}``), or not sent with one of the listed
            values (``{"name": [values]}``), as ``ChatOpenAI``'s ``disabled_params``.
        stream_usage: whether a stream reports usage on its last chunk (None: the core's
            default).
        convert_tools: turns the ``tools`` value that won into tool specs (an adapter's own
            tool types); the value is sent as given when None.

    Raises:
        InvalidRequestError: an unknown option name (with where it came from and the closest
            known name) or a value the request refuses, before anything is sent.
    """
    params = {name: value for name, value in fields.items() if value is not None}
    extra: dict[str, Any] = dict(extra_body) if extra_body else {}
    options = RequestOptions()
    for source in sources:
        if not source.options:
            continue
        sorted_options = classify_options(
            source.options,
            unknown_to_body=source.unknown_to_body,
            consumed=source.consumed,
            where=source.where,
        )
        params.update(sorted_options.params)
        extra.update(sorted_options.extra_body)
        options = options.merged(sorted_options.request_options)
    if disabled:
        _drop_disabled(params, disabled)
        _drop_disabled(extra, disabled)
    if extra:
        params["extra_body"] = extra
    if stream_usage is not None:
        params["stream_options"] = {"include_usage": stream_usage}
    if convert_tools is not None and params.get("tools"):
        params["tools"] = convert_tools(params["tools"])
    params["messages"] = messages
    return coerce_chat_request(None, params), options


def _drop_disabled(params: dict[str, Any], disabled: Mapping[str, Any]) -> None:
    """Drop the parameters ``disabled`` names (all values, or the values listed)."""
    for name, values in disabled.items():
        if name in params and (values is None or params[name] in values):
            del params[name]
