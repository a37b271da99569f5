"""Issue 14 in the LangChain adapter: JSON mode that returns no JSON, copies, the new options."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import BaseModel

from deepseekapi_core.http import EmptyJSONReplyError
from deepseekapi_core.testing import Emulator

from .conftest import ModelFactory


class Place(BaseModel):
    """A city and its country."""

    city: str
    country: str


@pytest.mark.parametrize("schema", [Place, None])
def test_json_mode_whitespace_reply_is_a_clear_error(
    make_llm: ModelFactory, emulator: Emulator, schema: Any
) -> None:
    emulator.script.reply_text("  \n  \n")
    structured = make_llm().with_structured_output(schema, method="json_mode")
    with pytest.raises(EmptyJSONReplyError, match="whitespace and no JSON"):
        structured.invoke("Reply in json: Paris and its country")


def test_json_mode_whitespace_reply_with_include_raw(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    emulator.script.reply_text("   ")
    structured = make_llm().with_structured_output(Place, method="json_mode", include_raw=True)
    result = structured.invoke("Reply in json: Paris and its country")
    assert result["parsed"] is None
    assert isinstance(result["parsing_error"], EmptyJSONReplyError)


async def test_json_mode_reply_parses_to_the_schema(
    make_llm: ModelFactory, emulator: Emulator
) -> None:
    emulator.script.reply_json({"city": "Paris", "country": "France"})
    structured = make_llm().with_structured_output(Place, method="json_mode")
    assert await structured.ainvoke("Reply in json") == Place(city="Paris", country="France")


def test_deepcopy_after_calls(make_llm: ModelFactory, emulator: Emulator) -> None:
    llm = make_llm(deadline=20.0)
    llm.invoke("one")
    twin = copy.deepcopy(llm)
    assert twin.invoke("two").content
    assert twin.deadline == 20.0


def test_the_new_options_reach_the_core(make_llm: ModelFactory) -> None:
    llm = make_llm(deadline=12.5, recover_tool_calls=False)
    assert llm.client.deadline == 12.5
    assert llm.async_client.recover_tool_calls is False
    assert make_llm().client.deadline is None
    assert "deadline" not in make_llm(deadline=3.0).model_kwargs
