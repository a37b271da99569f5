"""``ChatDeepSeekAPI.with_structured_output``: which request serves each method, and its parser.

The service has function calling and JSON Output but no native JSON-schema output, and refuses
a forced tool choice in thinking mode; these functions pick, for each method, the request that
works in the model's mode and the parser that turns its reply into the schema's output.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, cast

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.outputs import Generation
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel

from deepseekapi_core import InvalidRequestError, ToolSpec
from deepseekapi_core.tools._specs import (
    forced_tool_choice_allowed,
    json_schema_format,
    tool_specs_from,
)
from deepseekapi_core.tools._structured import parse_json_reply
from deepseekapi_core.wire._builtin_tools import BuiltinToolSpec

from ._compat import (
    RequiredJsonToolParser,
    RequiredPydanticToolParser,
    input_messages,
    with_corrective_turn,
)

if TYPE_CHECKING:
    from ._chat_model import ChatDeepSeekAPI

__all__ = ["structured_output", "tool_wire"]

Method = Literal["function_calling", "json_mode", "json_schema"]
_Pair = tuple[Runnable[LanguageModelInput, BaseMessage], Runnable[Any, Any]]


def tool_wire(tools: Sequence[Any], strict: bool | None) -> list[ToolSpec | BuiltinToolSpec]:
    """The tools converted by LangChain and validated by the core; ``strict`` is applied by
    the core, which closes strict schemas (LangChain's own closing would make optional
    fields required without letting them be null) or refuses them naming the part. The
    service's built-in tools (``{"type": "deepseek_web_search"}``) pass as they are."""
    return tool_specs_from(tools, strict=strict, convert=partial(convert_to_openai_tool))


def _schema_tool(schema: Any, strict: bool | None) -> ToolSpec:
    """The function tool shaped like a structured-output ``schema``."""
    spec = tool_wire([schema], strict)[0]
    if not isinstance(spec, ToolSpec):
        raise InvalidRequestError(
            f"a built-in tool ({spec.type}) is not a schema for structured output",
            param="schema",
        )
    return spec


def structured_output(
    llm: ChatDeepSeekAPI,
    schema: dict[str, Any] | type | None,
    *,
    method: Method,
    include_raw: bool,
    strict: bool | None,
) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
    """What :meth:`ChatDeepSeekAPI.with_structured_output` returns (see its docstring)."""
    # Whether the schema's tool can be forced: not in thinking mode (V3.2/V4 answer 400).
    forced = forced_tool_choice_allowed(
        llm.model_name, thinking=llm._thinking_switch(), era=llm.era
    )
    if strict is not None and method == "json_mode":
        raise InvalidRequestError(
            "strict is not supported with method='json_mode' (JSON Output has no schema to "
            "enforce); use method='function_calling' or 'json_schema'",
            param="strict",
        )
    if method == "json_schema":
        # The service has no json_schema output: a forced tool where one can be forced,
        # else JSON Output with the schema in a system message (served by the core). Strict
        # mode exists only for tools, so strict=True keeps the tool (offered with "auto").
        method = "function_calling" if forced or strict else "json_schema"
    if method == "function_calling":
        model, parser = _by_tool(llm, _required(schema, method), strict, forced=forced)
    elif method == "json_schema":
        model, parser = _by_json_schema(llm, _required(schema, method), strict)
    elif method == "json_mode":
        model, parser = _by_json_mode(llm, schema)
    else:
        raise ValueError(
            f"method must be 'function_calling', 'json_mode' or 'json_schema', not {method!r}"
        )
    return _with_raw(model, parser) if include_raw else model | parser


def _required(schema: dict[str, Any] | type | None, method: str) -> dict[str, Any] | type:
    if schema is None:
        raise ValueError(f"schema must be given for method={method!r}")
    return schema


def _is_pydantic(schema: object) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def _by_tool(
    llm: ChatDeepSeekAPI, schema: dict[str, Any] | type, strict: bool | None, *, forced: bool
) -> _Pair:
    tool = _schema_tool(schema, strict).model_dump(exclude_none=True)
    name = tool["function"]["name"]
    model: Runnable[LanguageModelInput, BaseMessage] = llm.bind_tools(
        [tool],
        tool_choice=name if forced else "auto",
        ls_structured_output_format={
            "kwargs": {"method": "function_calling", "strict": strict},
            "schema": tool,
        },
    )
    if not forced:
        model = with_corrective_turn(model, name, input_messages)
    parser: Runnable[Any, Any]
    if _is_pydantic(schema):
        parser = RequiredPydanticToolParser(
            tools=[cast("type[BaseModel]", schema)], first_tool_only=True
        )
    else:
        parser = RequiredJsonToolParser(key_name=name, first_tool_only=True)
    return model, parser


def _json_parser(schema: object) -> Runnable[Any, Any]:
    if _is_pydantic(schema):
        return PydanticOutputParser(pydantic_object=cast("type[BaseModel]", schema))
    return JsonOutputParser()


def _refuse_empty(result: list[Generation], *, partial: bool) -> None:
    """Raise ``EmptyJSONReplyError`` for a whole JSON-mode reply of whitespace only (the
    service's answer to output that is not JSON), instead of a ``JSONDecodeError`` or, in a
    stream, no output at all. A stream's reply is whole once its last chunk is in."""
    text = result[0].text if result else ""
    if text.strip() or not result:
        return
    message = getattr(result[0], "message", None)
    if partial and getattr(message, "chunk_position", None) != "last":
        return
    metadata = getattr(message, "response_metadata", None) or {}
    parse_json_reply(text, metadata.get("finish_reason"))


class _JsonModeParser(JsonOutputParser):
    """``JsonOutputParser`` that refuses a whitespace-only reply once it is whole; as a
    parser (not a function before one) it still streams growing partial objects."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        """The reply's JSON (partial while streaming), or ``EmptyJSONReplyError``."""
        _refuse_empty(result, partial=partial)
        return super().parse_result(result, partial=partial)


class _PydanticJsonModeParser(PydanticOutputParser):  # type: ignore[type-arg]
    """``PydanticOutputParser`` that refuses a whitespace-only reply once it is whole."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        """The schema instance (partial while streaming), or ``EmptyJSONReplyError``."""
        _refuse_empty(result, partial=partial)
        return super().parse_result(result, partial=partial)


def _by_json_schema(
    llm: ChatDeepSeekAPI, schema: dict[str, Any] | type, strict: bool | None
) -> _Pair:
    model = llm.bind(
        response_format=json_schema_format(_schema_tool(schema, strict)),
        ls_structured_output_format={
            "kwargs": {"method": "json_schema", "strict": strict},
            "schema": schema,
        },
    )
    return model, _json_parser(schema)


def _by_json_mode(llm: ChatDeepSeekAPI, schema: dict[str, Any] | type | None) -> _Pair:
    model = llm.bind(
        response_format={"type": "json_object"},
        ls_structured_output_format={"kwargs": {"method": "json_mode"}, "schema": schema},
    )
    # JSON mode may answer with whitespace only: say so, not a JSONDecodeError. The check is
    # in the parser so that streams still yield growing partial objects.
    parser: Runnable[Any, Any]
    if _is_pydantic(schema):
        parser = _PydanticJsonModeParser(pydantic_object=cast("type[BaseModel]", schema))
    else:
        parser = _JsonModeParser()
    return model, parser


def _with_raw(
    model: Runnable[LanguageModelInput, BaseMessage], parser: Runnable[Any, Any]
) -> Runnable[LanguageModelInput, dict[str, Any]]:
    """``{"raw": message, "parsed": ..., "parsing_error": ...}`` instead of raising."""
    parser_assign = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    parser_none = RunnablePassthrough.assign(parsed=lambda _: None)
    with_fallback = parser_assign.with_fallbacks([parser_none], exception_key="parsing_error")
    return RunnableMap(raw=model) | with_fallback
