"""The emulator's V4.1 image input: what it accepts, what it counts, what it may say.

The service of the V4.1 era (reference 1.16) takes OpenAI-style ``image_url`` parts in user
messages and tool results on its vision models, bills each image by its long edge (the measured
table in :func:`deepseekapi_core.wire.image_tokens`), refuses image parts on text-only models,
and lets ``deepseek-v4-pro`` accept them with a 200 while dropping them.

The emulator cannot see. It knows what the bytes' headers say (format and pixel size) and says
only that. Images by URL: the emulator fetches a URL only on a loopback host (127.0.0.1,
localhost, ::1), so tests can serve images with :class:`ImageServer` and stay offline; any other
URL is never fetched, counts as the token plateau (the most an image can cost), and the reply
says it was not fetched. Where the service's own error wording is unknown (an undecodable image,
a URL that cannot be fetched), the message is the emulator's and says so.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ..http._errors import InvalidRequestError
from ..wire._images import (
    IMAGE_TOKEN_TABLE,
    decode_data_url,
    image_tokens,
    inspect_image,
    sniff_image_type,
)
from ..wire._registry import Era, ModelProfile

__all__ = [
    "ImageRejected",
    "ImageServer",
    "SeenImage",
    "describe_images",
    "image_part_problem",
    "inspect_request_images",
]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_FETCH_TIMEOUT = 10.0
_EMULATOR_WORDING = "(emulator wording: the service's message for this case is not known)"

Fetch = Callable[[str], bytes]


class ImageRejected(Exception):
    """A request the service answers with a 400 because of an image part."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SeenImage:
    """One image part as the emulator understood it."""

    message_index: int
    part_index: int
    role: str
    mime_type: str | None
    width: int | None
    height: int | None
    tokens: int
    url: str | None
    """The http(s) URL it came from; None for an inline (``data:``) image."""
    fetched: bool

    def describe(self) -> str:
        """What can honestly be said: format and size, or that it was not fetched."""
        if not self.fetched:
            return f"an image at {self.url} that the emulator did not fetch (size unknown)"
        kind = {"image/jpeg": "JPEG", "image/webp": "WebP"}.get(
            self.mime_type or "", (self.mime_type or "image").removeprefix("image/").upper()
        )
        size = f"{self.width}x{self.height} px" if self.width and self.height else "unknown size"
        return f"a {kind} image of {size} ({self.tokens} tokens)"


def image_part_problem(part: Mapping[str, Any]) -> str | None:
    """What the service's deserialiser would say about a malformed ``image_url`` part."""
    target = part.get("image_url")
    if not isinstance(target, dict):
        return "missing field `image_url`"
    if not isinstance(target.get("url"), str):
        return "image_url: missing field `url`"
    detail = target.get("detail")
    if detail is not None and detail not in ("auto", "low", "high"):
        return f"image_url.detail: unknown variant `{detail}`, expected `auto`, `low` or `high`"
    return None


def _image_parts(messages: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, int, str, str]]:
    for message_index, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part_index, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == "image_url":
                yield message_index, part_index, str(message.get("role")), part["image_url"]["url"]


def inspect_request_images(
    messages: Sequence[Mapping[str, Any]],
    profile: ModelProfile,
    era: Era,
    *,
    fetch: Fetch | None = None,
) -> list[SeenImage]:
    """The images a request's model sees, with their token counts.

    Raises :class:`ImageRejected` for image parts on a text-only model (the service's
    deserialiser error), an image that is not JPEG/PNG/GIF/WebP, or a loopback URL that
    cannot be fetched. A model that drops images (``deepseek-v4-pro``) sees none: ``[]``.
    """
    found = list(_image_parts(messages))
    if not found:
        return []
    if era is not Era.V4_1 or (profile.known and not profile.accepts_images):
        if profile.drops_images:
            return []
        raise ImageRejected("unknown variant `image_url`, expected `text`")
    seen: list[SeenImage] = []
    for message_index, part_index, role, url in found:
        where = f"messages[{message_index}].content[{part_index}]"
        remote = None if url.startswith("data:") else url
        if remote is not None and urlsplit(remote).hostname not in LOOPBACK_HOSTS:
            seen.append(
                SeenImage(
                    message_index,
                    part_index,
                    role,
                    None,
                    None,
                    None,
                    IMAGE_TOKEN_TABLE[-1][1],
                    remote,
                    fetched=False,
                )
            )
            continue
        try:
            data = decode_data_url(url)[1] if remote is None else (fetch or fetch_loopback)(url)
            info = inspect_image(data)
        except (InvalidRequestError, OSError) as exc:
            raise ImageRejected(f"Invalid image at {where}: {exc} {_EMULATOR_WORDING}") from None
        seen.append(
            SeenImage(
                message_index,
                part_index,
                role,
                info.mime_type,
                info.width,
                info.height,
                image_tokens(info.width, info.height),
                remote,
                fetched=True,
            )
        )
    return seen


def describe_images(images: Sequence[SeenImage], *, received: bool = True) -> str:
    """A sentence for a reply: the images by format and size, and that nothing was seen.

    ``received=False`` words it for a tool result ("2 images: ...") rather than a user turn.
    """
    if not images:
        return ""
    listed = "; ".join(image.describe() for image in images)
    noun = "image" if len(images) == 1 else "images"
    lead = "I received " if received else ""
    return (
        f"{lead}{len(images)} {noun}: {listed}. The emulator cannot see image contents, "
        "only their format and size."
    )


def fetch_loopback(url: str) -> bytes:
    """GET a loopback URL (the only kind the emulator fetches)."""
    if urlsplit(url).hostname not in LOOPBACK_HOSTS:
        raise OSError(f"the emulator fetches loopback URLs only, not {url}")
    try:
        with urllib.request.urlopen(url, timeout=_FETCH_TIMEOUT) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        raise OSError(f"fetching {url} answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise OSError(f"fetching {url} failed: {exc.reason}") from None


# --------------------------------------------------------------------------------------------
# Serving images on loopback (tests and examples)


class ImageServer:
    """Serves files from memory on 127.0.0.1 so image URLs work offline.

    Example:
        >>> with ImageServer({"cat.png": png_bytes}) as server:  # doctest: +SKIP
        ...     url = server.url("cat.png")  # http://127.0.0.1:PORT/cat.png
    """

    def __init__(self, files: Mapping[str, bytes], content_types: Mapping[str, str] | None = None):
        self.files = dict(files)
        self.content_types = dict(content_types or {})
        self.requests: list[str] = []
        """Paths requested, in order."""
        served = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.lstrip("/").split("?", 1)[0]
                served.requests.append(self.path)
                body = served.files.get(name)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                kind = (
                    served.content_types.get(name)
                    or sniff_image_type(body)
                    or "application/octet-stream"
                )
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, name: str) -> str:
        """The URL of one served file."""
        return f"{self.base_url}/{name}"

    def start(self) -> ImageServer:
        """Start serving in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="image-server", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ImageServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
