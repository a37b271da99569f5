"""Fill-in-the-middle (FIM) completion, a beta feature: ``POST <beta base URL>/completions``.

:class:`FIMRequest` is the one list of FIM parameters, as :class:`ChatRequest` is for chat: the
body is its dump (minus :attr:`FIMRequest.NON_WIRE_FIELDS`), its bounds are pydantic
constraints (the emulator's checks read them). The facts, with their sources, are in
``docs/fim_completion.md``: FIM is served at the beta base URL only, in non-thinking mode only
(the thinking-only ``deepseek-reasoner`` never), and "The max tokens of FIM completion is 4K".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from pydantic import Field, model_validator

from ..http._errors import UnsupportedParameterError
from ._models import StreamOptions, _Request, _Response
from ._registry import DEFAULT_ERA, Era, get_model_profile, known_model_ids
from ._responses import Usage, _WithHeaders

__all__ = [
    "FIM_MAX_TOKENS",
    "FIMAccumulator",
    "FIMChoice",
    "FIMChunk",
    "FIMCompletion",
    "FIMLogprobs",
    "FIMRequest",
    "build_fim_body",
    "fim_chunks_from_completion",
    "fim_model_ids",
]

FIM_MAX_TOKENS = 4096
"""The longest FIM completion: "The max tokens of FIM completion is 4K" (the FIM guide)."""


class FIMRequest(_Request):
    """A FIM completion request, validated before it is sent.

    The model completes the text between ``prompt`` (what comes before) and ``suffix`` (what
    comes after, optional). Every field is sent (when set) under its own name, except
    :attr:`NON_WIRE_FIELDS`; ``stream`` is set by the method called.
    """

    NON_WIRE_FIELDS: ClassVar[frozenset[str]] = frozenset({"extra_body"})
    """Fields never sent under their own name: ``extra_body`` is merged into the body."""

    model: str = Field(min_length=1)
    prompt: str
    suffix: str | None = None
    echo: bool | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=FIM_MAX_TOKENS)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    stop: str | Annotated[list[str], Field(min_length=1, max_length=16)] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    extra_body: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check_echo(self) -> FIMRequest:
        # The create-completion page (zh-cn, late 2026): echo "cannot be used with suffix or
        # logprobs".
        if self.echo and self.suffix is not None:
            raise ValueError("echo cannot be used with suffix (the service refuses the pair)")
        if self.echo and self.logprobs is not None:
            raise ValueError("echo cannot be used with logprobs (the service refuses the pair)")
        return self


class FIMLogprobs(_Response):
    """Log probabilities of a FIM completion's tokens (the legacy completions shape)."""

    text_offset: list[int] | None = None
    token_logprobs: list[float | None] | None = None
    tokens: list[str] | None = None
    top_logprobs: list[dict[str, float] | None] | None = None


class FIMChoice(_Response):
    """One choice of a FIM completion, or of one of its stream chunks."""

    index: int = 0
    text: str = ""
    logprobs: FIMLogprobs | None = None
    finish_reason: str | None = None


class _FIMReply(_WithHeaders):
    id: str = ""
    object: str = "text_completion"
    created: int = 0
    model: str = ""
    system_fingerprint: str | None = None
    usage: Usage | None = None


class FIMCompletion(_FIMReply):
    """A FIM completion (``object: "text_completion"``); ``text`` is the middle."""

    choices: list[FIMChoice] = Field(min_length=1)

    @property
    def text(self) -> str:
        """The first choice's text (the service returns one choice)."""
        return self.choices[0].text

    @property
    def finish_reason(self) -> str | None:
        """The first choice's finish reason."""
        return self.choices[0].finish_reason


class FIMChunk(_FIMReply):
    """One server-sent event of a streamed FIM completion (same ``object`` as the whole
    reply); the finishing chunk carries ``usage``."""

    choices: list[FIMChoice] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """The text this chunk adds ("" on a usage-only chunk)."""
        return self.choices[0].text if self.choices else ""

    @property
    def finish_reason(self) -> str | None:
        """The first choice's finish reason, if this chunk ends the reply."""
        return self.choices[0].finish_reason if self.choices else None


@dataclass(slots=True)
class FIMAccumulator:
    """Folds FIM stream chunks into one reply (text, logprobs, finish reason, usage).

    Shares the chat accumulator's reading side (``text``, ``reasoning_text``, ``tool_calls``,
    ``finished``) so the stream decoder and its errors treat both alike.
    """

    id: str = ""
    model: str = ""
    created: int = 0
    system_fingerprint: str | None = None
    pieces: list[str] = field(default_factory=list)
    logprobs: FIMLogprobs | None = None
    finish_reason: str | None = None
    usage: Usage | None = None

    def add(self, chunk: FIMChunk) -> bool:
        """Fold ``chunk`` in; return whether it carried text."""
        self.id = chunk.id or self.id
        self.model = chunk.model or self.model
        self.created = chunk.created or self.created
        self.system_fingerprint = chunk.system_fingerprint or self.system_fingerprint
        if chunk.usage is not None:
            self.usage = chunk.usage
        if not chunk.choices:
            return False
        choice = chunk.choices[0]
        if choice.finish_reason is not None:
            self.finish_reason = choice.finish_reason
        if choice.logprobs is not None:
            self._add_logprobs(choice.logprobs)
        if choice.text:
            self.pieces.append(choice.text)
            return True
        return False

    def _add_logprobs(self, more: FIMLogprobs) -> None:
        if self.logprobs is None:
            self.logprobs = FIMLogprobs()
        held = self.logprobs
        for name in ("text_offset", "token_logprobs", "tokens", "top_logprobs"):
            extra = getattr(more, name)
            if extra is not None:
                setattr(held, name, [*(getattr(held, name) or []), *extra])

    @property
    def text(self) -> str:
        """The middle so far."""
        return "".join(self.pieces)

    @property
    def reasoning_text(self) -> str:
        """Always "": FIM runs in non-thinking mode only."""
        return ""

    @property
    def tool_calls(self) -> dict[int, Any]:
        """Always empty: FIM takes no tools."""
        return {}

    @property
    def finished(self) -> bool:
        """Whether a finish reason arrived."""
        return self.finish_reason is not None

    def to_completion(self) -> FIMCompletion:
        """The accumulated reply as a non-streaming completion."""
        choice = FIMChoice(text=self.text, logprobs=self.logprobs, finish_reason=self.finish_reason)
        return FIMCompletion(
            id=self.id,
            created=self.created,
            model=self.model,
            system_fingerprint=self.system_fingerprint,
            choices=[choice],
            usage=self.usage,
        )


def fim_chunks_from_completion(completion: FIMCompletion) -> list[FIMChunk]:
    """A whole reply as the chunks a stream of it would carry: the text, then the finish
    reason with usage."""
    common: dict[str, Any] = {
        "id": completion.id,
        "created": completion.created,
        "model": completion.model,
        "system_fingerprint": completion.system_fingerprint,
    }
    choice = completion.choices[0]
    chunks = []
    if choice.text:
        text = FIMChoice(text=choice.text, logprobs=choice.logprobs)
        chunks.append(FIMChunk.model_validate({**common, "choices": [text]}))
    end = FIMChoice(finish_reason=choice.finish_reason)
    chunks.append(FIMChunk.model_validate({**common, "choices": [end], "usage": completion.usage}))
    return chunks


def fim_model_ids(era: Era = DEFAULT_ERA) -> tuple[str, ...]:
    """The ids the registry knows in ``era`` that take FIM completion."""
    return tuple(m for m in known_model_ids(era) if get_model_profile(m, era).supports_fim)


def build_fim_body(request: FIMRequest, *, stream: bool, era: Era = DEFAULT_ERA) -> dict[str, Any]:
    """The JSON body of ``request``: a model without FIM (thinking only) is refused before
    sending; a stream asks for usage on its last chunk unless the request says otherwise."""
    model = request.model
    if request.extra_body and isinstance(request.extra_body.get("model"), str):
        model = request.extra_body["model"]
    profile = get_model_profile(model, era)
    if not profile.supports_fim:
        usable = ", ".join(fim_model_ids(era))
        raise UnsupportedParameterError(
            f"{model} does not take FIM completion: it runs only in thinking mode, and FIM is "
            f"non-thinking only; use a non-thinking model ({usable})",
            param="model",
        )
    body = request.model_dump(exclude_none=True, exclude=set(FIMRequest.NON_WIRE_FIELDS))
    body.pop("stream_options", None)  # only with stream: true (else a 400)
    body["stream"] = stream
    if stream:
        options = request.stream_options
        include = (
            True if options is None or options.include_usage is None else options.include_usage
        )
        body["stream_options"] = {"include_usage": include}
    if request.extra_body:
        body.update(request.extra_body)
    return body
