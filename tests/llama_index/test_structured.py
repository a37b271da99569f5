"""Structured output: structured_predict, astructured_predict, as_structured_llm, stream."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel, Field

from deepseekapi_core.testing import Emulator
from llama_index_deepseekapi import DeepSeekAPI


class City(BaseModel):
    """A city and the country it is in."""

    name: str = Field(description="The city's name")
    country: str
    population: int = Field(ge=0)


PROMPT = PromptTemplate("Describe the city of {city}.")
MODELS = ["deepseek-chat", "deepseek-reasoner"]


@pytest.mark.parametrize("model", MODELS)
def test_structured_predict_uses_a_tool_call(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, model: str
) -> None:
    emulator.script.reply_tool_call(
        "City", {"name": "Lyon", "country": "France", "population": 500000}
    )
    city = make_llm(model=model).structured_predict(City, PROMPT, city="Lyon")
    assert city == City(name="Lyon", country="France", population=500000)
    sent = emulator.last_request
    assert sent is not None
    assert [t["function"]["name"] for t in sent.json["tools"]] == ["City"]
    # Forced in non-thinking mode; thinking mode refuses forced choices, so "auto" there.
    assert sent.json["tool_choice"] == ("required" if model == "deepseek-chat" else "auto")
    assert sent.json["messages"][-1]["content"] == "Describe the city of Lyon."


@pytest.mark.parametrize("model", MODELS)
async def test_astructured_predict_with_generated_arguments(
    make_llm: Callable[..., DeepSeekAPI], model: str
) -> None:
    # No script: the emulator fills the schema itself (schema-valid, deterministic).
    city = await make_llm(model=model).astructured_predict(City, PROMPT, city="Lyon")
    assert isinstance(city, City)
    assert city.population >= 0


@pytest.mark.parametrize("model", MODELS)
def test_as_structured_llm_chat(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator, model: str
) -> None:
    emulator.script.reply_tool_call("City", {"name": "Oslo", "country": "Norway", "population": 7})
    structured = make_llm(model=model).as_structured_llm(City)
    response = structured.chat([ChatMessage(role="user", content="Tell me about Oslo")])
    assert response.raw == City(name="Oslo", country="Norway", population=7)
    assert '"Oslo"' in (response.message.content or "")


def test_stream_structured_predict_ends_with_the_object(
    make_llm: Callable[..., DeepSeekAPI], emulator: Emulator
) -> None:
    emulator.script.reply_tool_call(
        "City", {"name": "Porto", "country": "Portugal", "population": 230000}
    )
    partials = list(make_llm().stream_structured_predict(City, PROMPT, city="Porto"))
    assert partials
    assert partials[-1] == City(name="Porto", country="Portugal", population=230000)
