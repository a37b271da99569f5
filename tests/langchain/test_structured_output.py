"""with_structured_output: pydantic, TypedDict and JSON schema; function calling, JSON mode and
json_schema (served by function calling, or by JSON Output in thinking mode); include_raw."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from deepseekapi_core.testing import Emulator
from langchain_deepseekapi import ChatDeepSeekAPI

from .conftest import KEY, ModelFactory
from .helpers import Recorder, completion, tool_call


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="full name")
    age: int = Field(description="age in years")


class PersonDict(TypedDict):
    """A person mentioned in the text."""

    name: str
    age: int


PERSON_SCHEMA: dict[str, Any] = {
    "title": "Person",
    "description": "A person mentioned in the text.",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}
PROMPT = "Extract the person: Ana Lopez is 31 years old."
SCHEMAS = [Person, PersonDict, PERSON_SCHEMA]


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
@pytest.mark.parametrize("schema", SCHEMAS, ids=["pydantic", "typeddict", "json_schema"])
def test_function_calling(
    schema: Any, method: str, model: str, make_llm: ModelFactory, emulator: Emulator
) -> None:
    result = make_llm(model=model).with_structured_output(schema, method=method).invoke(PROMPT)
    if schema is Person:
        assert result == Person(name="Ana Lopez", age=31)
    else:
        assert result == {"name": "Ana Lopez", "age": 31}
    body = emulator.chat_requests[0].json
    name = "PersonDict" if schema is PersonDict else "Person"
    if model == "deepseek-reasoner" and method == "json_schema":
        # No tool can be forced in thinking mode: JSON Output, the schema in a system message.
        assert body["response_format"] == {"type": "json_object"}
        assert "tools" not in body
        assert '"required": ["name", "age"]' in body["messages"][0]["content"]
        return
    if model == "deepseek-chat":
        assert body["tool_choice"] == {"type": "function", "function": {"name": name}}
    else:  # thinking mode refuses a forced tool choice: the tool is offered alone, on "auto"
        assert body["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in body["tools"]] == [name]
    assert "response_format" not in body


@pytest.mark.parametrize("schema", [Person, PERSON_SCHEMA, None], ids=["pydantic", "dict", "none"])
def test_json_mode(schema: Any, make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_json({"name": "Ana Lopez", "age": 31})
    llm = make_llm().with_structured_output(schema, method="json_mode")
    result = llm.invoke('Reply in JSON like {"name": "...", "age": 0}. ' + PROMPT)
    if schema is Person:
        assert result == Person(name="Ana Lopez", age=31)
    else:
        assert result == {"name": "Ana Lopez", "age": 31}
    body = emulator.chat_requests[0].json
    assert body["response_format"] == {"type": "json_object"}
    assert "tools" not in body


def test_json_mode_streams_partial_objects(make_llm: ModelFactory, emulator: Emulator) -> None:
    emulator.script.reply_json({"name": "Ana Lopez", "age": 31})
    parts = list(make_llm().with_structured_output(None, method="json_mode").stream("JSON please"))
    assert parts[-1] == {"name": "Ana Lopez", "age": 31}


def test_include_raw(make_llm: ModelFactory) -> None:
    result = make_llm().with_structured_output(Person, include_raw=True).invoke(PROMPT)
    assert isinstance(result, dict)
    assert isinstance(result["raw"], AIMessage)
    assert result["raw"].tool_calls[0]["name"] == "Person"
    assert result["parsed"] == Person(name="Ana Lopez", age=31)
    assert result["parsing_error"] is None


def test_include_raw_keeps_a_parsing_error() -> None:
    recorder = Recorder(
        completion(
            "",
            tool_calls=[tool_call("c1", "Person", '{"name": "Ana"}')],
            finish_reason="tool_calls",
        )
    )
    llm = ChatDeepSeekAPI(api_key=KEY, transport=recorder.transport())
    result = llm.with_structured_output(Person, include_raw=True).invoke(PROMPT)
    assert isinstance(result, dict)
    assert result["parsed"] is None
    assert result["parsing_error"] is not None
    assert "age" in str(result["parsing_error"])
    with pytest.raises(Exception, match="age"):
        llm.with_structured_output(Person).invoke(PROMPT)


def test_bad_method_and_arguments() -> None:
    llm = ChatDeepSeekAPI(api_key=KEY)
    with pytest.raises(ValueError, match="method"):
        llm.with_structured_output(Person, method="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unsupported"):
        llm.with_structured_output(Person, temperature=0)
    with pytest.raises(ValueError, match="schema must be given"):
        llm.with_structured_output(None)


async def test_async_structured_output(make_llm: ModelFactory) -> None:
    result = (
        await make_llm(model="deepseek-reasoner").with_structured_output(Person).ainvoke(PROMPT)
    )
    assert result == Person(name="Ana Lopez", age=31)
