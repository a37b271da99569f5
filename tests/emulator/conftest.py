"""Shared helpers for the emulator's tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from deepseekapi_core.testing import Emulator

AUTH = {"Authorization": "Bearer sk-test-key"}


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
def http(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=emulator.transport(), base_url="https://api.deepseek.test/v1", headers=AUTH
    ) as client:
        yield client


def chat_body(
    content: str = "Hello there", model: str = "deepseek-chat", **extra: Any
) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def sse_payloads(text: str) -> list[Any]:
    """The JSON payloads of an SSE body (comments skipped, [DONE] kept as the string)."""
    payloads: list[Any] = []
    for frame in text.split("\n\n"):
        if not frame.startswith("data: "):
            continue
        data = frame[len("data: ") :]
        payloads.append(data if data == "[DONE]" else json.loads(data))
    return payloads


def validate(instance: Any, schema: dict[str, Any], root: dict[str, Any] | None = None) -> None:
    """A small JSON-schema check covering what the emulator claims to handle."""
    root = root if root is not None else schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        validate(instance, target, root)
        return
    for key in ("anyOf", "oneOf"):
        if key in schema:
            errors = 0
            for option in schema[key]:
                try:
                    validate(instance, option, root)
                except AssertionError:
                    errors += 1
            assert errors < len(schema[key]), f"{instance!r} matches no option of {schema[key]}"
            return
    for part in schema.get("allOf", []):
        validate(instance, part, root)
    if "const" in schema:
        assert instance == schema["const"]
    if "enum" in schema:
        assert instance in schema["enum"], f"{instance!r} not in {schema['enum']}"
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    if kinds:
        assert any(checks[k](instance) for k in kinds), f"{instance!r} is not {kinds}"
    if isinstance(instance, dict):
        for name in schema.get("required", []):
            assert name in instance, f"required {name!r} missing from {instance!r}"
        for name, value in instance.items():
            if name in schema.get("properties", {}):
                validate(value, schema["properties"][name], root)
            elif schema.get("additionalProperties") is False:
                raise AssertionError(f"unexpected property {name!r}")
    if isinstance(instance, list):
        assert len(instance) >= schema.get("minItems", 0)
        assert len(instance) <= schema.get("maxItems", 10**9)
        if isinstance(schema.get("items"), dict):
            for item in instance:
                validate(item, schema["items"], root)
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        assert instance >= schema.get("minimum", float("-inf"))
        assert instance <= schema.get("maximum", float("inf"))
    if isinstance(instance, str):
        assert len(instance) >= schema.get("minLength", 0)
        assert len(instance) <= schema.get("maxLength", 10**9)
