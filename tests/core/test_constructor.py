"""The adapters' constructor policy: peers' keywords, field checks, client options, copies."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field

from deepseekapi_core import (
    Era,
    IgnoredParameterWarning,
    InvalidRequestError,
    RetryPolicy,
    get_model_profile,
)
from deepseekapi_core._adapters._holder import ClientHolder
from deepseekapi_core._adapters._keywords import (
    FIELD_CHECKS,
    PEER_OPTIONS_WITHOUT_MEANING,
    ConstructorPolicy,
    check_era,
    check_field,
    check_prices,
    check_reasoning_effort,
    check_timeout,
    client_options_from,
    sort_constructor_keywords,
)
from deepseekapi_core._adapters._mixins import follow_client_field, sharing_memo
from deepseekapi_core.accounting._pricing import PriceTable
from deepseekapi_core.http import UnsupportedParameterError
from deepseekapi_core.testing import Emulator


class Model(BaseModel):
    """An adapter's fields, in small."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    base_url: str | None = Field(default=None, alias="api_base")
    api_key: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)


TO_KWARGS = ConstructorPolicy(
    owner="Chat",
    aliases={"openai_api_key": "api_key"},
    refused=frozenset({"organization", "client", "use_responses_api"}),
    http_clients=("http_client", "http_async_client"),
    unknown_to="model_kwargs",
)
REFUSING = ConstructorPolicy(
    owner="LLM",
    aliases={"max_new_tokens": "max_tokens"},
    refused=frozenset({"client", "api_version"}),
    unknown_hint="Request parameters go in additional_kwargs={...}",
)


def test_known_names_and_field_aliases_pass_unchanged() -> None:
    values = {"api_base": "https://x.example", "temperature": 0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sort_constructor_keywords(values, Model, REFUSING) == values


def test_a_peers_name_is_renamed_and_a_conflict_names_both() -> None:
    assert sort_constructor_keywords({"max_new_tokens": 9}, Model, REFUSING) == {"max_tokens": 9}
    same = sort_constructor_keywords({"max_new_tokens": 9, "max_tokens": 9}, Model, REFUSING)
    assert same == {"max_tokens": 9}
    unset = sort_constructor_keywords({"max_new_tokens": None, "max_tokens": 5}, Model, REFUSING)
    assert unset == {"max_tokens": 5}
    with pytest.raises(InvalidRequestError, match="max_new_tokens and max_tokens") as caught:
        sort_constructor_keywords({"max_new_tokens": 9, "max_tokens": 5}, Model, REFUSING)
    assert caught.value.param == "max_new_tokens"


def test_a_refused_name_says_why_with_the_adapters_own_client_names() -> None:
    with pytest.raises(InvalidRequestError, match="Chat does not take 'client'") as caught:
        sort_constructor_keywords({"client": object()}, Model, TO_KWARGS)
    assert "http_async_client=httpx.AsyncClient" in str(caught.value)
    with pytest.raises(InvalidRequestError, match="LLM does not take 'client'") as caught:
        sort_constructor_keywords({"client": object()}, Model, REFUSING)
    assert "async_http_client=httpx.AsyncClient" in str(caught.value)
    with pytest.raises(InvalidRequestError, match="no organizations"):
        sort_constructor_keywords({"organization": "org-1"}, Model, TO_KWARGS)


def test_a_refused_name_at_its_peers_default_is_dropped() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = {"use_responses_api": False, "organization": None, "temperature": 1.0}
        assert sort_constructor_keywords(values, Model, TO_KWARGS) == {"temperature": 1.0}


def test_every_reason_formats_for_both_adapters() -> None:
    for name in PEER_OPTIONS_WITHOUT_MEANING:
        for policy in (TO_KWARGS, REFUSING):
            reason = policy.reason(name)
            assert reason and "{" not in reason


@pytest.mark.parametrize("policy", [TO_KWARGS, REFUSING], ids=["to-kwargs", "refusing"])
def test_text_is_the_one_modality(policy: ConstructorPolicy) -> None:
    assert sort_constructor_keywords({"modalities": ["text"]}, Model, policy) == {}
    with pytest.raises(InvalidRequestError, match="modalities=\\['text'\\] is accepted"):
        sort_constructor_keywords({"modalities": ["text", "audio"]}, Model, policy)


def test_unknown_names_are_refused_with_the_closest_known_name() -> None:
    with pytest.raises(InvalidRequestError, match="did you mean 'temperature'") as caught:
        sort_constructor_keywords({"temprature": 0.2}, Model, REFUSING)
    assert "unknown LLM argument 'temprature'" in str(caught.value)
    assert "additional_kwargs" in str(caught.value)
    # A peer's name is a known name too: the suggestion may be one.
    with pytest.raises(InvalidRequestError, match="did you mean 'max_new_tokens'"):
        sort_constructor_keywords({"max_new_token": 3}, Model, REFUSING)
    # Options the service ignores are no request options here: refused like any unknown name.
    with pytest.raises(InvalidRequestError, match="unknown LLM argument 'seed'"):
        sort_constructor_keywords({"seed": 7}, Model, REFUSING)


def test_unknown_names_move_to_the_policys_field_with_a_suggestion() -> None:
    with pytest.warns(UserWarning, match="did you mean 'temperature'.*moved to model_kwargs"):
        moved = sort_constructor_keywords(
            {"temprature": 0.2, "model_kwargs": {"a": 1}}, Model, TO_KWARGS
        )
    assert moved == {"model_kwargs": {"a": 1, "temprature": 0.2}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a request option the core knows: moved without a word
        assert sort_constructor_keywords({"top_p": 0.5}, Model, TO_KWARGS) == {
            "model_kwargs": {"top_p": 0.5}
        }
    with pytest.raises(InvalidRequestError, match="both directly and in model_kwargs"):
        sort_constructor_keywords({"top_p": 0.5, "model_kwargs": {"top_p": 0.1}}, Model, TO_KWARGS)


def test_options_the_service_ignores_are_dropped_with_a_warning() -> None:
    with pytest.warns(IgnoredParameterWarning, match="logit_bias, seed"):
        kept = sort_constructor_keywords(
            {"seed": 1, "logit_bias": {"1": 2}, "n": 1}, Model, TO_KWARGS
        )
    assert kept == {"model_kwargs": {}}
    with pytest.raises(UnsupportedParameterError, match="one choice"):
        sort_constructor_keywords({"n": 2}, Model, TO_KWARGS)


def test_the_callers_keywords_are_not_changed() -> None:
    values = {"openai_api_key": "k", "user_tier": "gold"}
    with pytest.warns(UserWarning):
        sort_constructor_keywords(values, Model, TO_KWARGS)
    assert values == {"openai_api_key": "k", "user_tier": "gold"}


# ----------------------------------------------------------------------------------------
# Field checks


def test_reasoning_effort_takes_the_cores_values() -> None:
    assert check_reasoning_effort("max") == "max"
    assert check_reasoning_effort(None) is None
    with pytest.raises(ValueError, match=r"reasoning_effort must be one of .*'extreme'"):
        check_reasoning_effort("extreme")


def test_era_takes_the_eras_values() -> None:
    assert check_era("v4") == "v4"
    assert check_era(Era.R1) is Era.R1
    assert check_era(None) is None
    with pytest.raises(ValueError, match=r"era must be one of .*'v9'"):
        check_era("v9")


def test_prices_are_checked_naming_the_bad_price() -> None:
    table = {"deepseek-chat": [0.1, 0.2, 0.3]}
    assert check_prices(table) is table
    assert check_prices(None) is None
    priced = PriceTable.from_mapping(table)
    assert check_prices(priced) is priced
    with pytest.raises(ValueError, match="prices must be a PriceTable or a dict, got list"):
        check_prices([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="the price of 'deepseek-chat' must be"):
        check_prices({"deepseek-chat": [1, 2]})


@pytest.mark.parametrize(
    "timeout", [None, 5, (2, 30), [2, 30], httpx.Timeout(3.0), {"connect": 1.0, "read": 9.0}]
)
def test_every_timeout_form_is_accepted_as_given(timeout: Any) -> None:
    assert check_timeout(timeout) is timeout


@pytest.mark.parametrize("timeout", [-1, 0, True, "5", (1, 2, 3)])
def test_a_bad_timeout_is_refused_naming_it(timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        check_timeout(timeout)


def test_check_field_dispatches_by_field_name() -> None:
    assert set(FIELD_CHECKS) == {"era", "prices", "reasoning_effort", "timeout"}
    assert check_field("era", "v4.1") == "v4.1"
    with pytest.raises(ValueError, match="era must be one of"):
        check_field("era", "v0")
    with pytest.raises(KeyError):
        check_field("temperature", 1.0)


# ----------------------------------------------------------------------------------------
# Client options, copies, capabilities


class Settings:
    """An adapter's client fields, one under a name of its own."""

    def __init__(self) -> None:
        self.api_key = "sk-x"
        self.base_url = "https://a.example/v1"
        self.max_retries = 1
        self.http_async_client: httpx.AsyncClient | None = None


CLIENT_FIELDS = {
    "api_key": "api_key",
    "base_url": "base_url",
    "max_retries": "max_retries",
    "http_async_client": "async_http_client",
}


def test_client_options_come_from_the_fields_by_their_option_names() -> None:
    settings = Settings()
    settings.http_async_client = httpx.AsyncClient()
    options = client_options_from(settings, CLIENT_FIELDS)
    assert (options.base_url, options.max_retries) == ("https://a.example/v1", 1)
    assert options.async_http_client is settings.http_async_client


def test_a_changed_client_field_rebuilds_the_clients() -> None:
    settings = Settings()
    holder = ClientHolder(client_options_from(settings, CLIENT_FIELDS))
    first = holder.client
    settings.base_url = "https://b.example/v1"
    follow_client_field(holder, settings, CLIENT_FIELDS, "base_url")
    assert holder.options.base_url == "https://b.example/v1"
    assert holder.client is not first and holder.client.base_url == "https://b.example/v1"
    again = holder.client
    follow_client_field(holder, settings, CLIENT_FIELDS, "temperature")  # not a client field
    follow_client_field(None, settings, CLIENT_FIELDS, "base_url")  # no clients built yet
    assert holder.client is again


def test_copies_share_the_injected_objects_and_copy_the_rest() -> None:
    class Adapter:
        def __init__(self) -> None:
            self.transport = Emulator().transport()
            self.retry_policy = RetryPolicy(max_retries=1)
            self.http_async_client: httpx.AsyncClient | None = None
            self.default_headers = {"X-Tag": "a"}

    fields = {
        "transport": "transport",
        "retry_policy": "retry_policy",
        "http_async_client": "async_http_client",
        "default_headers": "default_headers",
    }
    original = Adapter()
    original.http_async_client = httpx.AsyncClient()
    twin = copy.deepcopy(original, sharing_memo(original, fields))
    assert twin.transport is original.transport and twin.retry_policy is original.retry_policy
    assert twin.http_async_client is original.http_async_client
    assert twin.default_headers == original.default_headers
    assert twin.default_headers is not original.default_headers


@pytest.mark.parametrize(
    ("model", "era", "thinking", "calls"),
    [
        ("deepseek-chat", Era.V4, None, True),
        ("deepseek-reasoner", Era.V4, None, True),
        ("deepseek-reasoner", Era.R1, None, False),  # no function calling in the R1 era
        ("deepseek-reasoner", Era.V3_1, None, False),  # V3.1: tools ran the chat model
        ("deepseek-v4-flash", Era.V4, False, True),
    ],
)
def test_a_model_calls_tools_in_its_mode(model: str, era: Era, thinking: bool, calls: bool) -> None:
    profile = get_model_profile(model, era)
    assert profile.calls_tools(thinking) is calls
    assert calls == (
        profile.supports_tools
        and (profile.supports_tools_when_thinking or not profile.thinks(thinking))
    )


# A field given twice, under two of its names


BASE_ALIASED = ConstructorPolicy(owner="Chat", aliases={"openai_api_base": "base_url"})


@pytest.mark.parametrize(
    "values",
    [
        {"api_base": "https://a.example", "base_url": "https://b.example"},  # pydantic alias
        {"openai_api_base": "https://a.example", "api_base": "https://b.example"},  # peer's
        {"openai_api_base": "https://a.example", "base_url": "https://b.example"},
        {"openai_api_key": "k1", "api_key": "k2"},
    ],
    ids=["name-and-field-alias", "peer-and-field-alias", "peer-and-name", "peer-key"],
)
def test_one_setting_under_two_names_with_different_values_is_refused(
    values: dict[str, Any],
) -> None:
    """Neither value silently wins (the base URL decides where the key is sent)."""
    policy = ConstructorPolicy(owner="Chat", aliases={**BASE_ALIASED.aliases, **TO_KWARGS.aliases})
    with pytest.raises(InvalidRequestError, match="same setting") as caught:
        sort_constructor_keywords(values, Model, policy)
    for name in values:
        assert name in str(caught.value)


def test_one_setting_under_two_names_with_the_same_value_is_accepted() -> None:
    values = {"openai_api_base": "https://a.example", "api_base": "https://a.example"}
    sorted_values = sort_constructor_keywords(values, Model, BASE_ALIASED)
    assert Model.model_validate(sorted_values).base_url == "https://a.example"


def test_a_field_given_directly_and_in_the_extra_field_with_different_values_is_refused() -> None:
    """ChatOpenAI refuses a field in model_kwargs; here it is sent from there, so given both
    ways with different values, one would be dropped without a word."""
    values = {"temperature": 0.5, "model_kwargs": {"temperature": 0.2}}
    with pytest.raises(InvalidRequestError, match=r"temperature.*directly and in model_kwargs"):
        sort_constructor_keywords(values, Model, TO_KWARGS)
    same = {"temperature": 0.5, "model_kwargs": {"temperature": 0.5, "seed_like": 1}}
    assert sort_constructor_keywords(same, Model, TO_KWARGS)["model_kwargs"]["seed_like"] == 1
