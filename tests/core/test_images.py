"""Image input in the core: sniffing, pixel sizes, token counts, building parts, and the checks
``build_request_body`` runs before anything is sent (format, size, a model that can see)."""

from __future__ import annotations

import base64
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from deepseekapi_core import (
    ChatMessage,
    ChatRequest,
    DeepSeekClient,
    Era,
    IgnoredParameterWarning,
    ImagePart,
    InvalidRequestError,
    get_model_profile,
    image_part_from_bytes,
    image_part_from_path,
    image_part_from_url,
)
from deepseekapi_core.http import UnsupportedParameterError
from deepseekapi_core.wire import (
    MAX_IMAGE_BYTES,
    build_request_body,
    image_tokens,
    inspect_image,
    listed_model_ids,
)
from deepseekapi_core.wire._images import (
    content_from_blocks,
    content_from_parts,
    decode_data_url,
    image_size,
    sniff_image_type,
)
from deepseekapi_core.wire._registry import IMAGE, TEXT

from .helpers import API_KEY, Script, ok

IMAGES = Path(__file__).parents[1] / "data" / "images"
PNG = (IMAGES / "sample.png").read_bytes()
JPEG = (IMAGES / "sample.jpg").read_bytes()
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def look(*parts: Any) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": "What is this?"}, *parts]}


def image(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url, **extra}}


def body_for(model: str, messages: list[dict[str, Any]], **params: Any) -> dict[str, Any]:
    era = params.pop("era", Era.V4_1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IgnoredParameterWarning)
        return build_request_body(ChatRequest(model=model, messages=messages, **params), era=era)


# --------------------------------------------------------------------------------------------
# Sniffing and pixel sizes, from the headers of real files


@pytest.mark.parametrize(
    ("name", "mime", "size"),
    [
        ("sample.png", "image/png", (640, 427)),
        ("wide.png", "image/png", (1400, 60)),
        ("sample.jpg", "image/jpeg", (320, 240)),
        ("progressive.jpg", "image/jpeg", (300, 1000)),
        ("sample.gif", "image/gif", (64, 48)),
        ("lossy.webp", "image/webp", (96, 80)),
        ("lossless.webp", "image/webp", (90, 70)),
        ("alpha.webp", "image/webp", (100, 50)),
    ],
)
def test_format_and_size_from_the_header(name: str, mime: str, size: tuple[int, int]) -> None:
    data = (IMAGES / name).read_bytes()
    assert sniff_image_type(data) == mime
    assert image_size(data) == size
    info = inspect_image(data)
    assert (info.mime_type, info.width, info.height, info.byte_size) == (mime, *size, len(data))


def test_truncated_headers_give_no_size_rather_than_a_wrong_one() -> None:
    assert image_size(PNG[:20]) is None
    assert image_size(JPEG[:40]) is None
    assert inspect_image(JPEG[:40]).width is None


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (PDF, "a PDF"),
        (b"BM" + b"\0" * 60, "a BMP image"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG image"),
        (b"\0\0\0\x1cftypavif" + b"\0" * 20, "an AVIF image"),
        (b"hello, world", "not an image format it recognises"),
        (b"", "empty"),
    ],
)
def test_unsupported_bytes_are_named(data: bytes, named: str) -> None:
    with pytest.raises(InvalidRequestError, match="JPEG, PNG, GIF and WebP") as caught:
        inspect_image(data)
    assert f"the image is {named}" in str(caught.value)


# --------------------------------------------------------------------------------------------
# Image tokens (the measured V4.1 Flash table)


@pytest.mark.parametrize(
    ("edge", "tokens"),
    [(512, 184), (640, 274), (768, 382), (896, 508), (1024, 652), (1280, 994)],
)
def test_measured_points_are_exact(edge: int, tokens: int) -> None:
    assert image_tokens(edge, edge // 2) == tokens
    assert image_tokens(edge // 3, edge) == tokens  # the long edge counts, either side


def test_floor_plateau_and_unknown_size() -> None:
    assert image_tokens(1, 1) == image_tokens(300, 512) == 184
    assert image_tokens(1281, 10) == image_tokens(8000, 6000) == 994
    assert image_tokens(None, None) == 994  # unknown: the most an image can cost


def test_between_points_the_curve_rises_and_stays_between_neighbours() -> None:
    counts = [image_tokens(edge, 1) for edge in range(512, 1281)]
    assert counts == sorted(counts)
    assert 274 < image_tokens(700, 1) < 382
    assert 652 < image_tokens(1100, 1) < 994


# --------------------------------------------------------------------------------------------
# Building parts


def test_part_from_bytes_labels_by_the_bytes() -> None:
    part = image_part_from_bytes(JPEG, detail="low")
    assert part.image_url.url == data_url(JPEG, "image/jpeg")
    assert part.image_url.detail == "low"
    assert image_part_from_bytes(JPEG, "image/jpg").image_url.url.startswith("data:image/jpeg;")


def test_part_from_bytes_refuses_a_wrong_label_and_a_pdf() -> None:
    with pytest.raises(
        InvalidRequestError, match="labelled 'image/png' but its bytes are image/jpeg"
    ):
        image_part_from_bytes(JPEG, "image/png")
    with pytest.raises(InvalidRequestError, match="a PDF"):
        image_part_from_bytes(PDF, "application/pdf")


def test_part_from_bytes_refuses_an_oversized_image() -> None:
    huge = PNG[:33] + b"\0" * (MAX_IMAGE_BYTES + 1 - 33)
    with pytest.raises(InvalidRequestError, match=r"20\.0 MiB; the limit is 20 MiB"):
        image_part_from_bytes(huge)
    assert image_part_from_bytes(PNG[:33] + b"\0" * (MAX_IMAGE_BYTES - 33)).type == "image_url"


def test_part_from_path(tmp_path: Path) -> None:
    assert image_part_from_path(IMAGES / "sample.png").image_url.url == data_url(PNG, "image/png")
    pdf = tmp_path / "report.png"  # a misleading name changes nothing: the bytes decide
    pdf.write_bytes(PDF)
    with pytest.raises(InvalidRequestError, match=r"report\.png: the image is a PDF"):
        image_part_from_path(pdf)


def test_part_from_url() -> None:
    remote = image_part_from_url("https://example.com/cat.webp", detail="high")
    assert remote.model_dump(exclude_none=True) == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.webp", "detail": "high"},
    }
    assert image_part_from_url(data_url(PNG, "image/png")).image_url.url == data_url(
        PNG, "image/png"
    )
    with pytest.raises(InvalidRequestError, match=r"names a PDF \(\.pdf\)"):
        image_part_from_url("https://example.com/paper.pdf")
    with pytest.raises(InvalidRequestError, match="data: or http"):
        image_part_from_url("ftp://example.com/cat.png")
    with pytest.raises(ValueError, match="data: URL or an http"):
        ImagePart.model_validate({"image_url": {"url": "file:///etc/passwd"}})


def test_data_url_decoding_errors() -> None:
    assert decode_data_url(data_url(PNG, "image/png")) == ("image/png", PNG)
    with pytest.raises(InvalidRequestError, match="not base64-encoded"):
        decode_data_url("data:image/png,rawbytes")
    with pytest.raises(InvalidRequestError, match="invalid base64"):
        decode_data_url("data:image/png;base64,@@@@")


def test_repr_does_not_dump_the_bytes() -> None:
    shown = repr(image_part_from_bytes(PNG))
    assert "data:image/png;base64,<" in shown and base64.b64encode(PNG).decode()[:40] not in shown


# --------------------------------------------------------------------------------------------
# Messages and the wire


def test_user_and_tool_messages_carry_parts_on_the_wire() -> None:
    messages = [
        look(image(data_url(PNG, "image/png"), detail="low")),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "call_0", "type": "function", "function": {"name": "snap", "arguments": ""}}
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_0",
            "content": [image(data_url(JPEG, "image/jpeg"))],
        },
    ]
    body = body_for("deepseek-flash", messages)
    assert body["messages"][0]["content"] == messages[0]["content"]
    assert body["messages"][2]["content"] == messages[2]["content"]
    assert "allow_dropped_images" not in body


def test_parts_are_refused_on_system_and_assistant_messages() -> None:
    for role in ("system", "assistant"):
        with pytest.raises(ValueError, match=f"a {role} message takes text content only"):
            ChatMessage.model_validate({"role": role, "content": [image(data_url(PNG, "x"))]})
    with pytest.raises(ValueError, match="not an empty part list"):
        ChatMessage(role="user", content=[])


def test_a_pdf_is_named_by_message_and_part() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        look(image(data_url(PNG, "image/png")), image(data_url(PDF, "image/png"))),
    ]
    with pytest.raises(InvalidRequestError) as caught:
        body_for("deepseek-flash", messages)
    assert str(caught.value).startswith("messages[1] part 2: the image is a PDF")
    assert caught.value.param == "messages"


def test_a_remote_pdf_is_named_and_remote_images_are_not_fetched() -> None:
    with pytest.raises(InvalidRequestError, match=r"messages\[0\] part 1: .*PDF"):
        body_for("deepseek-flash", [look(image("https://example.com/doc.PDF"))])
    body = body_for("deepseek-flash", [look(image("https://example.com/cat.png"))])
    assert body["messages"][0]["content"][1]["image_url"]["url"] == "https://example.com/cat.png"


@pytest.mark.parametrize(
    ("model", "era"),
    [
        ("deepseek-chat", Era.V4_1),
        ("deepseek-reasoner", Era.V4_1),
        ("deepseek-v4-flash", Era.V4),
        ("deepseek-chat", Era.R1),
    ],
)
def test_a_text_only_model_is_an_error_naming_the_part(model: str, era: Era) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        body_for(model, [look(image(data_url(PNG, "image/png")))], era=era)
    message = str(caught.value)
    assert message.startswith(f"messages[0] part 1 is an image, and {model} reads text only")
    assert "deepseek-flash" in message


def test_v4_pro_drops_images_so_it_needs_an_opt_in() -> None:
    messages = [look(image(data_url(JPEG, "image/jpeg")))]
    with pytest.raises(InvalidRequestError, match="drops them silently") as caught:
        body_for("deepseek-v4-pro", messages)
    assert "allow_dropped_images=True" in str(caught.value)
    body = body_for("deepseek-v4-pro", messages, allow_dropped_images=True)
    assert body["messages"][0]["content"][1]["type"] == "image_url"
    assert "allow_dropped_images" not in body


def test_the_opt_in_still_checks_the_bytes() -> None:
    with pytest.raises(InvalidRequestError, match="a PDF"):
        body_for(
            "deepseek-v4-pro", [look(image(data_url(PDF, "image/png")))], allow_dropped_images=True
        )


@pytest.mark.parametrize(
    "model", ["deepseek-flash", "deepseek-v4-flash", "deepseek-v4-flash-vision-exp"]
)
def test_vision_ids_take_images(model: str) -> None:
    body = body_for(model, [look(image(data_url(PNG, "image/png")))])
    assert body["model"] == model


def test_unknown_ids_are_left_to_the_proxy() -> None:
    body = body_for("my-proxy-vision", [look(image(data_url(PNG, "image/png")))])
    assert body["messages"][0]["content"][1]["type"] == "image_url"


def test_nothing_is_sent_when_an_image_is_refused() -> None:
    script = Script([ok()])
    client = DeepSeekClient(api_key=API_KEY, transport=httpx.MockTransport(script), era=Era.V4_1)
    with pytest.raises(InvalidRequestError, match="reads text only"):
        client.chat(model="deepseek-chat", messages=[look(image(data_url(PNG, "image/png")))])
    with pytest.raises(InvalidRequestError, match="drops them silently"):
        client.stream_chat(
            model="deepseek-v4-pro", messages=[look(image(data_url(PNG, "image/png")))]
        )
    assert script.requests == []


# --------------------------------------------------------------------------------------------
# The V4.1 registry


def test_v41_registry() -> None:
    flash = get_model_profile("deepseek-flash", Era.V4_1)
    assert flash.input_modalities == {TEXT, IMAGE} and flash.accepts_images
    assert flash.thinks(None) and flash.context_window == 1_048_576
    assert flash.max_output_tokens == 384 * 1024
    pro = get_model_profile("deepseek-v4-pro", Era.V4_1)
    assert pro.input_modalities == {TEXT} and pro.drops_images and pro.reply_model == pro.id
    for alias in ("deepseek-chat", "deepseek-reasoner", "deepseek-v4-flash"):
        profile = get_model_profile(alias, Era.V4_1)
        assert profile.reply_model == "deepseek-flash" and not profile.listed
    assert get_model_profile("deepseek-v4-flash-vision-exp", Era.V4_1).accepts_images
    assert listed_model_ids(Era.V4_1) == ("deepseek-flash", "deepseek-v4-pro")
    assert listed_model_ids(Era.V4) == ("deepseek-v4-flash", "deepseek-v4-pro")
    assert listed_model_ids(Era.R1) == ("deepseek-chat", "deepseek-reasoner")
    # A V4.1-only id asked for under an older era is described as V4.1 knows it.
    assert get_model_profile("deepseek-v4-flash-vision-exp", Era.R1).era is Era.V4_1


def test_v41_legacy_names_keep_their_promise_by_sending_the_switch() -> None:
    hello = [{"role": "user", "content": "Hi"}]
    assert body_for("deepseek-chat", hello)["thinking"] == {"type": "disabled"}
    asked = body_for("deepseek-chat", hello, thinking=True, reasoning_effort="max")
    assert asked["thinking"] == {"type": "enabled"} and asked["reasoning_effort"] == "max"
    assert body_for("deepseek-reasoner", hello)["thinking"] == {"type": "enabled"}
    assert "thinking" not in body_for("deepseek-flash", hello)  # the service default applies
    assert "thinking" not in body_for("deepseek-chat", hello, era=Era.V4)


@pytest.mark.parametrize("effort", ["minimal", "low", "medium", "high", "xhigh", "max", "ultra"])
def test_every_documented_effort_is_sent_as_given(effort: str) -> None:
    body = body_for("deepseek-flash", [{"role": "user", "content": "Hi"}], reasoning_effort=effort)
    assert body["reasoning_effort"] == effort


def test_effort_none_means_thinking_off() -> None:
    hello = [{"role": "user", "content": "Hi"}]
    body = body_for("deepseek-flash", hello, reasoning_effort="none", temperature=0.3)
    assert body["thinking"] == {"type": "disabled"} and "reasoning_effort" not in body
    assert body["temperature"] == 0.3  # not thinking, so sampling applies
    with pytest.raises(ValueError, match="'none' means thinking off"):
        ChatRequest(model="deepseek-flash", messages=hello, thinking=True, reasoning_effort="none")
    with pytest.raises(UnsupportedParameterError, match="always thinks"):
        body_for("deepseek-reasoner", hello, reasoning_effort="none")


# --------------------------------------------------------------------------------------------
# Content blocks as the frameworks spell them


B64_PNG = base64.b64encode(PNG).decode()
PNG_PART = {"type": "image_url", "image_url": {"url": data_url(PNG, "image/png")}}


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image_url", "image_url": {"url": data_url(PNG, "image/png")}},
        {"type": "image_url", "image_url": data_url(PNG, "image/png")},
        {"type": "image", "base64": B64_PNG, "mime_type": "image/png"},
        {"type": "image", "base64": B64_PNG},
        {"type": "image", "source_type": "base64", "data": B64_PNG, "mime_type": "image/png"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": B64_PNG}},
    ],
    ids=["openai", "openai-str", "v1", "v1-no-mime", "v0", "anthropic"],
)
def test_inline_image_blocks(block: dict[str, Any]) -> None:
    content = content_from_blocks(["Look:", block, {"type": "reasoning"}], where="messages[0]")
    assert isinstance(content, list)
    assert [part.model_dump(exclude_none=True) for part in content] == [
        {"type": "text", "text": "Look:"},
        PNG_PART,
    ]


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "url": "https://example.com/a.png"},
        {"type": "image", "source_type": "url", "url": "https://example.com/a.png"},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
    ],
)
def test_url_image_blocks(block: dict[str, Any]) -> None:
    (part,) = content_from_blocks([block], where="m")
    assert isinstance(part, ImagePart) and part.image_url.url == "https://example.com/a.png"


def test_text_only_blocks_stay_a_string() -> None:
    assert content_from_blocks(["a", {"type": "text", "text": "b"}], where="m") == "a\nb"
    assert content_from_parts([]) == ""


@pytest.mark.parametrize(
    ("block", "phrase"),
    [
        ({"type": "image", "file_id": "file-123"}, "uploaded file by id"),
        ({"type": "image", "source_type": "id", "id": "file-123"}, "uploaded file by id"),
        ({"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}, "is 'file'"),
        ({"type": "audio", "base64": "AAAA"}, "is 'audio'"),
        ({"type": "image", "base64": "@@@"}, "invalid base64"),
        ({"type": "image"}, "without base64 data or a url"),
        ({"type": "image_url"}, "without a url"),
        ({"type": "image", "base64": base64.b64encode(PDF).decode()}, "the image is a PDF"),
        (
            {"type": "image_url", "image_url": {"url": data_url(PNG, "image/png"), "detail": "x"}},
            "'auto', 'low' or 'high'",
        ),
        (42, "is 'int', not a content block"),
    ],
)
def test_bad_blocks_are_named_by_index(block: object, phrase: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        content_from_blocks(["text first", block], where="messages[2] (HumanMessage)")
    assert str(caught.value).startswith("messages[2] (HumanMessage) part 1")
    assert phrase in str(caught.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_fifo_or_other_non_regular_file_is_refused_at_once(tmp_path: Path) -> None:
    """open() on a FIFO with no writer blocks forever: it is refused before any blocking call."""
    fifo = tmp_path / "image.png"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            image_part_from_path(fifo)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(2)
    if worker.is_alive():  # unblock the thread so the test run can end
        with open(fifo, "wb"):
            pass
        pytest.fail("image_part_from_path blocked on a FIFO")
    assert len(outcome) == 1 and isinstance(outcome[0], InvalidRequestError)
    assert "not a regular file" in str(outcome[0])
    with pytest.raises(InvalidRequestError, match="not a regular file"):
        image_part_from_path(tmp_path)  # a directory


def test_a_huge_file_is_refused_with_its_real_size_unread(tmp_path: Path) -> None:
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as file:
        file.truncate(2 * 1024**3)  # sparse: 2 GiB on paper, nothing on disk
    with pytest.raises(InvalidRequestError, match=r"2048\.0 MiB"):
        image_part_from_path(huge)
