"""llama-index image blocks and image documents as the core's image parts.

An :class:`ImageBlock` holds its image one of three ways: bytes (llama-index stores them
base64-encoded), a file path, or a URL (``data:`` or http(s)). Each becomes an ``image_url``
part through the core's builders, which sniff the bytes and check format and size; an http(s)
URL is passed on for the service to fetch, never fetched here. Whether the model can see images
is the core's check when the request is built.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from io import IOBase
from typing import Any

from llama_index.core.base.llms.types import ImageBlock, TextBlock
from llama_index.core.schema import ImageNode

from deepseekapi_core import ImagePart, InvalidRequestError
from deepseekapi_core.wire._images import image_part_from_source

__all__ = ["image_blocks_from_documents", "image_part_from_block", "prompt_with_images"]


def image_part_from_block(block: ImageBlock, where: str) -> ImagePart:
    """The core image part for one :class:`ImageBlock`; errors name ``where``."""
    detail: Any = block.detail
    return image_part_from_source(
        where=where,
        data=_raw_bytes(block.image) if block.image is not None else None,
        mime_type=block.image_mimetype,
        path=block.path,
        url=str(block.url) if block.url is not None else None,
        detail=detail,
    )


def _raw_bytes(image: bytes | IOBase) -> bytes:
    if isinstance(image, IOBase):
        image.seek(0)
        data = image.read()
        return data if isinstance(data, bytes) else str(data).encode()
    # llama-index keeps an ImageBlock's bytes base64-encoded (its validator converts them).
    try:
        return base64.b64decode(image, validate=True)
    except (binascii.Error, ValueError):
        return image


def image_blocks_from_documents(
    documents: Sequence[ImageNode | ImageBlock],
) -> list[ImageBlock]:
    """``image_documents`` (as ``MultiModalLLM.complete`` takes them) as image blocks."""
    blocks: list[ImageBlock] = []
    for index, document in enumerate(documents):
        if isinstance(document, ImageBlock):
            blocks.append(document)
        elif isinstance(document, ImageNode):
            blocks.append(
                ImageBlock(
                    image=document.image.encode() if document.image else None,
                    path=document.image_path or None,  # type: ignore[arg-type]
                    url=document.image_url or None,
                    image_mimetype=document.image_mimetype,
                )
            )
        else:
            raise InvalidRequestError(
                f"image_documents[{index}] is a {type(document).__name__}; pass ImageNode "
                "or ImageBlock objects",
                param="image_documents",
            )
    return blocks


def prompt_with_images(prompt: str, images: Sequence[ImageBlock]) -> list[ImageBlock | TextBlock]:
    """The blocks of one user message: the images first, then the prompt."""
    return [*images, TextBlock(text=prompt)]
