"""What ``ChatDeepSeek``/``ChatOpenAI`` code expects of a chat model, beyond the request itself.

* ``generate().llm_output`` combined as ``ChatOpenAI`` does (``token_usage`` summed,
  ``model_name``, ``system_fingerprint``);
* structured output that never returns a bare ``None``: a tool parser that raises
  ``OutputParserException`` (with the raw text) when the model did not call the schema's tool,
  accepting a JSON answer in the text first; and one corrective turn where a tool cannot be
  forced (thinking mode).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, Generation
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel, ValidationError

from deepseekapi_core.accounting._totals import add_usage_counts
from deepseekapi_core.tools._structured import (
    corrective_turn_text,
    json_object_in_text,
    no_structured_call_message,
)

__all__ = [
    "RequiredJsonToolParser",
    "RequiredPydanticToolParser",
    "combine_llm_outputs",
    "input_messages",
    "with_corrective_turn",
]

# ----------------------------------------------------------------------------------------
# llm_output


def combine_llm_outputs(
    outputs: Sequence[dict[str, Any] | None], model_name: str
) -> dict[str, Any]:
    """``generate()``'s ``llm_output`` for several results, as ``ChatOpenAI`` builds it."""
    token_usage: dict[str, Any] = {}
    fingerprint: str | None = None
    for output in outputs:
        if not output:
            continue
        usage = output.get("token_usage")
        if isinstance(usage, Mapping):
            add_usage_counts(token_usage, usage)
        fingerprint = fingerprint or output.get("system_fingerprint")
    combined: dict[str, Any] = {"token_usage": token_usage, "model_name": model_name}
    if fingerprint:
        combined["system_fingerprint"] = fingerprint
    return combined


# ----------------------------------------------------------------------------------------
# Structured output


def _message_of(result: Sequence[Generation]) -> BaseMessage | None:
    generation = result[0] if result else None
    return generation.message if isinstance(generation, ChatGeneration) else None


def _text_of(result: Sequence[Generation]) -> str:
    message = _message_of(result)
    return message.text if message is not None else (result[0].text if result else "")


def _no_call(tool_name: str, result: Sequence[Generation]) -> OutputParserException:
    text = _text_of(result)
    return OutputParserException(no_structured_call_message(tool_name, text), llm_output=text)


class RequiredPydanticToolParser(PydanticToolsParser):
    """``PydanticToolsParser`` (first tool only) that never returns a bare ``None``.

    Without a tool call, a JSON object in the answer's text that validates against the schema
    is accepted; otherwise ``OutputParserException`` is raised with the raw text.
    """

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        """The schema instance from the tool call (or the text), else an exception."""
        parsed = super().parse_result(result, partial=partial)
        if parsed is not None or partial:
            return parsed
        schema = self.tools[0]
        found = json_object_in_text(_text_of(result))
        if found is not None and isinstance(schema, type) and issubclass(schema, BaseModel):
            try:
                return schema.model_validate(found)
            except ValidationError:
                pass
        raise _no_call(schema.__name__ if isinstance(schema, type) else str(schema), result)


class RequiredJsonToolParser(JsonOutputKeyToolsParser):
    """``JsonOutputKeyToolsParser`` (first tool only) that never returns a bare ``None``."""

    def parse_result(self, result: list[Generation], *, partial: bool = False) -> Any:
        """The tool call's arguments (or a JSON object in the text), else an exception."""
        parsed = super().parse_result(result, partial=partial)
        if parsed is not None or partial:
            return parsed
        found = json_object_in_text(_text_of(result))
        if found is not None:
            return found
        raise _no_call(self.key_name, result)


def _called(message: BaseMessage, tool_name: str) -> bool:
    return isinstance(message, AIMessage) and any(
        call["name"] == tool_name for call in message.tool_calls
    )


def _merged(full: BaseMessage | None, chunk: BaseMessage) -> BaseMessage:
    if full is None:
        return chunk
    return cast("BaseMessage", full + chunk)  # chat models stream AIMessageChunks


class _CorrectiveTurn(Runnable[LanguageModelInput, BaseMessage]):
    """``llm``, with one more turn when its reply does not call ``tool_name``.

    Used where the tool cannot be forced (thinking mode): the reply and a short request to
    call the tool are added to the conversation and the model is asked once more. The second
    reply is returned whatever it holds (the parser then raises if it has no call). Streaming
    passes the first reply's chunks on as they come, then the second reply's, if one is needed.
    """

    def __init__(
        self,
        llm: Runnable[LanguageModelInput, BaseMessage],
        tool_name: str,
        to_messages: Callable[[LanguageModelInput], list[BaseMessage]],
    ) -> None:
        self.llm = llm
        self.tool_name = tool_name
        self.to_messages = to_messages

    def _follow_up(self, input_: LanguageModelInput, reply: BaseMessage) -> list[BaseMessage]:
        correction = HumanMessage(corrective_turn_text(self.tool_name))
        return [*self.to_messages(input_), reply, correction]

    def invoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> BaseMessage:
        """The reply that calls the tool, or the corrective turn's reply."""
        reply = self.llm.invoke(input, config, **kwargs)
        if _called(reply, self.tool_name):
            return reply
        return self.llm.invoke(self._follow_up(input, reply), config, **kwargs)

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> BaseMessage:
        """Async :meth:`invoke`."""
        reply = await self.llm.ainvoke(input, config, **kwargs)
        if _called(reply, self.tool_name):
            return reply
        return await self.llm.ainvoke(self._follow_up(input, reply), config, **kwargs)

    def stream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[BaseMessage]:
        """The first reply's chunks, then the corrective turn's if the tool was not called."""
        full: BaseMessage | None = None
        for chunk in self.llm.stream(input, config, **kwargs):
            full = _merged(full, chunk)
            yield chunk
        if full is not None and not _called(full, self.tool_name):
            yield from self.llm.stream(self._follow_up(input, full), config, **kwargs)

    async def astream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[BaseMessage]:
        """Async :meth:`stream`."""
        full: BaseMessage | None = None
        async for chunk in self.llm.astream(input, config, **kwargs):
            full = _merged(full, chunk)
            yield chunk
        if full is not None and not _called(full, self.tool_name):
            async for chunk in self.llm.astream(self._follow_up(input, full), config, **kwargs):
                yield chunk


def with_corrective_turn(
    llm: Runnable[LanguageModelInput, BaseMessage],
    tool_name: str,
    to_messages: Callable[[LanguageModelInput], list[BaseMessage]],
) -> Runnable[LanguageModelInput, BaseMessage]:
    """``llm`` with one corrective turn when its reply does not call ``tool_name``."""
    return _CorrectiveTurn(llm, tool_name, to_messages)


def input_messages(input_: LanguageModelInput) -> list[BaseMessage]:
    """The messages of a chat model input (a string, messages, or a prompt value)."""
    from langchain_core.messages import convert_to_messages

    if isinstance(input_, PromptValue):
        return input_.to_messages()
    if isinstance(input_, str):
        return [HumanMessage(input_)]
    return convert_to_messages(input_)
