"""The reply to an accepted request: scripted, or composed from the request itself.

Nothing here is a model: the same request always gets the same reply, labelled as emulated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ._builtin import ServerCall, answer_citing, compose_server_calls
from ._checks import ChatRequest
from ._checks.context import content_text
from ._replies import (
    TOKEN_PATTERN,
    Hints,
    find_json_in_text,
    instance_for_schema,
    looks_like_schema,
    pick_tool,
    snippet,
)
from ._script import ScriptedReply
from ._vision import SeenImage, describe_images

__all__ = ["Reply", "ToolCall", "compose", "limit", "scripted"]

CallIds = Callable[[int], str]
"""Gives the id of the tool call at an index."""

_KEY_PHRASE = re.compile(r"\b(?:keys?|fields?|properties)\b", re.IGNORECASE)
_QUOTED_KEY = re.compile(r"[\"'`]([A-Za-z_][A-Za-z0-9_]{0,63})[\"'`]")


@dataclass(frozen=True)
class ToolCall:
    """One tool call of a reply; ``arguments`` is the JSON string sent."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    """What the assistant says, before it is put on the wire."""

    content: str
    reasoning: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    server_calls: list[ServerCall] = field(default_factory=list)
    """The service's own built-in tool calls (web search, URL reading), with their results."""


def scripted(item: ScriptedReply, chat: ChatRequest, call_id: CallIds) -> Reply:
    """A scripted reply, with a generated reasoning in thinking mode when it has none."""
    calls = [
        ToolCall(call_id(i), call.name, call.arguments) for i, call in enumerate(item.tool_calls)
    ]
    reasoning: str | None = None
    if chat.thinking:
        reasoning = item.reasoning
        if reasoning is None:
            reasoning = _reasoning(_last_user_text(chat.messages), calls, chat.messages)
    finish = item.finish_reason or ("tool_calls" if calls else "stop")
    server = [
        ServerCall("srv" + call_id(len(calls) + i), call.tool, call.arguments, call.result)
        for i, call in enumerate(item.server_calls)
    ]
    return Reply(item.content, reasoning, calls, finish, server)


def compose(chat: ChatRequest, call_id: CallIds) -> Reply:
    """The emulator's own reply: a tool call, a summary of tool results, JSON, or an echo."""
    messages = chat.messages
    user_text = _last_user_text(messages)
    calls: list[ToolCall] = []
    server = compose_server_calls(chat.builtin_tools, messages, call_id)
    if _calls_a_tool(chat):
        calls.append(_tool_call(chat, user_text, call_id(0)))
        content = ""
    elif messages[-1]["role"] == "tool":
        content = _tool_summary(chat)
    elif server:
        content = answer_citing(server, _label(chat))
    elif chat.continued is not None:
        content = _continuation(chat, content_text(chat.continued.get("content")), user_text)
    else:
        content = _answer(chat, user_text)
    reasoning = _reasoning(user_text, calls, messages) if chat.thinking else None
    if reasoning is not None and chat.continued is not None:
        given = chat.continued.get("reasoning_content")
        reasoning = _continued_reasoning(given, user_text) or reasoning
    return Reply(content, reasoning, calls, "tool_calls" if calls else "stop", server)


def limit(reply: Reply, chat: ChatRequest) -> Reply:
    """Apply ``stop`` sequences and ``max_tokens`` to the answer text."""
    if reply.tool_calls:
        return reply
    content = reply.content
    finish = reply.finish_reason
    if chat.stop and content:
        cut = min((i for i in (content.find(s) for s in chat.stop if s) if i >= 0), default=-1)
        if cut >= 0:
            content = content[:cut]
            finish = "stop"
    if chat.max_tokens is not None:
        spans = list(TOKEN_PATTERN.finditer(content))
        if len(spans) > chat.max_tokens:
            content = content[: spans[chat.max_tokens - 1].end()]
            finish = "length"
    if content is reply.content and finish == reply.finish_reason:
        return reply
    return replace(reply, content=content, finish_reason=finish)


def _label(chat: ChatRequest) -> str:
    return f"[emulated {chat.response_model}]"


def _continuation(chat: ChatRequest, prefix: str, user_text: str) -> str:
    """What a prefix completion adds after ``prefix`` (the reply holds only this, as the
    service's does). A prefix that opens a code fence gets a line of code and the closing
    fence, so ``stop=["```"]`` ends the reply there, as in DeepSeek's guide. An empty prefix
    (only a chain of thought to continue) gets the ordinary answer."""
    if not prefix.strip():
        return _answer(chat, user_text)
    if prefix.count("```") % 2 == 1:
        return (
            f"# {_label(chat)} code for: {snippet(user_text, 120)}\n```\n"
            f"{_label(chat)} That is the code."
        )
    return f" {_label(chat)} ...continuing {snippet(prefix[-60:], 60)!r} for: {snippet(user_text)}"


def _continued_reasoning(given: object, user_text: str) -> str | None:
    """The reasoning of a prefix completion whose continued message carries a CoT prefix: it
    goes on from that text (None: no CoT prefix was given)."""
    if not isinstance(given, str) or not given:
        return None
    tail = snippet(given[-60:], 60)
    return f" [emulated reasoning] ...continuing {tail!r} for: {snippet(user_text, 200)}"


def _calls_a_tool(chat: ChatRequest) -> bool:
    choice = chat.tool_choice
    forced = choice == "required" or isinstance(choice, dict)
    return bool(chat.tools) and choice != "none" and (forced or chat.messages[-1]["role"] == "user")


def _tool_call(chat: ChatRequest, user_text: str, call_id: str) -> ToolCall:
    choice = chat.tool_choice
    if isinstance(choice, dict):
        wanted = choice["function"]["name"]
        function = next(t["function"] for t in chat.tools if t["function"]["name"] == wanted)
    else:
        # A model that already has a tool's result seldom calls it again: prefer the others.
        answered = {name for name, _ in _tool_results(chat.messages)}
        fresh = [t for t in chat.tools if t["function"]["name"] not in answered]
        function = pick_tool(fresh or chat.tools, user_text)
    parameters = function.get("parameters") or {"type": "object", "properties": {}}
    arguments = instance_for_schema(parameters, Hints(user_text))
    if not isinstance(arguments, dict):
        arguments = {}
    return ToolCall(call_id, str(function["name"]), json.dumps(arguments, ensure_ascii=False))


def _tool_summary(chat: ChatRequest) -> str:
    summary = " ".join(
        f"The {name} tool returned: {snippet(result, 300)}"
        for name, result in _tool_results(chat.messages, chat.images)
    )
    if chat.json_mode:
        # Asked for JSON against a schema (e.g. a json_schema response format served by JSON
        # Output): an instance of it, with values drawn from the question and the results.
        schema = _schema_in(chat.messages)
        if schema is not None:
            instance = instance_for_schema(
                schema, Hints(f"{_last_user_text(chat.messages)} {summary}")
            )
            return json.dumps(instance, ensure_ascii=False, indent=2)
        return json.dumps({"result": summary}, ensure_ascii=False, indent=2)
    return f"{_label(chat)} {summary}"


def _schema_in(messages: list[dict[str, Any]]) -> Any:
    for message in messages:
        if message["role"] in ("system", "user"):
            for found in find_json_in_text(content_text(message.get("content"))):
                if looks_like_schema(found):
                    return found
    return None


def _answer(chat: ChatRequest, user_text: str) -> str:
    instance = _json_for_prompt(chat.messages, user_text, chat.json_mode)
    if instance is not None:
        return json.dumps(instance, ensure_ascii=False, indent=2)
    if chat.json_mode:
        return json.dumps(
            {"result": f"{_label(chat)} {snippet(user_text, 200)}"}, ensure_ascii=False, indent=2
        )
    said = f'{_label(chat)} You said: "{snippet(user_text)}"'
    shown = describe_images(_images_of_last_user_message(chat.messages, chat.images))
    return f"{said} {shown}" if shown else said


def _images_of_last_user_message(
    messages: list[dict[str, Any]], images: tuple[SeenImage, ...]
) -> list[SeenImage]:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index]["role"] == "user":
            return [image for image in images if image.message_index == index]
    return []


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            return content_text(message.get("content"))
    for message in reversed(messages):
        if message["role"] == "system":
            return content_text(message.get("content"))
    return ""


def _tool_results(
    messages: list[dict[str, Any]], images: tuple[SeenImage, ...] = ()
) -> list[tuple[str, str]]:
    """Each trailing tool result's tool name and text, its images described by what can be
    known of them (format and size)."""
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            names[call["id"]] = call["function"]["name"]
    trailing: list[tuple[str, str]] = []
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message["role"] != "tool":
            break
        call_id = message["tool_call_id"]
        result = content_text(message.get("content"))
        shown = describe_images(
            [image for image in images if image.message_index == index], received=False
        )
        trailing.append((names.get(call_id, "tool"), f"{result} {shown}".strip()))
    trailing.reverse()
    return trailing


def _json_for_prompt(messages: list[dict[str, Any]], user_text: str, json_mode: bool) -> Any:
    """A JSON instance for a prompt that asks for JSON: valid against a schema found in the
    system/user messages, or shaped like an example found there."""
    example: Any = None
    for message in messages:
        if message["role"] not in ("system", "user"):
            continue
        text = content_text(message.get("content"))
        if "{" not in text or (not json_mode and "json" not in text.lower()):
            continue
        for found in find_json_in_text(text):
            if looks_like_schema(found):
                return instance_for_schema(found, Hints(user_text))
            if example is None:
                example = found
    if example is None and json_mode:
        keys = _keys_named_in(user_text)
        if keys:
            return {key: f"[emulated] {key}" for key in keys}
    return example


def _keys_named_in(text: str) -> list[str]:
    """Quoted identifiers in a prompt that mentions keys or fields ("with 'setup' and
    'punchline' keys"): the object the prompt asks for, when it gives no schema or example."""
    if not _KEY_PHRASE.search(text):
        return []
    return list(dict.fromkeys(_QUOTED_KEY.findall(text)))


def _reasoning(user_text: str, calls: list[ToolCall], messages: list[dict[str, Any]]) -> str:
    opening = f'[emulated reasoning] The user wrote: "{snippet(user_text, 200)}".'
    if calls:
        names = ", ".join(f"`{call.name}`" for call in calls)
        return f"{opening} I should call {names} with {calls[0].arguments} before answering."
    if messages and messages[-1]["role"] == "tool":
        return f"{opening} The tool results are in, so I can answer now."
    return f"{opening} I can answer this directly."
