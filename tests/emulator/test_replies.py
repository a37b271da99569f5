"""Schema-valid instances, tool choice and token counts."""

from __future__ import annotations

from typing import Any

import pytest

from deepseekapi_core.testing._replies import (
    Hints,
    count_tokens,
    find_json_in_text,
    instance_for_schema,
    pick_tool,
)

from .conftest import validate

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 10, "maximum": 20}},
        "required": ["n"],
    },
    {
        "type": "object",
        "properties": {"x": {"type": "number", "exclusiveMinimum": 0}},
        "required": ["x"],
    },
    {
        "type": "object",
        "properties": {"flag": {"type": "boolean"}, "kind": {"enum": ["a", "b"]}},
        "required": ["flag", "kind"],
    },
    {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"type": "integer"}, "minItems": 3}},
        "required": ["items"],
    },
    {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string"}, "maxItems": 1}},
        "required": ["tags"],
    },
    {
        "type": "object",
        "properties": {
            "inner": {
                "type": "object",
                "properties": {
                    "deep": {
                        "type": "object",
                        "properties": {"v": {"type": "string", "maxLength": 3}},
                        "required": ["v"],
                    }
                },
                "required": ["deep"],
            }
        },
        "required": ["inner"],
    },
    {
        "type": "object",
        "properties": {"maybe": {"anyOf": [{"type": "null"}, {"type": "integer"}]}},
        "required": ["maybe"],
    },
    {
        "type": "object",
        "properties": {"t": {"type": ["string", "null"], "format": "date"}},
        "required": ["t"],
    },
    {
        "type": "object",
        "properties": {"c": {"const": 5}, "email": {"type": "string", "format": "email"}},
        "required": ["c", "email"],
    },
    {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"properties": {"b": {"type": "integer"}}, "required": ["b"]},
        ]
    },
    {
        "type": "object",
        "properties": {"node": {"$ref": "#/definitions/Node"}},
        "required": ["node"],
        "definitions": {
            "Node": {
                "type": "object",
                "properties": {"name": {"type": "string", "minLength": 4}},
                "required": ["name"],
            }
        },
    },
    {"type": "object", "properties": {}, "additionalProperties": False},
]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize(
    "text", ["", "Find 3 flights from Paris to Rome on 2025-05-01 for 2 people", "hello"]
)
def test_instances_validate(schema: dict[str, Any], text: str) -> None:
    validate(instance_for_schema(schema, Hints(text)), schema)


def test_recursive_schema_terminates() -> None:
    schema = {
        "$ref": "#/$defs/T",
        "$defs": {
            "T": {
                "type": "object",
                "properties": {"child": {"$ref": "#/$defs/T"}},
                "required": ["child"],
            }
        },
    }
    value = instance_for_schema(schema, Hints("x"))
    assert isinstance(value, dict)


def test_hints_fill_values_in_order() -> None:
    schema = {
        "type": "object",
        "properties": {
            "origin": {"type": "string"},
            "destination": {"type": "string"},
            "adults": {"type": "integer"},
            "query": {"type": "string"},
        },
        "required": ["origin", "destination", "adults", "query"],
    }
    text = "Book a flight from New York to San Francisco for 2 adults"
    assert instance_for_schema(schema, Hints(text)) == {
        "origin": "New York",
        "destination": "San Francisco",
        "adults": 2,
        "query": text,
    }


def test_quoted_strings_win() -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
    assert instance_for_schema(schema, Hints('Create a note titled "Groceries list"')) == {
        "title": "Groceries list"
    }


def test_pick_tool_by_name_and_description() -> None:
    tools = [
        {
            "type": "function",
            "function": {"name": "search_docs", "description": "Search the documentation"},
        },
        {"type": "function", "function": {"name": "add", "description": "Add two integers"}},
        {
            "type": "function",
            "function": {"name": "getStockPrice", "description": "Price of a stock ticker"},
        },
    ]
    assert pick_tool(tools, "What is 2 plus 2?")["name"] == "add"
    assert pick_tool(tools, "stock price of ACME")["name"] == "getStockPrice"
    assert pick_tool(tools, "search the documentation for retries")["name"] == "search_docs"
    assert pick_tool(tools, "zzz")["name"] == "search_docs"


def test_find_json_in_text() -> None:
    text = 'Use this schema: {"properties": {"a": {"type": "string"}}} and not {broken'
    assert find_json_in_text(text) == [{"properties": {"a": {"type": "string"}}}]
    assert find_json_in_text("no json here") == []


def test_count_tokens() -> None:
    assert count_tokens("") == 0
    assert count_tokens("Hello, world!") == 4
