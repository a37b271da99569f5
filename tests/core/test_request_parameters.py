"""``ChatRequest`` is the one list of request parameters.

Every field of the wire request model is sent, or declared non-wire; and every wire field
reaches the service's body through the core client and both adapters, with the emulator
accepting it. The tests are parametrized over the model's fields, so a field added to the
model is tested here at once, and a field without a sample below fails until it has one.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import annotated_types
import httpx
import pytest

from deepseekapi_core import DeepSeekClient, InvalidRequestError
from deepseekapi_core._adapters._options_policy import known_option_names
from deepseekapi_core.testing import Emulator
from deepseekapi_core.testing._checks import fields as emulator_fields
from deepseekapi_core.testing._checks.ranges import MAX_STOP_SEQUENCES
from deepseekapi_core.wire import Era, get_model_profile
from deepseekapi_core.wire._models import ChatRequest
from deepseekapi_core.wire._prepare import RULED_FIELDS, build_request_body
from deepseekapi_core.wire._registry import known_model_ids

KEY = "sk-test"
PROMPT = "Say hi in json."
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
_SAME = object()


@dataclass(frozen=True)
class Sample:
    """A valid non-default value of one field, and what a request carrying it needs."""

    value: Any
    sent: Any = _SAME
    """The value in the JSON body (the same as ``value`` unless given)."""
    context: Mapping[str, Any] = field(default_factory=dict)
    """Other fields the value needs (``top_logprobs`` needs ``logprobs``)."""
    era: Era = Era.V4_1
    model: str = "deepseek-flash"
    streamed: bool = False
    """Only a streamed call sends it (``stream``, ``stream_options``)."""

    @property
    def expected(self) -> Any:
        return self.value if self.sent is _SAME else self.sent


SAMPLES: dict[str, Sample] = {
    "model": Sample("deepseek-v4-pro"),
    "messages": Sample([{"role": "user", "content": PROMPT}]),
    "temperature": Sample(0.5),
    "top_p": Sample(0.5),
    "max_tokens": Sample(64),
    "stop": Sample(["END"]),
    # V4 deprecated the penalties (dropped as ineffective); V3.2 still reads them.
    "presence_penalty": Sample(0.5, era=Era.V3_2, model="deepseek-chat"),
    "frequency_penalty": Sample(0.5, era=Era.V3_2, model="deepseek-chat"),
    "response_format": Sample({"type": "json_object"}),
    "tools": Sample([TOOL]),
    "tool_choice": Sample("required", context={"tools": [TOOL]}),
    "logprobs": Sample(True),
    "top_logprobs": Sample(2, context={"logprobs": True}),
    "stream": Sample(True, streamed=True),
    "stream_options": Sample({"include_usage": True}, streamed=True),
    "thinking": Sample(True, sent={"type": "enabled"}),
    "reasoning_effort": Sample("max", context={"thinking": True}),
    "user_id": Sample("end-user_42"),
    "safety_check": Sample({"level": "high"}),
    "extra_body": Sample({"vendor_flag": 1}),
    "allow_dropped_images": Sample(True),
    "prefix": Sample("```python\n"),
}
"""One sample per field of ``ChatRequest``: a new field fails the tests until it has one."""

WIRE_FIELDS = [name for name in ChatRequest.model_fields if name not in ChatRequest.NON_WIRE_FIELDS]


def _sample(name: str) -> Sample:
    if name not in SAMPLES:
        pytest.fail(
            f"ChatRequest.{name} has no sample in SAMPLES: add a valid non-default value, or "
            "declare the field in ChatRequest.NON_WIRE_FIELDS if it is never sent"
        )
    return SAMPLES[name]


def _params(name: str, sample: Sample) -> dict[str, Any]:
    """The request's fields: a plain prompt in non-thinking mode, the sample's context, the
    field itself."""
    params: dict[str, Any] = {
        "model": sample.model,
        "messages": [{"role": "user", "content": PROMPT}],
        "thinking": False,
    }
    params.update(sample.context)
    params[name] = sample.value
    return params


# --------------------------------------------------------------------------------------------
# The declaration


def test_every_field_has_a_sample() -> None:
    assert sorted(set(ChatRequest.model_fields) - set(SAMPLES)) == []
    assert sorted(set(SAMPLES) - set(ChatRequest.model_fields)) == []


def test_ruled_and_non_wire_fields_are_fields_of_the_model() -> None:
    fields = set(ChatRequest.model_fields)
    assert fields >= ChatRequest.NON_WIRE_FIELDS
    assert fields >= RULED_FIELDS
    assert not RULED_FIELDS & ChatRequest.NON_WIRE_FIELDS


@pytest.mark.parametrize("name", list(ChatRequest.model_fields))
def test_a_field_is_sent_unless_declared_non_wire(name: str) -> None:
    sample = _sample(name)
    request = ChatRequest.model_validate(_params(name, sample))
    body = build_request_body(request, stream=True, era=sample.era)
    if name in ChatRequest.NON_WIRE_FIELDS:
        assert name not in body
    else:
        assert body.get(name) == sample.expected


def test_non_wire_fields_steer_the_body() -> None:
    """``extra_body`` is merged in; ``allow_dropped_images`` only lets a request through."""
    request = ChatRequest.model_validate(_params("extra_body", SAMPLES["extra_body"]))
    assert build_request_body(request)["vendor_flag"] == 1


# --------------------------------------------------------------------------------------------
# End to end: the core client and both adapters send every wire field


def _emulator(sample: Sample) -> Emulator:
    return Emulator(era=sample.era, api_key=KEY)


def _body(emulator: Emulator) -> dict[str, Any]:
    requests = emulator.chat_requests
    assert len(requests) == 1, [r.json for r in requests]
    body: dict[str, Any] = requests[0].json
    return body


def _assert_sent(body: Mapping[str, Any], name: str, sample: Sample) -> None:
    assert name in body, f"{name} was not sent: {sorted(body)}"
    if name != "messages":
        assert body[name] == sample.expected


@pytest.mark.parametrize("name", WIRE_FIELDS)
def test_the_core_client_sends_every_wire_field(name: str) -> None:
    sample = _sample(name)
    emulator = _emulator(sample)
    client = DeepSeekClient(transport=emulator.transport(), api_key=KEY, era=sample.era)
    params = _params(name, sample)
    if sample.streamed:
        list(client.stream_chat(**params))
    else:
        client.chat(**params)
    _assert_sent(_body(emulator), name, sample)


@pytest.mark.parametrize("name", WIRE_FIELDS)
def test_langchain_sends_every_wire_field(name: str) -> None:
    pytest.importorskip("langchain_core")
    from langchain_deepseekapi import ChatDeepSeekAPI

    sample = _sample(name)
    emulator = _emulator(sample)
    params = _params(name, sample)
    model, messages = params.pop("model"), params.pop("messages")
    llm = ChatDeepSeekAPI(
        model=model,
        api_key=KEY,
        transport=emulator.transport(),
        era=sample.era,
        model_kwargs=params,
    )
    prompt = messages[0]["content"]
    if sample.streamed:
        list(llm.stream(prompt))
    else:
        llm.invoke(prompt)
    _assert_sent(_body(emulator), name, sample)


@pytest.mark.parametrize("name", WIRE_FIELDS)
def test_llama_index_sends_every_wire_field(name: str) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.llms import ChatMessage

    from llama_index_deepseekapi import DeepSeekAPI

    sample = _sample(name)
    emulator = _emulator(sample)
    params = _params(name, sample)
    model, messages = params.pop("model"), params.pop("messages")
    llm = DeepSeekAPI(
        model=model,
        api_key=KEY,
        transport=emulator.transport(),
        era=sample.era.value,
        additional_kwargs=params,
    )
    chat = [ChatMessage(role="user", content=messages[0]["content"])]
    if sample.streamed:
        list(llm.stream_chat(chat))
    else:
        llm.chat(chat)
    _assert_sent(_body(emulator), name, sample)


def test_the_options_policy_knows_every_wire_field() -> None:
    assert set(WIRE_FIELDS) <= known_option_names()


def test_the_adapters_own_request_fields_are_request_fields() -> None:
    """The adapters' constructor fields sent with each request are names of the model."""
    pytest.importorskip("langchain_core")
    pytest.importorskip("llama_index.core")
    from langchain_deepseekapi import _chat_model
    from llama_index_deepseekapi import _llm

    fields = set(ChatRequest.model_fields)
    assert set(_chat_model._PARAM_FIELDS) <= fields
    assert set(_llm._REQUEST_FIELDS) <= fields


# --------------------------------------------------------------------------------------------
# The emulator's checks come from the model


def test_the_emulator_checks_every_wire_field() -> None:
    derived = (
        set(emulator_fields.SCALAR_KINDS)
        | set(emulator_fields.OBJECT_FIELDS)
        | emulator_fields.OWN_CHECKS
    )
    assert derived == set(WIRE_FIELDS)


def _constraint(name: str, kind: type) -> Any:
    annotation = ChatRequest.model_fields[name].rebuild_annotation()
    found = [
        item
        for arg in typing.get_args(annotation)
        for inner in typing.get_args(arg)
        for item in getattr(inner, "metadata", ())
        if isinstance(item, kind)
    ]
    return found[0] if found else None


def _post(sample: Sample, body: Mapping[str, Any]) -> httpx.Response:
    """``body`` as it is, straight to an emulator of the sample's era (no client checks)."""
    with httpx.Client(transport=_emulator(sample).transport()) as http:
        return http.post(
            "https://api.deepseek.com/chat/completions",
            json=body,
            headers={"authorization": f"Bearer {KEY}"},
        )


def test_the_emulators_stop_limit_is_the_models() -> None:
    assert _constraint("stop", annotated_types.MaxLen).max_length == MAX_STOP_SEQUENCES


@pytest.mark.parametrize("name", sorted(emulator_fields.BOUNDS))
def test_the_emulator_refuses_a_value_out_of_the_models_bounds(name: str) -> None:
    """Just out of range is refused with the service's 400; the bound itself is accepted."""
    bound = emulator_fields.BOUNDS[name]
    upper = bound.high is not None
    edge = bound.high if upper else bound.low
    assert edge is not None
    step = 1 if bound.integer else 0.5
    sample = _sample(name)
    params = _params(name, sample)
    body = build_request_body(ChatRequest.model_validate(params), era=sample.era)
    if not (bound.high_open if upper else bound.low_open):
        assert _post(sample, {**body, name: edge}).status_code == 200
    response = _post(sample, {**body, name: edge + step if upper else edge - step})
    assert response.status_code == 400
    assert f"Invalid {name} value, the valid range of {name} is" in response.text


@pytest.mark.parametrize("name", sorted(emulator_fields.SCALAR_KINDS))
def test_the_emulator_refuses_a_value_of_the_wrong_type(name: str) -> None:
    sample = _sample(name)
    body = build_request_body(ChatRequest.model_validate(_params(name, sample)), era=sample.era)
    wrong = 1.5 if emulator_fields.SCALAR_KINDS[name] in ("a boolean", "a string") else "x"
    response = _post(sample, {**body, name: wrong})
    assert response.status_code == 422
    assert response.text.startswith("Failed to deserialize the JSON body")
    assert f"{name}: invalid" in response.text


# --------------------------------------------------------------------------------------------
# A parameter added in the model alone: safety_check


def test_a_bad_safety_level_is_refused_before_sending() -> None:
    emulator = Emulator(api_key=KEY)
    client = DeepSeekClient(transport=emulator.transport(), api_key=KEY)
    with pytest.raises(InvalidRequestError, match="safety_check"):
        client.chat(**_params("safety_check", Sample({"level": "medium"})))
    assert emulator.chat_requests == []


def test_the_emulator_refuses_a_bad_safety_level_as_the_service_does() -> None:
    """The guide: "level must be low or high; otherwise the request returns 400"."""
    sample = SAMPLES["safety_check"]
    body = build_request_body(ChatRequest.model_validate(_params("safety_check", sample)))
    response = _post(sample, {**body, "safety_check": {"level": "medium"}})
    assert response.status_code == 400
    assert "Invalid safety_check value" in response.text


def test_the_registrys_mode_rules_name_request_fields() -> None:
    """A parameter a model ignores or rejects is named as the request model names it."""
    fields = set(ChatRequest.model_fields)
    for era in Era:
        for model in known_model_ids(era):
            profile = get_model_profile(model, era)
            rules = (
                profile.ignored_always | profile.ignored_when_thinking
            ) | profile.rejected_when_thinking
            assert rules <= fields, (era, model, sorted(rules - fields))
