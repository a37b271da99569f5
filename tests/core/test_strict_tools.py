"""Strict function calling (beta): the core closes a strict function's schema (or refuses it
naming the tool and the part), sends it to the beta URL, and the emulator checks it as the
service does."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any, Literal, TypedDict

import httpx
import pytest
from pydantic import BaseModel, Field

from deepseekapi_core import DeepSeekClient
from deepseekapi_core.http import InvalidRequestError, StrictSchemaError
from deepseekapi_core.testing import Emulator
from deepseekapi_core.tools import tool_spec_from, tool_specs_from
from deepseekapi_core.tools._strict import strict_schema
from deepseekapi_core.wire import ChatRequest, build_request_body

from .helpers import API_KEY

CLOSED_EMPTY = {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


def close(schema: dict[str, Any], tool: str = "t") -> dict[str, Any]:
    return strict_schema(schema, tool=tool)


def refusal(schema: dict[str, Any], tool: str = "t") -> StrictSchemaError:
    with pytest.raises(StrictSchemaError) as caught:
        close(schema, tool)
    return caught.value


class Node(BaseModel):
    """A linked list's node."""

    value: int
    next: Node | None = None


# --------------------------------------------------------------------------------------------
# Closing


def test_objects_get_additional_properties_false_and_every_property_required() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "where": {
                "type": "object",
                "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                "required": ["lat", "lon"],
            },
        },
        "required": ["city", "where"],
    }
    closed = close(schema)
    assert closed["additionalProperties"] is False
    assert closed["required"] == ["city", "where"]
    assert closed["properties"]["where"] == {
        "type": "object",
        "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
        "required": ["lat", "lon"],
        "additionalProperties": False,
    }


def test_arrays_of_objects_are_closed_inside() -> None:
    schema = {
        "type": "object",
        "properties": {
            "stops": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": {"type": "string"}}},
            }
        },
        "required": ["stops"],
    }
    items = close(schema)["properties"]["stops"]["items"]
    assert items["required"] == ["name"]
    assert items["additionalProperties"] is False


def test_an_optional_property_becomes_required_and_nullable() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["c", "f"], "description": "Unit."},
        },
        "required": ["city"],
    }
    closed = close(schema)
    assert closed["required"] == ["city", "unit"]
    assert closed["properties"]["city"] == {"type": "string"}
    assert closed["properties"]["unit"] == {
        "anyOf": [{"type": "string", "enum": ["c", "f"]}, {"type": "null"}],
        "description": "Unit.",
    }


def test_an_optional_property_with_a_default_is_required_but_not_nullable() -> None:
    schema = {
        "type": "object",
        "properties": {"days": {"type": "integer", "default": 3}},
    }
    closed = close(schema)
    assert closed["required"] == ["days"]
    assert closed["properties"]["days"] == {"type": "integer", "default": 3}


def test_refs_are_inlined_from_defs_and_definitions_with_their_sibling_keywords() -> None:
    schema = {
        "type": "object",
        "properties": {
            "home": {"$ref": "#/$defs/Address", "description": "Where they live."},
            "work": {"$ref": "#/definitions/Address"},
        },
        "required": ["home", "work"],
        "$defs": {"Address": {"type": "object", "properties": {"street": {"type": "string"}}}},
        "definitions": {
            "Address": {"type": "object", "properties": {"street": {"type": "string"}}}
        },
    }
    closed = close(schema)
    assert "$defs" not in closed and "definitions" not in closed
    assert "$ref" not in json.dumps(closed)
    home = closed["properties"]["home"]
    assert home["description"] == "Where they live."
    assert home["required"] == ["street"] and home["additionalProperties"] is False


def test_a_top_level_all_of_ref_keeps_its_properties() -> None:
    # What pydantic before 2.9 writes for a model that refers to itself; also any schema
    # whose root is a one-item allOf.
    schema = {
        "$defs": {
            "City": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            }
        },
        "allOf": [{"$ref": "#/$defs/City"}],
    }
    assert strict_schema(schema, tool="t") == {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": False,
    }


def test_a_recursive_ref_is_refused_naming_the_tool_and_the_path() -> None:
    error = refusal(Node.model_json_schema(), tool="walk_list")
    assert error.tool == "walk_list"
    assert error.path == "$.properties.next.anyOf[0]"
    assert error.param == "tools"
    assert isinstance(error, InvalidRequestError)
    assert "'walk_list'" in str(error) and "$.properties.next.anyOf[0]" in str(error)
    assert "recursive" in str(error)
    copied = pickle.loads(pickle.dumps(error))
    assert (copied.tool, copied.path) == ("walk_list", error.path)


def test_unsupported_keywords_and_formats_are_dropped() -> None:
    schema = {
        "type": "object",
        "title": "Args",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 9, "title": "Name"},
            "when": {"type": "string", "format": "date-time"},
            "mail": {"type": "string", "format": "email", "pattern": "^.+@.+$"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
            "n": {"type": "integer", "minimum": 1, "maximum": 5, "multipleOf": 1},
        },
        "required": ["name", "when", "mail", "tags", "n"],
    }
    properties = close(schema)["properties"]
    assert properties["name"] == {"type": "string"}
    assert properties["when"] == {"type": "string"}
    assert properties["mail"] == {"type": "string", "format": "email", "pattern": "^.+@.+$"}
    assert properties["tags"] == {"type": "array", "items": {"type": "string"}}
    assert properties["n"] == {"type": "integer", "minimum": 1, "maximum": 5, "multipleOf": 1}
    assert "title" not in close(schema)


def test_enum_any_of_one_of_type_lists_and_const_keep_their_meaning() -> None:
    schema = {
        "type": "object",
        "properties": {
            "mode": {"enum": ["fast", "slow"]},
            "value": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "shape": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {"kind": {"const": "circle"}},
                        "required": ["kind"],
                    },
                    {
                        "type": "object",
                        "properties": {"kind": {"const": "square"}},
                        "required": ["kind"],
                    },
                ],
                "discriminator": {"propertyName": "kind"},
            },
            "maybe": {"type": ["string", "null"]},
        },
        "required": ["mode", "value", "shape", "maybe"],
    }
    properties = close(schema)["properties"]
    assert properties["mode"] == {"enum": ["fast", "slow"]}
    assert properties["value"] == {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    circle = properties["shape"]["anyOf"][0]
    assert circle["properties"]["kind"] == {"enum": ["circle"]}
    assert circle["additionalProperties"] is False
    assert "discriminator" not in properties["shape"]
    assert properties["maybe"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}


@pytest.mark.parametrize(
    ("prop", "path", "words"),
    [
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "$.properties.p", "map"),
        ({"type": "object"}, "$.properties.p", "free-form"),
        ({}, "$.properties.p", "no type"),
        ({"not": {"type": "string"}}, "$.properties.p.not", "'not'"),
        ({"type": "object", "patternProperties": {"^x": {}}}, "$.properties.p", "pattern"),
        ({"allOf": [{"type": "string"}, {"type": "integer"}]}, "$.properties.p.allOf", "allOf"),
        ({"$ref": "https://example.com/s.json"}, "$.properties.p.$ref", "local"),
        ({"$ref": "#/$defs/Missing"}, "$.properties.p.$ref", "nothing"),
        ({"type": "array", "prefixItems": [{"type": "string"}]}, "$.properties.p", "tuple"),
    ],
)
def test_parts_that_cannot_be_strict_are_refused_with_their_path(
    prop: dict[str, Any], path: str, words: str
) -> None:
    schema = {"type": "object", "properties": {"p": prop}, "required": ["p"]}
    error = refusal(schema, tool="lookup")
    assert error.path.startswith(path)
    assert f"tool 'lookup' cannot be made strict: at {error.path}" in str(error)
    assert words in str(error)


def test_closing_is_idempotent_and_leaves_the_input_alone() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"$ref": "#/$defs/B"}},
        "$defs": {"B": {"type": "object", "properties": {"c": {"type": "integer"}}}},
    }
    before = copy.deepcopy(schema)
    once = close(schema)
    assert schema == before
    assert close(once) == once


def test_a_function_without_parameters_is_a_closed_empty_object() -> None:
    assert close({}) == CLOSED_EMPTY
    assert close({"type": "object", "properties": {}}) == CLOSED_EMPTY


# --------------------------------------------------------------------------------------------
# Where specs are built: pydantic models, TypedDicts, dicts, functions


class Address(BaseModel):
    """A postal address."""

    street: str = Field(min_length=1)
    zip_code: str | None = None


class Customer(BaseModel):
    """Record a customer."""

    name: str
    tier: Literal["gold", "silver"] = "silver"
    address: Address


class Booking(TypedDict, total=False):
    """Book a table."""

    guests: int
    note: str


def book(guests: int, note: str | None = None) -> str:
    """Book a table."""
    return f"{guests} {note}"


@pytest.mark.parametrize(
    "tool",
    [
        Customer,
        Booking,
        book,
        {
            "type": "function",
            "function": {
                "name": "Booking",
                "parameters": {
                    "type": "object",
                    "properties": {"guests": {"type": "integer"}, "note": {"type": "string"}},
                },
            },
        },
    ],
)
def test_tool_specs_from_closes_every_kind_of_tool_when_strict(tool: Any) -> None:
    (spec,) = tool_specs_from([tool], strict=True)
    assert spec.function.strict is True
    parameters = spec.function.parameters
    assert parameters is not None
    assert parameters["additionalProperties"] is False
    assert parameters["required"] == list(parameters["properties"])
    assert "$ref" not in json.dumps(parameters) and "$defs" not in parameters
    assert '"default": null' not in json.dumps(parameters)


def test_a_pydantic_models_nested_model_is_inlined_and_closed() -> None:
    (spec,) = tool_specs_from([Customer], strict=True)
    parameters = spec.function.parameters or {}
    address = parameters["properties"]["address"]
    assert address["required"] == ["street", "zip_code"]
    assert address["properties"]["zip_code"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert parameters["properties"]["tier"] == {"enum": ["gold", "silver"], "type": "string"}


def test_a_dict_marked_strict_is_closed_without_the_strict_argument() -> None:
    spec = tool_spec_from(
        {"name": "f", "strict": True, "parameters": {"properties": {"x": {"type": "string"}}}}
    )
    assert spec.function.parameters == {
        "type": "object",
        "properties": {"x": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        "required": ["x"],
        "additionalProperties": False,
    }


def test_a_tool_that_says_strict_false_keeps_it_and_is_not_closed() -> None:
    tool = {"name": "f", "strict": False, "parameters": {"type": "object", "properties": {}}}
    (spec,) = tool_specs_from([tool], strict=True)
    assert spec.function.strict is False
    assert spec.function.parameters == {"type": "object", "properties": {}}


def test_non_strict_tools_are_sent_as_they_are() -> None:
    (spec,) = tool_specs_from([Customer])
    assert spec.function.strict is None
    assert "$defs" in (spec.function.parameters or {})


def test_a_schema_strict_mode_cannot_take_fails_when_the_tool_is_built() -> None:
    def tally(counts: dict[str, int]) -> int:
        """Add counts up."""
        return sum(counts.values())

    with pytest.raises(StrictSchemaError) as caught:
        tool_specs_from([tally], strict=True)
    assert caught.value.tool == "tally"
    assert caught.value.path == "$.properties.counts"
    tool_specs_from([tally])  # fine when not strict


def test_the_body_closes_strict_tools_given_as_plain_dicts() -> None:
    request = ChatRequest.model_validate(
        {
            "model": "deepseek-chat",
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "strict": True,
                        "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}},
                    },
                }
            ],
        }
    )
    body = build_request_body(request)
    parameters = body["tools"][0]["function"]["parameters"]
    assert parameters["additionalProperties"] is False
    assert parameters["required"] == ["x"]
    assert body["tools"][0]["function"]["strict"] is True


# --------------------------------------------------------------------------------------------
# The core client and the emulator


def client_for(emulator: Emulator) -> DeepSeekClient:
    return DeepSeekClient(
        api_key=API_KEY, base_url="https://emulator.test/v1", transport=emulator.transport()
    )


def test_the_core_client_sends_a_closed_strict_tool_to_beta_and_gets_a_valid_call() -> None:
    emulator = Emulator(api_key=API_KEY)
    (spec,) = tool_specs_from([Customer], strict=True)
    with client_for(emulator) as client:
        reply = client.chat(
            model="deepseek-chat",
            messages=[{"role": "user", "content": "Record customer 'Ada' at 'Main St'"}],
            tools=[spec],
            tool_choice="required",
        )
    recorded = emulator.last_request
    assert recorded is not None and recorded.path == "/beta/chat/completions"
    sent = recorded.json["tools"][0]["function"]
    assert sent["strict"] is True and sent["parameters"]["additionalProperties"] is False
    calls = reply.choices[0].message.tool_calls or []
    arguments = json.loads(calls[0].function.arguments)
    # Every required key is present, nested ones too, and the arguments fit the model.
    assert set(arguments) == {"name", "tier", "address"}
    assert set(arguments["address"]) == {"street", "zip_code"}
    Customer.model_validate(arguments)


def _raw_post(emulator: Emulator, path: str, tool: dict[str, Any]) -> httpx.Response:
    with httpx.Client(transport=emulator.transport()) as http:
        return http.post(
            f"https://emulator.test{path}",
            headers={"Authorization": f"Bearer {API_KEY}"},
            json={
                "model": "deepseek-chat",
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"type": "function", "function": tool}],
            },
        )


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        ({"type": "object", "properties": {"x": {"type": "string"}}}, "additionalProperties"),
        (
            {
                "type": "object",
                "properties": {"x": {"type": "string"}},
                "additionalProperties": False,
            },
            "not in 'required'",
        ),
        (
            {
                "type": "object",
                "properties": {"x": {"type": "string", "minLength": 2}},
                "required": ["x"],
                "additionalProperties": False,
            },
            "'minLength' is not supported",
        ),
        (
            {
                "type": "object",
                "properties": {"x": {"type": "string", "format": "date"}},
                "required": ["x"],
                "additionalProperties": False,
            },
            "format 'date'",
        ),
    ],
)
def test_the_emulator_refuses_an_open_strict_schema_at_beta_only(
    parameters: dict[str, Any], words: str
) -> None:
    emulator = Emulator(api_key=API_KEY)
    tool = {"name": "f", "strict": True, "parameters": parameters}
    refused = _raw_post(emulator, "/beta/chat/completions", tool)
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "tools[0].function 'f'" in message and words in message
    # Off the beta URL the service does not honour strict, so it does not check either.
    assert _raw_post(emulator, "/v1/chat/completions", tool).status_code == 200


def test_an_open_strict_dict_refused_raw_is_accepted_through_the_core_client() -> None:
    emulator = Emulator(api_key=API_KEY)
    tool = {
        "name": "f",
        "strict": True,
        "parameters": {"type": "object", "properties": {"x": {"type": "string"}}},
    }
    assert _raw_post(emulator, "/beta/chat/completions", tool).status_code == 400
    with client_for(emulator) as client:
        reply = client.chat(
            model="deepseek-chat",
            messages=[{"role": "user", "content": "hi"}],
            tools=[{"type": "function", "function": tool}],
        )
    assert reply.choices[0].finish_reason in ("stop", "tool_calls")
    assert emulator.last_request is not None
    assert emulator.last_request.json["tools"][0]["function"]["parameters"]["required"] == ["x"]


def test_every_schema_the_core_closes_passes_the_emulators_check() -> None:
    emulator = Emulator(api_key=API_KEY)
    for tool in (Customer, book, Address):
        (spec,) = tool_specs_from([tool], strict=True)
        function = spec.model_dump(exclude_none=True)["function"]
        assert _raw_post(emulator, "/beta/chat/completions", function).status_code == 200


def test_composed_arguments_give_null_to_an_unasked_nullable_key_and_fill_asked_ones() -> None:
    emulator = Emulator(api_key=API_KEY)
    (spec,) = tool_specs_from([book], strict=True)
    with client_for(emulator) as client:
        plain = client.chat(
            model="deepseek-chat",
            messages=[{"role": "user", "content": "Book for 4 guests"}],
            tools=[spec],
            tool_choice="required",
        )
        noted = client.chat(
            model="deepseek-chat",
            messages=[{"role": "user", "content": "Book for 4 guests, note: 'window seat'"}],
            tools=[spec],
            tool_choice="required",
        )
    calls = [(reply.choices[0].message.tool_calls or [])[0] for reply in (plain, noted)]
    assert json.loads(calls[0].function.arguments) == {"guests": 4, "note": None}
    assert json.loads(calls[1].function.arguments) == {"guests": 4, "note": "window seat"}
