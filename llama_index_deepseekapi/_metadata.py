"""``DeepSeekAPI.metadata``: llama-index's ``LLMMetadata`` from the core's model registry.

The core is imported on first use, as in the rest of the adapter, so that importing the
adapter stays cheap.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from llama_index.core.base.llms.types import LLMMetadata, MessageRole
from llama_index.core.bridge.pydantic import Field

if TYPE_CHECKING:
    from deepseekapi_core import Era

__all__ = ["DeepSeekLLMMetadata", "llm_metadata"]


class DeepSeekLLMMetadata(LLMMetadata):
    """llama-index's ``LLMMetadata`` plus what the model reads (it has no field for that)."""

    image_inputs: bool = Field(
        default=False, description="Whether the model reads image blocks (vision models)."
    )
    input_modalities: list[str] = Field(
        default_factory=lambda: ["text"], description='What the model reads: "text", "image".'
    )


@functools.lru_cache(maxsize=64)
def llm_metadata(
    model: str,
    era: Era,
    thinking: bool | None,
    is_function_calling_model: bool | None,
    context_window: int | None,
    max_tokens: int | None,
    is_chat_model: bool,
) -> DeepSeekLLMMetadata:
    """``DeepSeekAPI.metadata`` for these settings (the registry's profiles never change)."""
    from deepseekapi_core import get_model_profile

    profile = get_model_profile(model, era)
    tools = profile.calls_tools(thinking)
    if is_function_calling_model is not None:
        tools = is_function_calling_model
    return DeepSeekLLMMetadata(
        context_window=context_window or profile.context_window,
        num_output=max_tokens or profile.max_output_tokens,
        is_chat_model=is_chat_model,
        is_function_calling_model=tools,
        model_name=model,
        system_role=MessageRole.SYSTEM,
        image_inputs=profile.accepts_images,
        input_modalities=sorted(profile.input_modalities, key=("text", "image").index),
    )
