"""What the adapters' command-line hooks get from the core: the hook context (options, output
lines, streamed replies) and the demo's documents, tools, retriever and embedding."""

from __future__ import annotations

import math

import httpx

from deepseekapi_core.cli import HookContext, demo


def _context(written: list[str]) -> HookContext:
    return HookContext(transport=None, async_transport=None, api_key=None, out=written.append)


def test_model_options_name_only_what_was_given() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    assert _context([]).model_options() == {}
    context = HookContext(transport, None, "sk-x", print)
    assert context.model_options() == {
        "transport": transport,
        "api_key": "sk-x",
    }


def test_steps_results_and_tool_calls_are_lines_under_the_step() -> None:
    written: list[str] = []
    context = _context(written)
    context.step("An agent")
    context.tool_call("multiply", {"a": 2, "b": 3})
    context.show("answer", "six,\n  as   expected")
    assert "".join(written) == (
        "  • An agent\n    tool call: multiply({'a': 2, 'b': 3})\n    answer: six, as expected\n"
    )


def test_a_reply_streams_reasoning_then_answer_then_its_tokens() -> None:
    written: list[str] = []
    usage = {
        "prompt_tokens": 12,
        "completion_tokens": 40,
        "reasoning_tokens": 23,
        "prompt_cache_hit_tokens": 8,
    }
    _context(written).reply(
        [("Think", None, None), (" more", "", None), (None, "Yes", None), (None, ".", usage)]
    )
    assert written[:3] == ["    reasoning: ", "Think", " more"]  # streamed piece by piece
    assert "".join(written) == (
        "    reasoning: Think more\n"
        "    answer: Yes.\n"
        "    tokens: 12 prompt, 40 completion (23 reasoning), 8 prompt tokens from the cache\n"
    )


def test_a_reply_without_usage_has_no_tokens_line() -> None:
    written: list[str] = []
    _context(written).reply([(None, "Hi", None)], indent="")
    assert "".join(written) == "answer: Hi\n"


def test_the_keyword_retriever_ranks_by_shared_words() -> None:
    found = demo.keyword_retrieve(demo.RAG_QUESTION)
    assert [doc.source for doc in found] == ["tools.md", "reasoner.md"]
    assert [doc.source for doc in demo.keyword_retrieve("json_object prompt", k=1)] == ["json.md"]
    assert demo.format_documents(found[:1]) == f"[tools.md] {found[0].text}"


def test_the_hashed_embedding_is_unit_length_and_closer_for_shared_words() -> None:
    def vector(text: str) -> list[float]:
        return demo.hashed_embedding(text, 64)

    def dot(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    query = vector("the reasoner and its reasoning")
    assert len(query) == 64 and math.isclose(dot(query, query), 1.0)
    assert vector("the reasoner and its reasoning") == query  # deterministic
    assert dot(query, vector(demo.DOCUMENTS[1].text)) > dot(query, vector(demo.DOCUMENTS[4].text))
    assert demo.hashed_embedding("", 8) == [0.0] * 8  # no words: a zero vector, no division


def test_one_line_flattens_and_cuts() -> None:
    assert demo.one_line("a\n b\t\tc") == "a b c"
    assert demo.one_line("x" * 10, limit=5) == "xxxx…"
    assert demo.one_line("x" * 5, limit=5) == "xxxxx"


def test_the_tools_are_plain_functions_with_docstrings() -> None:
    assert demo.get_weather("Lisbon") == "Sunny and 22 °C in Lisbon."
    assert demo.multiply(12.5, 4) == 50.0 and demo.add(2, 3) == 5
    for function in (demo.get_weather, demo.multiply, demo.add):
        assert function.__doc__  # the frameworks describe the tool to the model with it


def test_usage_line_counts_missing_names_as_zero() -> None:
    assert demo.usage_line({"prompt_tokens": 3, "completion_tokens": None}) == (
        "tokens: 3 prompt, 0 completion (0 reasoning), 0 prompt tokens from the cache"
    )
