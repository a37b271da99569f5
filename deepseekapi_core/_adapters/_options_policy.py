"""One policy for the options code passes per call (and in ``model_kwargs``/``additional_kwargs``).

Code written for the openai SDK, ``ChatOpenAI``, ``ChatDeepSeek`` or llama-index's ``OpenAI``
passes chat-completion options the DeepSeek service does not all take. Both adapters sort them
here, so the rules are the same everywhere:

* request fields (``temperature``, ``tools``, ``stop`` ...) are validated and sent;
* openai's names for fields the service has under another name are renamed
  (``max_completion_tokens`` -> ``max_tokens``, ``user`` -> ``user_id``);
* options of the HTTP request, never of the JSON body: ``timeout``, ``extra_headers``,
  ``extra_query`` (honoured on that request only); ``extra_body`` is merged into the body;
* options the service ignores (``seed``, ``logit_bias``, ``service_tier``, ``store``,
  ``metadata``, ``parallel_tool_calls=False``) are dropped with an
  :class:`~deepseekapi_core.IgnoredParameterWarning` naming them; values that are the service's
  own behaviour (``n=1``, ``parallel_tool_calls=True``) are dropped silently; ``n`` above 1 is
  refused (the service returns one choice);
* any other name is refused before anything is sent, with the closest known name suggested
  (``temprature=`` -> "did you mean 'temperature'?").
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..http._config import resolve_timeout
from ..http._errors import InvalidRequestError, UnsupportedParameterError
from ..http._options import RequestOptions
from ..wire._models import ChatRequest
from ..wire._prepare import _warn_ignored

REQUEST_FIELDS = frozenset(ChatRequest.model_fields) - {"extra_body"}
OPTION_ALIASES: Mapping[str, str] = {
    "max_completion_tokens": "max_tokens",
    "user": "user_id",
}
"""openai's names for fields the service has under its own name."""
TRANSPORT_OPTIONS = frozenset({"timeout", "extra_headers", "extra_query"})
"""Options of the HTTP request itself; they never enter the JSON body."""
IGNORED_OPTIONS = frozenset(
    {"seed", "logit_bias", "service_tier", "store", "metadata", "n", "parallel_tool_calls"}
)
"""openai chat-completion options the DeepSeek service accepts without effect."""
_NO_OP_VALUES: Mapping[str, object] = {"n": 1, "parallel_tool_calls": True}


@dataclass
class ClassifiedOptions:
    """Options sorted by :func:`classify_options`: request fields, extra body, HTTP options."""

    params: dict[str, Any] = field(default_factory=dict)
    extra_body: dict[str, Any] = field(default_factory=dict)
    request_options: RequestOptions = field(default_factory=RequestOptions)


def closest_name(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to a misspelled ``name``, if one is close enough."""
    matches = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def known_option_names() -> frozenset[str]:
    """Every name :func:`classify_options` accepts."""
    return (
        REQUEST_FIELDS | set(OPTION_ALIASES) | TRANSPORT_OPTIONS | IGNORED_OPTIONS | {"extra_body"}
    )


def unknown_option_error(
    name: str, known: Iterable[str], *, where: str, hint: str = ""
) -> InvalidRequestError:
    """The error for an unknown option, suggesting the closest known name."""
    suggestion = closest_name(name, known)
    message = f"unknown {where} {name!r}"
    if suggestion:
        message += f"; did you mean {suggestion!r}?"
    if hint:
        message += (" " if suggestion else ". ") + hint
    return InvalidRequestError(message, param=name)


def _string_map(name: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidRequestError(
            f"{name} must be a mapping of names to values, not {type(value).__name__}", param=name
        )
    return {str(key): str(item) for key, item in value.items() if item is not None}


def _transport_options(source: Mapping[str, Any]) -> RequestOptions:
    timeout = source.get("timeout")
    try:
        resolved = resolve_timeout(timeout) if timeout is not None else None
    except ValueError as exc:
        raise InvalidRequestError(str(exc), param="timeout") from None
    return RequestOptions(
        timeout=resolved,
        headers=_string_map("extra_headers", source.get("extra_headers")),
        query=_string_map("extra_query", source.get("extra_query")),
    )


def _extra_body(value: Any) -> Mapping[str, Any]:
    if value is not None and not isinstance(value, Mapping):
        raise InvalidRequestError(
            f"extra_body must be a mapping, not {type(value).__name__}", param="extra_body"
        )
    return value or {}


def _aliased(name: str, value: Any, options: Mapping[str, Any]) -> Any:
    """The value of openai's ``name`` for the service's field, refused if both disagree."""
    target = OPTION_ALIASES[name]
    if target in options and options[target] != value:
        raise InvalidRequestError(
            f"{name} and {target} are the same option and were given different values",
            param=name,
        )
    return value


def _takes_effect(name: str, value: Any) -> bool:
    """Whether an ignored option's value would change anything (then it is warned about);
    ``n`` above 1 is refused."""
    if value is None or _NO_OP_VALUES.get(name, object()) == value:
        return False
    if name == "n":
        raise UnsupportedParameterError(
            f"n={value!r}: the DeepSeek service returns one choice per request; "
            "send several requests (e.g. batch) instead",
            param="n",
        )
    return True


def classify_options(
    options: Mapping[str, Any],
    *,
    unknown_to_body: bool = False,
    consumed: Iterable[str] = (),
    where: str = "call option",
) -> ClassifiedOptions:
    """Sort ``options`` by this module's policy.

    Args:
        options: the names and values as the caller passed them.
        unknown_to_body: send unknown names in the JSON body as they are (what
            ``model_kwargs`` means in LangChain) instead of refusing them.
        consumed: names the calling adapter handles itself; skipped here.
        where: how the error message calls an option ("call option", "model_kwargs key").

    Raises:
        InvalidRequestError: an unknown name (with the closest known name suggested), or a
            value a transport option cannot take.
        UnsupportedParameterError: ``n`` above 1.
    """
    sorted_options = ClassifiedOptions()
    skipped = frozenset(consumed)
    ignored: list[str] = []
    transport: dict[str, Any] = {}
    for name, value in options.items():
        if name in skipped:
            continue
        if name in TRANSPORT_OPTIONS:
            transport[name] = value
        elif name == "extra_body":
            sorted_options.extra_body.update(_extra_body(value))
        elif name in REQUEST_FIELDS:
            sorted_options.params[name] = value
        elif name in OPTION_ALIASES:
            sorted_options.params[OPTION_ALIASES[name]] = _aliased(name, value, options)
        elif name in IGNORED_OPTIONS:
            if _takes_effect(name, value):
                ignored.append(name)
        elif unknown_to_body:
            sorted_options.extra_body[name] = value
        else:
            raise unknown_option_error(
                name,
                known_option_names(),
                where=where,
                hint="To send a field this package does not know, use "
                f"extra_body={{{name!r}: ...}}",
            )
    if ignored:
        _warn_ignored(
            f"the DeepSeek service ignores {', '.join(sorted(ignored))}; not sent "
            "(it accepts them without effect)"
        )
    sorted_options.request_options = _transport_options(transport)
    return sorted_options
