"""The emulator's V4.1 era: model names, thinking defaults, and image input (accepted on vision
models, counted by the measured table, refused on text-only models, dropped by v4-pro)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from deepseekapi_core.testing import Emulator, Era, ImageServer
from deepseekapi_core.wire import image_tokens
from tests.realwire_loader import load_recording

from .conftest import AUTH, sse_payloads

IMAGES = Path(__file__).parents[1] / "data" / "images"
PNG = (IMAGES / "sample.png").read_bytes()  # 640x427: 274 tokens
JPEG = (IMAGES / "sample.jpg").read_bytes()  # 320x240: 184 tokens
WIDE = (IMAGES / "wide.png").read_bytes()  # 1400x60: the plateau, 994
TALL = (IMAGES / "progressive.jpg").read_bytes()  # 300x1000: between the points
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
JSON_MODE = "ruby_llm__chat_with_params_deepseek_deepseek-chat_supports_response_format_param.yml"
STREAMING = (
    "ruby_llm__chat_streaming_responses_deepseek_deepseek-chat_supports_streaming_responses.yml"
)


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def look(*parts: dict[str, Any], text: str = "Describe this.") -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": text}, *parts]}]


@pytest.fixture
def v41() -> Iterator[httpx.Client]:
    emulator = Emulator(era=Era.V4_1)
    with httpx.Client(
        transport=emulator.transport(), base_url="https://api.deepseek.test", headers=AUTH
    ) as client:
        yield client


def post(client: httpx.Client, model: str, messages: list[dict[str, Any]], **extra: Any) -> Any:
    return client.post("/chat/completions", json={"model": model, "messages": messages, **extra})


def prompt_tokens(client: httpx.Client, model: str, messages: list[dict[str, Any]]) -> int:
    response = post(client, model, messages, thinking={"type": "disabled"})
    assert response.status_code == 200, response.text
    return int(response.json()["usage"]["prompt_tokens"])


# --------------------------------------------------------------------------------------------
# Model names


def test_v41_is_the_default_era() -> None:
    assert Emulator().era is Era.V4_1


@pytest.mark.parametrize(
    ("era", "listed"),
    [
        (Era.V4_1, ["deepseek-flash", "deepseek-v4-pro", "deepseek-chat", "deepseek-reasoner"]),
        (Era.V4, ["deepseek-v4-flash", "deepseek-v4-pro", "deepseek-chat", "deepseek-reasoner"]),
        (Era.V3_2, ["deepseek-chat", "deepseek-reasoner"]),
        (Era.R1, ["deepseek-chat", "deepseek-reasoner"]),
    ],
)
def test_models_listed_per_era(era: Era, listed: list[str]) -> None:
    with httpx.Client(transport=Emulator(era=era).transport(), headers=AUTH) as client:
        body = client.get("https://x/models").json()
    assert [model["id"] for model in body["data"]] == listed


@pytest.mark.parametrize(
    ("asked", "answered"),
    [
        ("deepseek-flash", "deepseek-flash"),
        ("deepseek-v4-pro", "deepseek-v4-pro"),
        ("deepseek-chat", "deepseek-flash"),
        ("deepseek-reasoner", "deepseek-flash"),
        ("deepseek-v4-flash", "deepseek-flash"),
        ("deepseek-v4-flash-vision-exp", "deepseek-flash"),
    ],
)
def test_legacy_names_are_answered_as_deepseek_flash(
    v41: httpx.Client, asked: str, answered: str
) -> None:
    body = post(v41, asked, [{"role": "user", "content": "Hi"}]).json()
    assert body["model"] == answered
    assert body["choices"][0]["message"]["content"].startswith(f"[emulated {answered}]")


def test_unknown_model_error_names_the_supported_ids(v41: httpx.Client) -> None:
    response = post(v41, "deepseek-v5", [{"role": "user", "content": "Hi"}])
    assert response.status_code == 400
    error = response.json()["error"]
    assert "The supported API model names are deepseek-flash, deepseek-v4-pro" in error["message"]
    assert error["type"] == "invalid_request_error"


def test_thinking_is_on_by_default_for_v4_and_v41_ids(v41: httpx.Client) -> None:
    hello = [{"role": "user", "content": "Hi"}]
    for model in ("deepseek-flash", "deepseek-v4-pro", "deepseek-v4-flash"):
        message = post(v41, model, hello).json()["choices"][0]["message"]
        assert message["reasoning_content"], model
    off = post(v41, "deepseek-flash", hello, thinking={"type": "disabled"}).json()
    assert "reasoning_content" not in off["choices"][0]["message"]
    none = post(v41, "deepseek-flash", hello, reasoning_effort="none").json()
    assert "reasoning_content" not in none["choices"][0]["message"]
    assert (
        "reasoning_content" in post(v41, "deepseek-reasoner", hello).json()["choices"][0]["message"]
    )
    assert (
        "reasoning_content" not in post(v41, "deepseek-chat", hello).json()["choices"][0]["message"]
    )


def test_every_documented_effort_is_accepted(v41: httpx.Client) -> None:
    hello = [{"role": "user", "content": "Hi"}]
    for effort in ("none", "minimal", "low", "medium", "high", "xhigh", "max", "ultra"):
        assert post(v41, "deepseek-flash", hello, reasoning_effort=effort).status_code == 200
    refused = post(v41, "deepseek-flash", hello, reasoning_effort="extreme")
    assert refused.status_code == 422 and "unknown variant `extreme`" in refused.text


# --------------------------------------------------------------------------------------------
# The recorded shape


def test_v41_reply_has_the_recorded_field_order(v41: httpx.Client) -> None:
    (recorded,) = load_recording(JSON_MODE)
    expected = recorded.response.json()
    body = post(v41, "deepseek-chat", [{"role": "user", "content": "Hi"}]).json()
    assert list(body) == list(expected)
    assert list(body["choices"][0]) == list(expected["choices"][0])
    assert list(body["usage"]) == list(expected["usage"])
    # V4.1's fingerprint is the bare-hash form first seen in August 2026.
    assert len(body["system_fingerprint"]) == 32 and not body["system_fingerprint"].startswith(
        "fp_"
    )


def test_v41_stream_has_the_recorded_chunk_shape(v41: httpx.Client) -> None:
    (recorded,) = load_recording(STREAMING)
    expected = [p for p in sse_payloads(recorded.response.text) if p != "[DONE]"]
    response = post(
        v41,
        "deepseek-chat",
        [{"role": "user", "content": "Count"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [p for p in sse_payloads(response.text) if p != "[DONE]"]
    assert list(chunks[0]) == list(expected[0])
    assert chunks[0]["choices"][0]["delta"] == expected[0]["choices"][0]["delta"]
    assert list(chunks[-1]["usage"]) == list(expected[-1]["usage"])


# --------------------------------------------------------------------------------------------
# Images: accepted and counted on vision models


@pytest.mark.parametrize(
    ("data", "mime", "tokens", "described"),
    [
        (PNG, "image/png", 274, "a PNG image of 640x427 px (274 tokens)"),
        (JPEG, "image/jpeg", 184, "a JPEG image of 320x240 px (184 tokens)"),
        (WIDE, "image/png", 994, "a PNG image of 1400x60 px (994 tokens)"),
        (TALL, "image/jpeg", image_tokens(300, 1000), "a JPEG image of 300x1000 px"),
    ],
)
def test_images_are_counted_by_the_measured_table(
    v41: httpx.Client, data: bytes, mime: str, tokens: int, described: str
) -> None:
    text_only = prompt_tokens(v41, "deepseek-flash", look())
    with_image = prompt_tokens(v41, "deepseek-flash", look(image(data_url(data, mime))))
    assert with_image - text_only == tokens
    reply = post(v41, "deepseek-flash", look(image(data_url(data, mime)))).json()
    content = reply["choices"][0]["message"]["content"]
    assert described in content
    assert "cannot see image contents" in content


def test_two_images_and_the_vision_preview_id(v41: httpx.Client) -> None:
    messages = look(image(data_url(PNG, "image/png")), image(data_url(JPEG, "image/jpeg")))
    base = prompt_tokens(v41, "deepseek-v4-flash-vision-exp", look())
    assert prompt_tokens(v41, "deepseek-v4-flash-vision-exp", messages) - base == 274 + 184
    content = post(v41, "deepseek-flash", messages).json()["choices"][0]["message"]["content"]
    assert "I received 2 images" in content


def test_an_image_in_a_tool_result_is_described(v41: httpx.Client) -> None:
    messages = [
        {"role": "user", "content": "Take a photo."},
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": "I will use the camera.",
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "snap", "arguments": "{}"},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_0",
            "content": [image(data_url(JPEG, "image/jpeg"))],
        },
    ]
    body = post(v41, "deepseek-flash", messages).json()
    content = body["choices"][0]["message"]["content"]
    assert "The snap tool returned" in content
    assert "a JPEG image of 320x240 px" in content


def test_streamed_reply_describes_the_image(v41: httpx.Client) -> None:
    response = post(v41, "deepseek-flash", look(image(data_url(PNG, "image/png"))), stream=True)
    chunks = [p for p in sse_payloads(response.text) if p != "[DONE]"]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert "a PNG image of 640x427 px" in text


def test_loopback_urls_are_fetched_and_others_are_not(v41: httpx.Client) -> None:
    with ImageServer({"cat.jpg": JPEG}) as server:
        fetched = post(v41, "deepseek-flash", look(image(server.url("cat.jpg")))).json()
        missing = post(v41, "deepseek-flash", look(image(server.url("gone.png"))))
        assert server.requests == ["/cat.jpg", "/gone.png"]
    assert "a JPEG image of 320x240 px" in fetched["choices"][0]["message"]["content"]
    assert missing.status_code == 400 and "HTTP 404" in missing.json()["error"]["message"]
    remote = [*look(image("https://images.example/cat.png"))]
    base = prompt_tokens(v41, "deepseek-flash", look())
    assert prompt_tokens(v41, "deepseek-flash", remote) - base == 994  # unknown size: plateau
    content = post(v41, "deepseek-flash", remote).json()["choices"][0]["message"]["content"]
    assert "did not fetch" in content


# --------------------------------------------------------------------------------------------
# Images: refused or dropped


def test_a_pdf_is_refused(v41: httpx.Client) -> None:
    response = post(v41, "deepseek-flash", look(image(data_url(PDF, "image/png"))))
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "messages[0].content[1]" in message and "a PDF" in message
    assert "emulator wording" in message


@pytest.mark.parametrize("model", ["deepseek-chat", "deepseek-reasoner"])
def test_text_only_models_answer_the_service_error(v41: httpx.Client, model: str) -> None:
    response = post(v41, model, look(image(data_url(PNG, "image/png"))))
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "unknown variant `image_url`, expected `text`"


def test_before_v41_image_parts_do_not_deserialise() -> None:
    with httpx.Client(transport=Emulator(era=Era.V4).transport(), headers=AUTH) as client:
        response = client.post(
            "https://x/chat/completions",
            json={
                "model": "deepseek-v4-flash",
                "messages": look(image(data_url(PNG, "image/png"))),
            },
        )
    assert response.status_code == 422
    assert "unknown variant `image_url`, expected `text`" in response.text


def test_v4_pro_accepts_images_and_drops_them(v41: httpx.Client) -> None:
    with_image = look(image(data_url(PNG, "image/png")))
    assert prompt_tokens(v41, "deepseek-v4-pro", with_image) == prompt_tokens(
        v41, "deepseek-v4-pro", look()
    )
    content = post(v41, "deepseek-v4-pro", with_image).json()["choices"][0]["message"]["content"]
    assert "image" not in content.replace("Describe this.", "")


def test_malformed_image_part_is_a_shape_error(v41: httpx.Client) -> None:
    response = post(v41, "deepseek-flash", look({"type": "image_url", "image_url": "nope"}))
    assert response.status_code == 422
    assert "missing field `image_url`" in response.text or "image_url" in response.text
    detail = post(
        v41,
        "deepseek-flash",
        look(
            {"type": "image_url", "image_url": {"url": data_url(PNG, "image/png"), "detail": "x"}}
        ),
    )
    assert detail.status_code == 422 and "unknown variant `x`" in detail.text


def test_requests_keep_the_image_parts(v41: httpx.Client) -> None:
    emulator = Emulator(era=Era.V4_1)
    with httpx.Client(transport=emulator.transport(), headers=AUTH) as client:
        client.post(
            "https://x/chat/completions",
            json={"model": "deepseek-flash", "messages": look(image(data_url(JPEG, "image/jpeg")))},
        )
    recorded = emulator.last_request
    assert recorded is not None
    assert recorded.json["messages"][0]["content"][1] == image(data_url(JPEG, "image/jpeg"))
    assert json.dumps(recorded.json).count("base64") == 1
