"""The request composer both adapters use: fields, option sources in order, disabled params."""

from __future__ import annotations

from typing import Any

import pytest

from deepseekapi_core import ChatMessage, IgnoredParameterWarning, InvalidRequestError, ToolSpec
from deepseekapi_core._adapters._compose_request import OptionSource, compose_request
from deepseekapi_core.tools._specs import tool_spec_from

MESSAGES = [ChatMessage(role="user", content="hi")]
FIELDS: dict[str, Any] = {"model": "deepseek-chat", "temperature": 0.5, "top_p": None}


def test_fields_are_sent_and_none_means_unset() -> None:
    request, options = compose_request(FIELDS, MESSAGES)
    assert request.model == "deepseek-chat" and request.temperature == 0.5
    assert request.top_p is None and request.messages == MESSAGES
    assert not options


def test_later_sources_win_name_by_name() -> None:
    request, _ = compose_request(
        FIELDS,
        MESSAGES,
        sources=[
            OptionSource({"temperature": 0.1, "top_p": 0.9}),
            OptionSource({"temperature": 0.2}),
        ],
    )
    assert (request.temperature, request.top_p) == (0.2, 0.9)


def test_none_in_a_later_source_clears_an_earlier_value() -> None:
    request, _ = compose_request(
        {**FIELDS, "stop": ["END"]}, MESSAGES, sources=[OptionSource({"stop": None})]
    )
    assert request.stop is None


def test_unknown_names_go_to_the_body_only_where_the_source_says() -> None:
    request, _ = compose_request(
        FIELDS,
        MESSAGES,
        extra_body={"a": 1, "b": 1},
        sources=[
            OptionSource({"custom": 1, "b": 2}, unknown_to_body=True),
            OptionSource({"extra_body": {"b": 3}}),
        ],
    )
    assert request.extra_body == {"a": 1, "b": 3, "custom": 1}


@pytest.mark.parametrize("where", ["model_kwargs key", "additional_kwargs key", "call option"])
def test_an_unknown_name_is_refused_naming_its_source(where: str) -> None:
    with pytest.raises(InvalidRequestError, match=f"unknown {where} 'temprature'") as caught:
        compose_request(FIELDS, MESSAGES, sources=[OptionSource({"temprature": 1}, where=where)])
    assert "did you mean 'temperature'" in str(caught.value)


def test_consumed_names_are_skipped() -> None:
    consumed = frozenset({"stream", "messages"})
    request, _ = compose_request(
        FIELDS,
        MESSAGES,
        sources=[OptionSource({"stream": True, "messages": "not these"}, consumed=consumed)],
    )
    assert request.stream is False and request.messages == MESSAGES


def test_http_options_merge_in_source_order() -> None:
    _, options = compose_request(
        FIELDS,
        MESSAGES,
        sources=[
            OptionSource({"timeout": 3, "extra_headers": {"x-a": "1", "x-b": "1"}}),
            OptionSource({"extra_headers": {"x-b": "2"}, "extra_query": {"q": "v"}}),
        ],
    )
    assert options.timeout is not None and options.timeout.read == 3
    assert dict(options.headers) == {"x-a": "1", "x-b": "2"}
    assert dict(options.query) == {"q": "v"}


def test_disabled_params_drop_names_or_listed_values_from_fields_and_body() -> None:
    request, _ = compose_request(
        {**FIELDS, "top_p": 0.3},
        MESSAGES,
        extra_body={"custom": 1},
        disabled={"top_p": None, "temperature": [0.5], "custom": None},
    )
    assert request.top_p is None and request.temperature is None and request.extra_body is None
    kept, _ = compose_request(FIELDS, MESSAGES, disabled={"temperature": [0.7]})
    assert kept.temperature == 0.5


def test_stream_usage_sets_the_stream_options() -> None:
    request, _ = compose_request(FIELDS, MESSAGES, stream_usage=False)
    assert request.stream_options is not None and request.stream_options.include_usage is False
    unset, _ = compose_request(FIELDS, MESSAGES)
    assert unset.stream_options is None


def test_the_winning_tools_value_is_converted() -> None:
    spec = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    seen: list[object] = []

    def convert(tools: Any) -> list[ToolSpec]:
        seen.append(tools)
        return [tool_spec_from(tool) for tool in tools]

    request, _ = compose_request(
        FIELDS,
        MESSAGES,
        sources=[OptionSource({"tools": ["early"]}), OptionSource({"tools": [spec]})],
        convert_tools=convert,
    )
    assert seen == [[spec]]
    assert request.tools is not None and request.tools[0].function.name == "add"


def test_ignored_options_warn_and_bad_values_are_refused() -> None:
    with pytest.warns(IgnoredParameterWarning, match="seed"):
        request, _ = compose_request(FIELDS, MESSAGES, sources=[OptionSource({"seed": 1})])
    assert "seed" not in request.model_dump(exclude_none=True)
    with pytest.raises(InvalidRequestError, match="temperature"):
        compose_request({**FIELDS, "temperature": 9}, MESSAGES)
