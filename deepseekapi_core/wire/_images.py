"""Image input: building ``image_url`` parts, checking them before sending, and image facts.

Both adapters build parts with :func:`image_part_from_bytes`, :func:`image_part_from_url` and
:func:`image_part_from_path`; :func:`check_request_images` (called by ``build_request_body``)
refuses, before anything is sent:

* a format the service does not read. V4.1 Flash reads JPEG, PNG, GIF and WebP (reference 1.16,
  no PDF). The bytes of a ``data:`` URL are sniffed, not trusted from their label; an http(s) URL
  is not fetched (the service fetches it), so only a path ending in a known non-image or
  unsupported extension (``.pdf``, ``.svg``, ...) is refused locally.
* an image over :data:`MAX_IMAGE_BYTES` (decoded). DeepSeek documents no limit; 20 MiB is the
  per-image limit of the OpenAI-format API its image parts copy, and anything near it is
  wasted: the service bills and sees at most a 1280 px long edge (994 tokens, the plateau of
  the measured table), which no sane JPEG/PNG/WebP of that size needs 20 MiB for.
* an image for a model that cannot see: a text-only model is an error, and a model that drops
  images silently (``deepseek-v4-pro``) is an error unless the request sets
  ``allow_dropped_images=True``.

The sniffing and pixel-size code is dependency-free (no Pillow) so the emulator uses it too.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import stat
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import urlsplit

from ..http._errors import InvalidRequestError
from ._convert import join_texts
from ._models import ChatMessage, ContentPart, ImagePart, ImageURL, TextPart
from ._registry import ModelProfile

ImageDetail = Literal["auto", "low", "high"]

SUPPORTED_IMAGE_TYPES: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp")
"""The image formats DeepSeek's vision models read (reference 1.16)."""

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""The largest image (decoded bytes) sent; see the module docstring for why 20 MiB."""

IMAGE_TOKEN_TABLE: tuple[tuple[int, int], ...] = (
    (512, 184),
    (640, 274),
    (768, 382),
    (896, 508),
    (1024, 652),
    (1280, 994),
)
"""Prompt tokens of one image on V4.1 Flash by long edge in px, as measured (reference 1.16):
at or below 512 px 184, at or above 1280 px 994 (the plateau)."""

_SUPPORTED_NAMES = "JPEG, PNG, GIF and WebP"

# Formats people try that the service does not read, by leading bytes: named in the error.
_UNSUPPORTED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x00\x00\x01\x00", "an ICO image"),
)
_UNSUPPORTED_EXTENSIONS: dict[str, str] = {
    ".pdf": "a PDF",
    ".svg": "an SVG image",
    ".bmp": "a BMP image",
    ".tif": "a TIFF image",
    ".tiff": "a TIFF image",
    ".heic": "a HEIC image",
    ".heif": "a HEIF image",
    ".avif": "an AVIF image",
    ".ico": "an ICO image",
}


@dataclass(frozen=True)
class ImageInfo:
    """What can honestly be known about an image from its bytes: format, pixels, size."""

    mime_type: str
    width: int | None
    height: int | None
    byte_size: int

    @property
    def format_name(self) -> str:
        """``JPEG``, ``PNG``, ``GIF`` or ``WebP``."""
        return {"image/jpeg": "JPEG", "image/webp": "WebP"}.get(
            self.mime_type, self.mime_type.removeprefix("image/").upper()
        )

    @property
    def long_edge(self) -> int | None:
        """The longer side in px, when the header says."""
        if self.width is None or self.height is None:
            return None
        return max(self.width, self.height)


# --------------------------------------------------------------------------------------------
# Sniffing and pixel size (headers only)


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG, PNG, GIF or WebP from its leading bytes; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _describe_unsupported(data: bytes) -> str:
    for magic, name in _UNSUPPORTED_MAGIC:
        if data.startswith(magic):
            return name
    head = data[:256].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "an SVG image"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "a HEIC image"
    if data[4:12] == b"ftypavif":
        return "an AVIF image"
    if not data:
        return "empty"
    return "not an image format it recognises"


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a JPEG, PNG, GIF or WebP header; None when it cannot tell."""
    try:
        kind = sniff_image_type(data)
        if kind == "image/png":
            if data[12:16] != b"IHDR":
                return None
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        if kind == "image/gif":
            width, height = struct.unpack("<HH", data[6:10])
            return int(width), int(height)
        if kind == "image/webp":
            return _webp_size(data)
        if kind == "image/jpeg":
            return _jpeg_size(data)
    except struct.error:  # truncated header
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        # Lossy: a 3-byte frame tag, the start code 9d 01 2a, then 14-bit width and height.
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        # Lossless: signature 0x2f, then width-1 and height-1 in 14 bits each.
        if data[20:21] != b"\x2f":
            return None
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        # Extended: the canvas width-1 and height-1 in 24 bits each.
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


# Start-of-frame markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone, without a length.
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    position = 2
    end = len(data)
    while position + 4 <= end:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            return None
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return int(width), int(height)
        position += 2 + length
    return None


def inspect_image(data: bytes) -> ImageInfo:
    """Format, pixel size and byte size of an image.

    Raises :class:`InvalidRequestError` when the bytes are not JPEG, PNG, GIF or WebP.
    """
    kind = sniff_image_type(data)
    if kind is None:
        raise InvalidRequestError(
            f"the image is {_describe_unsupported(data)}; DeepSeek reads {_SUPPORTED_NAMES} "
            "images only",
            param="messages",
        )
    size = image_size(data)
    return ImageInfo(
        mime_type=kind,
        width=size[0] if size else None,
        height=size[1] if size else None,
        byte_size=len(data),
    )


def image_tokens(width: int | None, height: int | None) -> int:
    """Prompt tokens one image costs on V4.1 Flash, from its pixel size.

    The measured points (:data:`IMAGE_TOKEN_TABLE`) lie exactly on one quadratic in the long
    edge: with ``x = (edge - 512) / 128``, ``tokens = 184 + 81 x + 9 x**2`` gives 184, 274, 382,
    508, 652 and, at 1280 px, 994. Between the points that curve is used, rounded up; below 512
    px the floor (184) and from 1280 px the plateau (994) apply. Unknown size counts as the
    plateau, the most an image can cost.
    """
    if width is None or height is None:
        return IMAGE_TOKEN_TABLE[-1][1]
    edge = max(width, height)
    low_edge, low_tokens = IMAGE_TOKEN_TABLE[0]
    high_edge, high_tokens = IMAGE_TOKEN_TABLE[-1]
    if edge <= low_edge:
        return low_tokens
    if edge >= high_edge:
        return high_tokens
    x = (edge - low_edge) / 128
    return math.ceil(184 + 81 * x + 9 * x * x - 1e-9)


# --------------------------------------------------------------------------------------------
# data: URLs


def decode_data_url(url: str) -> tuple[str | None, bytes]:
    """The declared media type and the bytes of a base64 ``data:`` URL.

    Raises :class:`InvalidRequestError` for a URL that is not ``data:...;base64,...`` or whose
    payload is not valid base64.
    """
    if not url.startswith("data:") or "," not in url:
        raise InvalidRequestError("the image is not a data: URL", param="messages")
    header, payload = url[5:].split(",", 1)
    fields = header.split(";")
    if "base64" not in (field.strip().lower() for field in fields[1:]):
        raise InvalidRequestError(
            "the image data: URL is not base64-encoded (expected data:<type>;base64,<data>)",
            param="messages",
        )
    declared = fields[0].strip().lower() or None
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError(
            "the image data: URL holds invalid base64", param="messages"
        ) from None
    return declared, data


# --------------------------------------------------------------------------------------------
# Building parts


def image_part_from_bytes(
    data: bytes, mime_type: str | None = None, *, detail: ImageDetail | None = None
) -> ImagePart:
    """An image part carrying ``data`` inline as a base64 ``data:`` URL.

    The format is sniffed from the bytes; a ``mime_type`` that disagrees with them, a format
    the service does not read, or more than :data:`MAX_IMAGE_BYTES` raises
    :class:`InvalidRequestError`.
    """
    info = inspect_image(data)
    _check_declared(mime_type, info.mime_type)
    _check_byte_size(info.byte_size)
    encoded = base64.b64encode(data).decode("ascii")
    return ImagePart(
        image_url=ImageURL(url=f"data:{info.mime_type};base64,{encoded}", detail=detail)
    )


def image_part_from_url(url: str, *, detail: ImageDetail | None = None) -> ImagePart:
    """An image part pointing at ``url``: a ``data:`` URL (checked now) or an http(s) URL.

    An http(s) URL is not fetched here: the service fetches it. A ``data:`` URL is decoded and
    checked as :func:`image_part_from_bytes` checks bytes.
    """
    if url.startswith("data:"):
        declared, data = decode_data_url(url)
        return image_part_from_bytes(data, declared, detail=detail)
    _check_remote_url(url)
    return ImagePart(image_url=ImageURL(url=url, detail=detail))


def image_part_from_path(
    path: str | os.PathLike[str], *, detail: ImageDetail | None = None
) -> ImagePart:
    """An image part with the bytes of the file at ``path`` (format sniffed from the bytes).

    Only a regular file is read: a FIFO, device or directory is refused at once (``open`` on
    a FIFO would block until a writer came), and a file over the limit is refused by its size,
    unread.
    """
    try:
        return image_part_from_bytes(_read_regular_file(path), detail=detail)
    except InvalidRequestError as exc:
        raise InvalidRequestError(f"{os.fspath(path)}: {exc}", param=exc.param) from None


def _read_regular_file(path: str | os.PathLike[str]) -> bytes:
    # O_NONBLOCK: opening a FIFO then returns at once (to be refused below) instead of waiting
    # for a writer; it changes nothing for a regular file.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise InvalidRequestError(
                "not a regular file (a directory, pipe or device): give the path of an image file",
                param="messages",
            )
        _check_byte_size(status.st_size)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as file:
        return file.read(MAX_IMAGE_BYTES + 1)


def image_part_from_source(
    *,
    where: str,
    data: bytes | None = None,
    mime_type: str | None = None,
    path: str | os.PathLike[str] | None = None,
    url: str | None = None,
    detail: ImageDetail | None = None,
) -> ImagePart:
    """An image part from whichever source a framework's image block holds: ``data`` (bytes),
    else a file ``path``, else a ``url``.

    Every failure (no source, an unreadable file, a refused format, size or ``detail``) raises
    :class:`InvalidRequestError` naming ``where`` (e.g. ``"messages[2] part 1"``).
    """
    try:
        if data is not None:
            return image_part_from_bytes(data, mime_type, detail=detail)
        if path is not None:
            return image_part_from_path(path, detail=detail)
        if url is not None:
            return image_part_from_url(url, detail=detail)
    except (OSError, ValueError) as exc:  # ValueError: our errors and a refused detail value
        raise InvalidRequestError(f"{where}: {exc}", param="messages") from None
    raise InvalidRequestError(
        f"{where} is an image block without an image, path or url", param="messages"
    )


def _check_declared(declared: str | None, sniffed: str) -> None:
    if declared is None:
        return
    normal = declared.lower().strip()
    if normal == "image/jpg":
        normal = "image/jpeg"
    if normal != sniffed:
        raise InvalidRequestError(
            f"the image is labelled {declared!r} but its bytes are {sniffed}",
            param="messages",
        )


def _check_byte_size(size: int) -> None:
    if size > MAX_IMAGE_BYTES:
        raise InvalidRequestError(
            f"the image is {size / 1024 / 1024:.1f} MiB; the limit is "
            f"{MAX_IMAGE_BYTES // 1024 // 1024} MiB (DeepSeek sees at most a 1280 px long edge: "
            "downscale it)",
            param="messages",
        )


def _check_remote_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidRequestError(
            f"an image URL must be data: or http(s)://host/..., not {url[:60]!r}",
            param="messages",
        )
    suffix = PurePosixPath(parts.path).suffix.lower()
    unsupported = _UNSUPPORTED_EXTENSIONS.get(suffix)
    if unsupported is not None:
        raise InvalidRequestError(
            f"the image URL names {unsupported} ({suffix}); DeepSeek reads {_SUPPORTED_NAMES} "
            "images only",
            param="messages",
        )


# --------------------------------------------------------------------------------------------
# Checking a request


def image_parts_of(messages: Sequence[ChatMessage]) -> list[tuple[int, int, ImagePart]]:
    """Every image part as ``(message index, part index, part)``."""
    found: list[tuple[int, int, ImagePart]] = []
    for message_index, message in enumerate(messages):
        if isinstance(message.content, list):
            for part_index, part in enumerate(message.content):
                if isinstance(part, ImagePart):
                    found.append((message_index, part_index, part))
    return found


def check_request_images(
    messages: Sequence[ChatMessage], profile: ModelProfile, *, allow_dropped_images: bool = False
) -> None:
    """Refuse, naming the part, an image the model cannot see or the service cannot read.

    Unknown model ids (a proxy's own) are let through with their images: the proxy decides.
    """
    parts = image_parts_of(messages)
    if not parts:
        return
    first_message, first_part, _ = parts[0]
    where = f"messages[{first_message}] part {first_part}"
    if profile.known and not profile.accepts_images:
        if profile.drops_images:
            if not allow_dropped_images:
                raise InvalidRequestError(
                    f"{where} is an image, and {profile.id} accepts image parts but drops "
                    "them silently (it reads and bills only the text), so the reply would not "
                    "be about the image. Use deepseek-flash, which reads images, or set "
                    "allow_dropped_images=True to send it anyway",
                    param="messages",
                )
        else:
            raise InvalidRequestError(
                f"{where} is an image, and {profile.id} reads text only in the "
                f"{profile.era.value} era; use deepseek-flash (V4.1) for image input",
                param="messages",
            )
    for message_index, part_index, part in parts:
        try:
            _check_part(part)
        except InvalidRequestError as exc:
            raise InvalidRequestError(
                f"messages[{message_index}] part {part_index}: {exc}", param="messages"
            ) from None


def _check_part(part: ImagePart) -> None:
    url = part.image_url.url
    if url.startswith("data:"):
        declared, data = decode_data_url(url)
        info = inspect_image(data)
        _check_declared(declared, info.mime_type)
        _check_byte_size(info.byte_size)
    else:
        _check_remote_url(url)


# --------------------------------------------------------------------------------------------
# Content blocks as the frameworks spell them


_SKIPPED_BLOCK_TYPES = frozenset({"reasoning", "thinking"})


def content_from_parts(parts: Iterable[str | TextPart | ImagePart]) -> str | list[ContentPart]:
    """Message content from parts: a plain string when there is no image (the wire stays as
    text-only requests always were), else the list of text and image parts."""
    collected = [TextPart(text=part) if isinstance(part, str) else part for part in parts]
    if all(isinstance(part, TextPart) for part in collected):
        return join_texts(part.text for part in collected if isinstance(part, TextPart))
    return list(collected)


def content_from_blocks(blocks: str | Iterable[object], *, where: str) -> str | list[ContentPart]:
    """User or tool-result content from content blocks in the spellings frameworks use.

    Accepted, each as a dict: ``{"type": "text", "text": ...}`` (or a bare string);
    OpenAI's ``{"type": "image_url", "image_url": {"url": ..., "detail": ...}}``; the
    standard image block, v1 ``{"type": "image", "base64" | "url": ..., "mime_type": ...}``
    and v0 ``{"type": "image", "source_type": "base64" | "url", "data" | "url": ...}``; and
    Anthropic's ``{"type": "image", "source": {"type": "base64" | "url", ...}}``. Reasoning
    blocks are skipped. Anything else (audio, a PDF or other file, an image by ``file_id``)
    raises :class:`InvalidRequestError` naming ``where`` and the block's index. A string is
    returned as it is.
    """
    if isinstance(blocks, str):
        return blocks
    parts: list[TextPart | ImagePart] = []
    for index, block in enumerate(blocks):
        named = f"{where} part {index}"
        try:
            part = _part_from_block(block, named)
        except InvalidRequestError as exc:
            if str(exc).startswith(named):
                raise
            raise InvalidRequestError(f"{named}: {exc}", param="messages") from None
        except ValueError as exc:  # pydantic refused a field (e.g. an unknown detail)
            problems = getattr(exc, "errors", None)
            detail = (
                "; ".join(e["msg"].removeprefix("Value error, ") for e in problems())
                if callable(problems)
                else str(exc)
            )
            raise InvalidRequestError(f"{named}: {detail}", param="messages") from None
        if part is not None:
            parts.append(part)
    return content_from_parts(parts)


def _part_from_block(block: object, where: str) -> TextPart | ImagePart | None:
    if isinstance(block, str):
        return TextPart(text=block)
    if not isinstance(block, Mapping):
        raise InvalidRequestError(
            f"{where} is {type(block).__name__!r}, not a content block", param="messages"
        )
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        if not isinstance(text, str):  # the service answers 422 to this shape (a real recording)
            raise InvalidRequestError(
                f"{where} is a text block without a string 'text'", param="messages"
            )
        return TextPart(text=text)
    if kind in _SKIPPED_BLOCK_TYPES:
        return None
    if kind == "image_url":
        target = block.get("image_url")
        if isinstance(target, str):
            return image_part_from_url(target)
        if isinstance(target, Mapping) and isinstance(target.get("url"), str):
            return image_part_from_url(target["url"], detail=target.get("detail"))
        raise InvalidRequestError(f"{where} is an image_url block without a url", param="messages")
    if kind == "image":
        return _standard_image(block, where)
    raise InvalidRequestError(
        f"{where} is {kind!r}; DeepSeek reads text, and on vision models {_SUPPORTED_NAMES} "
        "images, only",
        param="messages",
    )


def _standard_image(block: Mapping[str, object], where: str) -> ImagePart:
    """An image block in LangChain's v1 (``base64``/``url``/``file_id``), v0
    (``source_type`` + ``data``/``url``/``id``) or Anthropic's (``source: {...}``) spelling."""
    extras = block.get("extras")
    detail: Any = block.get("detail") or (
        extras.get("detail") if isinstance(extras, Mapping) else None
    )
    source = block.get("source")
    if isinstance(source, Mapping):
        kind, data, url = source.get("type"), source.get("data"), source.get("url")
        mime = source.get("media_type")
    elif block.get("source_type") is not None:
        kind, url, mime = block.get("source_type"), block.get("url"), block.get("mime_type")
        data = block.get("data")
    else:
        data, url, mime = block.get("base64"), block.get("url"), block.get("mime_type")
        kind = "base64" if data is not None else "url" if url is not None else None
    if kind == "base64" and isinstance(data, str):
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequestError(f"{where} holds invalid base64", param="messages") from None
        return image_part_from_bytes(raw, mime if isinstance(mime, str) else None, detail=detail)
    if kind == "url" and isinstance(url, str):
        return image_part_from_url(url, detail=detail)
    if block.get("file_id") is not None or kind in ("id", "file"):
        raise InvalidRequestError(
            f"{where} refers to an uploaded file by id; this client sends images inline "
            "(base64) or by URL only: pass the bytes or a URL instead",
            param="messages",
        )
    raise InvalidRequestError(
        f"{where} is an image block without base64 data or a url", param="messages"
    )
