"""The adapters' constructors: peers' keywords, field checks and client options, one way.

Code ported from a peer (langchain-deepseek's ``ChatDeepSeek``, ``ChatOpenAI``, llama-index's
``DeepSeek``/``OpenAILike``/``OpenAI``) passes that peer's constructor keywords. Each adapter
describes its peers in a :class:`ConstructorPolicy` and sorts the keywords with
:func:`sort_constructor_keywords` before its fields take them:

* a peer's name for one of the adapter's fields is renamed (``api_base`` -> ``base_url``); both
  names given with different values is an error naming both;
* a parameter with no meaning for DeepSeek is refused by name, with the reason
  (:data:`PEER_OPTIONS_WITHOUT_MEANING`); given as ``None`` or ``False`` (the peer's "not
  used") it is dropped;
* ``modalities=["text"]`` is accepted (text is what DeepSeek produces); any other is refused;
* any other unknown name goes where the adapter says: into its field of extra request
  parameters (LangChain's ``model_kwargs``, where peers take request options as constructor
  keywords) with a warning suggesting the closest field, options the service ignores being
  dropped there with an ``IgnoredParameterWarning``; or refused with the closest known name.

The field checks both adapters run (:data:`FIELD_CHECKS`) and the mapping from an adapter's
fields to :class:`~deepseekapi_core._adapters.ClientOptions` live here too.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel

from ..accounting._pricing import PriceTable, resolve_price_table
from ..http._config import resolve_timeout
from ..http._errors import InvalidRequestError
from ..http._options import ClientOptions
from ..wire._models import ReasoningEffort
from ..wire._registry import Era
from ._options_policy import (
    IGNORED_OPTIONS,
    classify_options,
    closest_name,
    known_option_names,
    unknown_option_error,
)

_RESPONSES_ONLY = "an OpenAI Responses API option; DeepSeek serves chat completions only"
_NO_ORGANIZATIONS = "DeepSeek has no organizations; the key alone selects the account"
# {http_client} and {async_http_client} become the adapter's own parameter names.
_SDK_CLIENT = (
    "openai SDK clients are not used here; pass {http_client}=httpx.Client(...) and "
    "{async_http_client}=httpx.AsyncClient(...) instead"
)

PEER_OPTIONS_WITHOUT_MEANING: Mapping[str, str] = {
    "organization": _NO_ORGANIZATIONS,
    "openai_organization": _NO_ORGANIZATIONS,
    "tiktoken_model_name": "DeepSeek's tokenizer is not one of tiktoken's",
    "reasoning": "use reasoning_effort=... (and thinking=...) for DeepSeek's thinking mode",
    "use_responses_api": _RESPONSES_ONLY,
    "verbosity": _RESPONSES_ONLY,
    "include": _RESPONSES_ONLY,
    "truncation": _RESPONSES_ONLY,
    "use_previous_response_id": _RESPONSES_ONLY,
    "context_management": _RESPONSES_ONLY,
    "client": _SDK_CLIENT,
    "async_client": _SDK_CLIENT,
    "root_client": _SDK_CLIENT,
    "root_async_client": _SDK_CLIENT,
    "openai_client": _SDK_CLIENT,
    "async_openai_client": _SDK_CLIENT,
    "api_version": "it is an Azure OpenAI setting; DeepSeek's API has no versions to pick",
    "audio_config": "DeepSeek's chat models produce text only",
    "tokenizer": (
        "it only sizes max_tokens for completion-endpoint models; DeepSeek is served through "
        "chat completions, and the context window comes from the model registry (or "
        "context_window=...)"
    ),
}
"""Constructor parameters of the adapters' peers that have no meaning for DeepSeek, and why.

Each adapter refuses the ones its peers have (:attr:`ConstructorPolicy.refused`); a reason's
``{http_client}``/``{async_http_client}`` stand for the adapter's own parameter names."""


@dataclass(frozen=True)
class ConstructorPolicy:
    """How one adapter sorts its constructor keywords (see this module's docstring)."""

    owner: str
    """The class name errors and warnings give."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """Peers' names for the adapter's fields: ``{peer's name: field name}``."""
    refused: frozenset[str] = frozenset()
    """The names in :data:`PEER_OPTIONS_WITHOUT_MEANING` the adapter's peers have."""
    http_clients: tuple[str, str] = ("http_client", "async_http_client")
    """The adapter's parameters for an ``httpx.Client`` and an ``httpx.AsyncClient``."""
    unknown_to: str | None = None
    """The field unknown names move to, with a warning (sent with each request); None refuses
    them."""
    unknown_hint: str = ""
    """What the refusal of an unknown name adds (where such a parameter goes instead)."""
    client_option_aliases: Mapping[str, str] = field(default_factory=dict)
    """The adapter's spellings of client options, by option name (``{option: field}``);
    each is also accepted under the option's own name."""

    def reason(self, name: str) -> str:
        """Why ``name`` is refused, naming the adapter's own HTTP client parameters."""
        sync_name, async_name = self.http_clients
        return PEER_OPTIONS_WITHOUT_MEANING[name].format(
            http_client=sync_name, async_http_client=async_name
        )


def _field_names(model: type[BaseModel]) -> frozenset[str]:
    names = set(model.model_fields)
    names.update(info.alias for info in model.model_fields.values() if info.alias)
    return frozenset(names)


def sort_constructor_keywords(
    values: Mapping[str, Any], model: type[BaseModel], policy: ConstructorPolicy
) -> dict[str, Any]:
    """The keywords ``model``'s fields take, from those a caller passed, by ``policy``.

    Args:
        values: the keywords as the caller passed them (not changed).
        model: the adapter's class: its fields and their aliases are the known names.
        policy: the adapter's aliases, refused names and unknown-name rule.

    Raises:
        InvalidRequestError: two names of one field (its own, its pydantic alias, a peer's)
            given different values, a refused name (with the reason), a modality other than
            text, an unknown name the policy refuses (with the closest known name), or one
            given both directly and in the policy's ``unknown_to`` field.
        UnsupportedParameterError: ``n`` above 1, where unknown names are request options.
    """
    known = _field_names(model)
    sorted_values = dict(values)
    aliases = {**policy.aliases, **policy.client_option_aliases}
    _refuse_two_values(sorted_values, model, aliases, policy.unknown_to)
    for alias, target in aliases.items():
        value = sorted_values.pop(alias, None)
        if value is not None:
            sorted_values[target] = value
    for name in [name for name in sorted_values if name not in known]:
        if name in policy.refused:
            value = sorted_values.pop(name)
            if value is not None and value is not False:
                raise InvalidRequestError(
                    f"{policy.owner} does not take {name!r}: {policy.reason(name)}", param=name
                )
        elif name == "modalities":
            modalities = sorted_values.pop(name)
            if modalities is not None and list(modalities) != ["text"]:
                raise InvalidRequestError(
                    f"{policy.owner} does not take 'modalities' {modalities!r}: DeepSeek's "
                    "chat models produce text only (modalities=['text'] is accepted)",
                    param="modalities",
                )
    _route_client_options(sorted_values, known)
    unknown = [name for name in sorted_values if name not in known]
    if unknown and policy.unknown_to is None:
        accepted = [*known, *policy.aliases, *policy.refused, "modalities"]
        raise unknown_option_error(
            unknown[0], accepted, where=f"{policy.owner} argument", hint=policy.unknown_hint
        )
    if unknown and policy.unknown_to is not None:
        _move_unknown(sorted_values, unknown, known, policy.owner, policy.unknown_to)
    return sorted_values


def _route_client_options(values: dict[str, Any], known: Collection[str]) -> None:
    """Move the client options the adapter has no field for (one added to ClientOptions
    since) into its :data:`EXTRA_CLIENT_OPTIONS` field, from which the holder is built."""
    if EXTRA_CLIENT_OPTIONS not in known:
        return
    options = client_option_names()
    undeclared = [name for name in values if name not in known and name in options]
    if undeclared:
        extra = dict(values.get(EXTRA_CLIENT_OPTIONS) or {})
        extra.update((name, values.pop(name)) for name in undeclared)
        values[EXTRA_CLIENT_OPTIONS] = extra


def _refuse_two_values(
    values: Mapping[str, Any],
    model: type[BaseModel],
    aliases: Mapping[str, str],
    extra_field: str | None,
) -> None:
    """Refuse a field given under two of its names (its own, its pydantic alias, a peer's),
    or also in ``extra_field`` (whose values are sent), with different values: one of them
    would be dropped without a word."""
    extra = values.get(extra_field) if extra_field is not None else None
    names: dict[str, list[str]] = {}
    for name, info in model.model_fields.items():
        names[name] = [name] if not info.alias else [info.alias, name]
    for alias, target in aliases.items():
        names.setdefault(target, [target]).insert(0, alias)
    for field_name, same in names.items():
        given = [name for name in same if values.get(name) is not None]
        for first, other in itertools.pairwise(given):
            if values[first] != values[other]:
                raise InvalidRequestError(
                    f"{first} and {other} are the same setting and were given different values",
                    param=first,
                )
        extra_value = extra.get(field_name) if isinstance(extra, Mapping) else None
        if given and extra_value is not None and values[given[0]] != extra_value:
            raise InvalidRequestError(
                f"{given[0]} is given both directly and in {extra_field}, with different values",
                param=given[0],
            )


def _move_unknown(
    values: dict[str, Any], unknown: list[str], known: Collection[str], owner: str, target: str
) -> None:
    """Move ``unknown`` names into ``values[target]``; drop the ones the service ignores."""
    extra = dict(values.get(target) or {})
    ignored = {}
    for name in unknown:
        value = values.pop(name)
        if name in IGNORED_OPTIONS:
            ignored[name] = value
            continue
        if name in extra:
            raise InvalidRequestError(f"{name} is given both directly and in {target}", param=name)
        extra[name] = value
        if name not in known_option_names():
            suggestion = closest_name(name, known)
            hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
            warnings.warn(
                f"{name} is not a {owner} field{hint}; it was moved to {target} and will be "
                "sent with each request",
                UserWarning,
                stacklevel=4,
            )
    if ignored:
        classify_options(ignored)  # warns for each, refuses n > 1; nothing is kept
    values[target] = extra


# ----------------------------------------------------------------------------------------
# Field checks


def check_reasoning_effort(value: str | None) -> str | None:
    """``value`` if it is one of the core's ``ReasoningEffort`` values (or None)."""
    allowed = get_args(ReasoningEffort)
    if value is not None and value not in allowed:
        raise ValueError(f"reasoning_effort must be one of {allowed}, not {value!r}")
    return value


def check_era(value: Era | str | None) -> Era | str | None:
    """``value`` if it names an :class:`~deepseekapi_core.Era` (or is None: the newest)."""
    eras = [era.value for era in Era]
    if value is not None and value not in eras:
        raise ValueError(f"era must be one of {eras}, not {value!r}")
    return value


def check_prices(value: PriceTable | Mapping[str, Any] | None) -> Any:
    """``value`` if it is a price table (a ``PriceTable`` or ``{model: [hit, miss, output]}``);
    else a ``ValueError`` naming the bad price."""
    if value is None:
        return value
    if not isinstance(value, (PriceTable, Mapping)):
        raise ValueError(f"prices must be a PriceTable or a dict, got {type(value).__name__}")
    resolve_price_table(value)
    return value


def check_timeout(value: Any) -> Any:
    """``value`` if it is a timeout :func:`~deepseekapi_core._adapters.resolve_timeout` takes
    (seconds, a ``(connect, read)`` pair, an ``httpx.Timeout``, or their JSON forms)."""
    resolve_timeout(value)  # its ValueError names the timeout and the forms it takes
    return value


FIELD_CHECKS: Mapping[str, Callable[[Any], Any]] = {
    "era": check_era,
    "prices": check_prices,
    "reasoning_effort": check_reasoning_effort,
    "timeout": check_timeout,
}
"""The checks of the fields both adapters have, by field name; each returns the value."""


def check_field(name: str, value: Any) -> Any:
    """``value`` checked by :data:`FIELD_CHECKS`'s check for field ``name``."""
    return FIELD_CHECKS[name](value)


# ----------------------------------------------------------------------------------------
# Client options


EXTRA_CLIENT_OPTIONS = "extra_client_options"
"""The adapters' field for client options they have no field of their own for: a keyword
naming a :class:`ClientOptions` field the adapter does not declare lands there (see
:func:`sort_constructor_keywords`) and reaches the holder's options all the same."""


def client_option_names() -> frozenset[str]:
    """The names of :class:`ClientOptions`' fields: the one list of client options."""
    return _option_names(ClientOptions)


@functools.cache
def _option_names(options_class: type) -> frozenset[str]:
    return frozenset(option.name for option in dataclasses.fields(options_class))


def client_fields(model: type[BaseModel], aliases: Mapping[str, str]) -> Mapping[str, str]:
    """``{field name: option name}`` for each :class:`ClientOptions` field that ``model``
    declares, under the option's own name or its spelling in ``aliases`` (``{option: field}``,
    e.g. LangChain's ``http_async_client``). Derived from ``ClientOptions``, never listed."""
    return _client_fields(model, tuple(aliases.items()), ClientOptions)


@functools.cache
def _client_fields(
    model: type[BaseModel], aliases: tuple[tuple[str, str], ...], options_class: type
) -> Mapping[str, str]:
    spelled = dict(aliases)
    fields = {spelled.get(option, option): option for option in _option_names(options_class)}
    return {name: option for name, option in fields.items() if name in model.model_fields}


def client_options_from(model: object, fields: Mapping[str, str]) -> ClientOptions:
    """The :class:`ClientOptions` an adapter's fields set: ``fields`` maps each field name to
    the option's name (most are the same; LangChain's ``http_async_client`` is not), and the
    model's :data:`EXTRA_CLIENT_OPTIONS` (if any) adds the options it has no field for."""
    values = {option: getattr(model, name) for name, option in fields.items()}
    extra = getattr(model, EXTRA_CLIENT_OPTIONS, None)
    if extra:
        unknown = sorted(set(extra) - client_option_names())
        if unknown:
            raise InvalidRequestError(
                f"{EXTRA_CLIENT_OPTIONS} has {unknown[0]!r}, which is not a client option "
                f"(they are {', '.join(sorted(client_option_names()))})",
                param=unknown[0],
            )
        values.update(extra)
    return ClientOptions(**values)
