"""The ``deepseekapi`` command: chat, list models, serve the emulator, run the demo.

Without ``DEEPSEEKAPI_API_KEY`` (or ``DEEPSEEK_API_KEY``) in the environment, ``chat``,
``models`` and ``demo`` run against the in-process emulator and say so; with a key they use
the real service (``DEEPSEEKAPI_BASE_URL`` or the default base URL). ``--emulator`` forces the
emulator.

Adapter hooks
-------------
``demo`` and ``chat --via`` reach the framework adapters through a small module each adapter
ships, ``langchain_deepseekapi._cli`` and ``llama_index_deepseekapi._cli``, imported only when
needed. Each module provides two functions, :data:`DemoHook` and :data:`ChatHook`::

    def run_demo(context: HookContext) -> None: ...
    def chat(context: HookContext, prompt: str, model: str) -> None: ...

The :class:`HookContext` says where requests go (``context.model_options()``: the emulator's
transports when running offline, nothing for the real service) and writes the output: one
``context.step(...)`` per step (chain, agent with tools, RAG query, ...), its results with
``context.show``/``context.tool_call``, streamed replies with ``context.reply`` (reasoning
apart from the answer, then the tokens). What the demo asks, over which documents and with
which tools, is ``deepseekapi_core.cli.demo``'s, the same for every adapter. Raise exceptions
as usual: the command turns them into one line. A missing framework (``ImportError``) is
reported as the extra to install.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from .._extras import install_command
from ..wire._registry import DEFAULT_ERA
from ._demo import one_line, usage_line

if TYPE_CHECKING:
    import httpx

    from ..testing import Emulator
    from ..wire._responses import ChatCompletionChunk


_EMULATOR_KEY = "sk-emulator"

ADAPTERS: dict[str, tuple[str, str, str]] = {
    "langchain": ("LangChain", "langchain_deepseekapi._cli", "langchain"),
    "llama-index": ("LlamaIndex", "llama_index_deepseekapi._cli", "llama-index"),
}
"""``--via`` name -> (display name, hook module, extra to install)."""

_FRAMEWORK_PREFIXES = ("langchain", "langgraph", "llama_index")


_DETAIL = "    "  # a step's results sit under its title

ReplyPart = tuple[str | None, str | None, Mapping[str, Any] | None]
"""A streamed reply's piece: (reasoning delta, answer delta, usage counts by the service's usage
names or None); the usage comes with the last piece or two."""


@dataclass(frozen=True)
class HookContext:
    """What the command hands an adapter's hook: where requests go, and where to write.

    ``out(text)`` writes ``text`` exactly as given and flushes, so replies stream piece by
    piece; the methods write the demo's lines, indented under the step.
    """

    transport: httpx.BaseTransport | None
    async_transport: httpx.AsyncBaseTransport | None
    api_key: str | None
    out: Callable[[str], None]

    def model_options(self) -> dict[str, Any]:
        """The constructor options both adapters take (``transport=``, ``async_transport=``,
        ``api_key=``), only those given: none for the real service with the usual key."""
        options = {
            "transport": self.transport,
            "async_transport": self.async_transport,
            "api_key": self.api_key,
        }
        return {name: value for name, value in options.items() if value is not None}

    def step(self, title: str) -> None:
        """Announce one step of the adapter's demo."""
        self.out(f"  • {title}\n")

    def show(self, label: str, text: str) -> None:
        """One result of the current step, on one line."""
        self.out(f"{_DETAIL}{label}: {one_line(text)}\n")

    def tool_call(self, name: str, arguments: Mapping[str, Any]) -> None:
        """A tool call the model made."""
        self.out(f"{_DETAIL}tool call: {name}({dict(arguments)})\n")

    def reply(self, parts: Iterable[ReplyPart], *, indent: str = _DETAIL) -> None:
        """Stream a reply (see :func:`write_reply`), then its tokens when the usage came."""
        usage: Mapping[str, Any] | None = None

        def deltas() -> Iterator[tuple[str | None, str | None]]:
            nonlocal usage
            for reasoning, answer, counts in parts:
                usage = counts or usage
                yield reasoning, answer

        write_reply(deltas(), self.out, indent=indent)
        if usage:
            self.out(f"{indent}{usage_line(usage)}\n")


DemoHook = Callable[[HookContext], None]
"""``<adapter>._cli.run_demo(context)``: run the adapter's part of ``deepseekapi demo``."""

ChatHook = Callable[[HookContext, str, str], None]
"""``<adapter>._cli.chat(context, prompt, model)``: stream one reply for ``deepseekapi chat
--via <adapter>``."""


def write_reply(
    parts: Iterable[tuple[str | None, str | None]],
    out: Callable[[str], None],
    *,
    indent: str = "",
) -> None:
    """Write a streamed reply given as ``(reasoning, answer)`` deltas: the reasoning first,
    then the answer, each labelled once (the adapters' hooks all show a reply this way)."""
    dim = out.dim if isinstance(out, _Output) else str
    bold = out.bold if isinstance(out, _Output) else str
    phase = ""
    for reasoning, answer in parts:
        if reasoning:
            if phase != "reasoning":
                out(indent + dim("reasoning: "))
                phase = "reasoning"
            out(dim(reasoning))
        if answer:
            if phase != "answer":
                out(("\n" if phase else "") + indent + bold("answer: "))
                phase = "answer"
            out(answer)
    out("\n")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


@dataclass
class _Backend:
    """Where requests go: the emulator in-process, or the real service."""

    emulated: bool
    api_key: str | None
    transport: httpx.BaseTransport | None
    async_transport: httpx.AsyncBaseTransport | None
    emulator: Emulator | None


class _Output:
    """Writes to a stream, flushing, with optional dim styling on terminals."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        isatty = getattr(stream, "isatty", None)
        self.color = bool(isatty and isatty()) and "NO_COLOR" not in os.environ

    def __call__(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def line(self, text: str = "") -> None:
        self(text + "\n")

    def dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.color and text else text


def _backend(force_emulator: bool, notice: Callable[[str], None]) -> _Backend:
    from ..http._config import resolve_api_key, resolve_base_url

    if force_emulator or resolve_api_key(None) is None:
        from ..testing import Emulator

        emulator = Emulator()
        transport = emulator.transport()
        reason = (
            "--emulator given"
            if force_emulator
            else "no DEEPSEEKAPI_API_KEY or DEEPSEEK_API_KEY set"
        )
        notice(f"Offline: using the built-in DeepSeek emulator ({reason}); replies are emulated.")
        return _Backend(True, _EMULATOR_KEY, transport, transport, emulator)
    notice(f"Online: using the DeepSeek service at {resolve_base_url(None)}.")
    return _Backend(False, None, None, None, None)


# ------------------------------------------------------------------------------------------
# Commands


def _stream_reply(
    backend: _Backend, model: str, prompt: str, out: _Output, *, indent: str = ""
) -> ChatCompletionChunk | None:
    """Stream one reply through the core client, reasoning apart from the answer.

    Returns the chunk with the reply's usage (the service sends it on the last chunk).
    """
    from .. import DeepSeekClient

    last: ChatCompletionChunk | None = None
    with DeepSeekClient(api_key=backend.api_key, transport=backend.transport) as client:
        phase = ""
        for chunk in client.stream_chat(
            model=model, messages=[{"role": "user", "content": prompt}]
        ):
            last = chunk if chunk.usage is not None else last
            delta = chunk.delta
            if delta is None:
                continue
            if delta.reasoning_content:
                if phase != "reasoning":
                    out(indent + out.dim("reasoning: "))
                    phase = "reasoning"
                out(out.dim(delta.reasoning_content))
            if delta.content:
                if phase != "answer":
                    if phase == "reasoning":
                        out("\n")
                    out(indent + out.bold("answer: "))
                    phase = "answer"
                out(delta.content)
            for call in delta.tool_calls or ():
                if call.function is not None and call.function.name:
                    out(f"\ntool call: {call.function.name}")
        out("\n")
    return last


def _cost_line(model: str, last: ChatCompletionChunk | None) -> str:
    """What the call used and cost, by the price table (``DEEPSEEKAPI_PRICES`` or DeepSeek's)
    at the time the reply was answered."""
    from ..accounting._pricing import reply_cost

    usage = last.usage if last is not None else None
    if last is None or usage is None:
        return f"{model}: the service reported no usage, so no cost"
    tokens = f"{usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens"
    cost = reply_cost(last, model)
    if cost is None:
        return f"{model}: {tokens}; no price known for {model} (set DEEPSEEKAPI_PRICES)"
    return f"{model}: {tokens}; {cost.summary()}"


def _adapter_module(via: str) -> tuple[object | None, str]:
    """The adapter's hook module, or None and the line saying which extra to install."""
    display, module_name, extra = ADAPTERS[via]
    hint = f"{display} support is not installed: {install_command(extra)}"
    try:
        return importlib.import_module(module_name), hint
    except ImportError as error:
        missing = getattr(error, "name", None) or ""
        if missing == module_name:
            return None, f"the {display} adapter has no command-line hook ({module_name})"
        if missing.startswith(_FRAMEWORK_PREFIXES) or "deepseekapi-integrations[" in str(error):
            return None, hint
        raise


def _cmd_chat(args: argparse.Namespace, out: _Output, err: _Output) -> int:
    backend = _backend(args.emulator, err.line)
    if args.via == "core":
        usage = _stream_reply(backend, args.model, args.prompt, out)
        out.line(out.dim(_cost_line(args.model, usage)))
        return 0
    module, hint = _adapter_module(args.via)
    if module is None:
        err.line(hint)
        return 1
    hook: ChatHook | None = getattr(module, "chat", None)
    if hook is None:
        err.line(f"{ADAPTERS[args.via][0]} adapter has no chat hook ({ADAPTERS[args.via][1]}.chat)")
        return 1
    context = HookContext(backend.transport, backend.async_transport, backend.api_key, out)
    hook(context, args.prompt, args.model)
    return 0


def _cmd_models(args: argparse.Namespace, out: _Output, err: _Output) -> int:
    from .. import DeepSeekClient

    backend = _backend(args.emulator, err.line)
    with DeepSeekClient(api_key=backend.api_key, transport=backend.transport) as client:
        for model in client.list_models():
            out.line(model.id)
    return 0


def _cmd_emulator(args: argparse.Namespace, out: _Output, err: _Output) -> int:
    from ..testing import Emulator, EmulatorServer
    from ..wire._registry import Era

    try:
        era = Era(args.era)
    except ValueError:
        choices = ", ".join(e.value for e in Era)
        raise _UsageError(
            f"deepseekapi emulator: unknown era {args.era!r} (choose from {choices})"
        ) from None
    emulator = Emulator(era=era, api_key=args.api_key)
    try:
        server = EmulatorServer(emulator, host=args.host, port=args.port)
    except ValueError as error:
        raise _UsageError(f"deepseekapi emulator: {error}") from None
    try:
        server.start()
    except OSError as error:
        err.line(f"error: cannot listen on {args.host}:{args.port}: {error.strerror or error}")
        return 1
    key_note = "the API key given with --api-key" if args.api_key else "any non-empty API key"
    out.line(f"DeepSeek emulator (era {era.value}) listening on {server.base_url}")
    out.line(f"Accepts {key_note}; replies are emulated. Ctrl-C stops it.")
    out.line(
        f"Try: curl {server.base_url}/chat/completions -H 'Authorization: Bearer sk-test' "
        "-H 'Content-Type: application/json' "
        '-d \'{"model":"deepseek-chat","messages":[{"role":"user","content":"Hello"}]}\''
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        out.line("\nStopped.")
    return 0


def _demo_core_call(backend: _Backend, out: _Output) -> None:
    from .. import DeepSeekClient

    with DeepSeekClient(api_key=backend.api_key, transport=backend.transport) as client:
        completion = client.chat(
            model="deepseek-chat",
            messages=[
                {"role": "system", "content": "You are a concise assistant."},
                {"role": "user", "content": "In one sentence: what is DeepSeek?"},
            ],
        )
    out.line(f"  answer: {completion.message.content}")
    usage = completion.usage
    if usage is not None:
        out.line(
            out.dim(
                f"  model {completion.model}, {usage.prompt_tokens} prompt + "
                f"{usage.completion_tokens} completion tokens"
            )
        )


def _demo_adapter(via: str, backend: _Backend, out: _Output) -> bool | None:
    """Run one adapter's demo hook: True when it ran, False when it failed, None if skipped."""
    _, module_name, _ = ADAPTERS[via]
    module, hint = _adapter_module(via)
    if module is None:
        out.line(f"  skipped: {hint}")
        return None
    hook: DemoHook | None = getattr(module, "run_demo", None)
    if hook is None:
        out.line(f"  skipped: {module_name} has no run_demo hook yet")
        return None
    try:
        hook(HookContext(backend.transport, backend.async_transport, backend.api_key, out))
    except Exception as error:
        out.line(f"  error: {_one_line(error)}")
        return False
    return True


def _cmd_demo(args: argparse.Namespace, out: _Output, err: _Output) -> int:
    started = time.perf_counter()
    backend = _backend(args.emulator, out.line)
    steps = 3 + len(ADAPTERS)

    def step(number: int, title: str) -> float:
        out.line(out.bold(f"\n[{number}/{steps}] {title}"))
        return time.perf_counter()

    def done(since: float) -> None:
        out.line(out.dim(f"  done in {time.perf_counter() - since:.2f} s"))

    since = step(1, "A plain call with the core client (deepseek-chat)")
    _demo_core_call(backend, out)
    done(since)

    since = step(2, "A streamed reasoner call with the core client (deepseek-reasoner)")
    _stream_reply(backend, "deepseek-reasoner", "Is 17 a prime number?", out, indent="  ")
    done(since)

    since = step(3, "Beta features and the hour's price with the core client")
    from ._beta_demo import run_beta_demo

    run_beta_demo(
        backend.api_key,
        backend.transport,
        lambda label, text: out.line(
            f"  {label}: {out.dim(text) if label == 'beta URL' else text}"
        ),
    )
    done(since)

    failures = 0
    for number, via in enumerate(ADAPTERS, start=4):
        title = f"The {ADAPTERS[via][0]} adapter: chains, an agent with tools, a RAG query"
        since = step(number, title)
        ran = _demo_adapter(via, backend, out)
        failures += ran is False
        if ran:
            done(since)

    where = "the offline emulator" if backend.emulated else "the DeepSeek service"
    total = time.perf_counter() - started
    if failures:
        out.line(
            f"\nDemo finished against {where} in {total:.1f} s with {failures} failed step(s)."
        )
        return 1
    out.line(f"\nDemo finished against {where} in {total:.1f} s.")
    return 0


# ------------------------------------------------------------------------------------------
# Entry point


def _parser() -> _Parser:
    parser = _Parser(
        prog="deepseekapi",
        description=(
            "DeepSeek from the command line. Without DEEPSEEKAPI_API_KEY/DEEPSEEK_API_KEY, "
            "chat, models and demo use the offline emulator."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    chat = commands.add_parser("chat", help="stream one reply to PROMPT")
    chat.add_argument("prompt", metavar="PROMPT", help="what to ask")
    chat.add_argument("--model", default="deepseek-chat", help="model id (default: deepseek-chat)")
    chat.add_argument(
        "--via",
        choices=("core", *ADAPTERS),
        default="core",
        help="which layer sends the request (default: core)",
    )
    chat.add_argument(
        "--emulator", action="store_true", help="use the offline emulator even with a key"
    )

    models = commands.add_parser("models", help="list the available models")
    models.add_argument(
        "--emulator", action="store_true", help="use the offline emulator even with a key"
    )

    emulator = commands.add_parser("emulator", help="serve the emulator on the loopback interface")
    emulator.add_argument(
        "--host", default="127.0.0.1", help="127.0.0.1 (default), localhost or ::1"
    )
    emulator.add_argument(
        "--port", type=int, default=8000, help="TCP port, 0 for any free one (default: 8000)"
    )
    emulator.add_argument(
        "--era", default=DEFAULT_ERA.value, help="r1, v3.1, v3.2, v4 or v4.1 (default: v4.1)"
    )
    emulator.add_argument("--api-key", default=None, help="accept only this key (default: any)")

    demo = commands.add_parser("demo", help="run the end-to-end demo")
    demo.add_argument(
        "--emulator", action="store_true", help="use the offline emulator even with a key"
    )
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace, _Output, _Output], int]] = {
    "chat": _cmd_chat,
    "models": _cmd_models,
    "emulator": _cmd_emulator,
    "demo": _cmd_demo,
}


def _one_line(error: BaseException) -> str:
    return one_line(str(error), 400) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 failure, 2 bad arguments)."""
    out = _Output(sys.stdout)
    err = _Output(sys.stderr)
    try:
        args = _parser().parse_args(argv)
        return _COMMANDS[args.command](args, out, err)
    except _UsageError as error:
        err.line(str(error))
        return 2
    except KeyboardInterrupt:
        err.line("Interrupted.")
        return 130
    except Exception as error:
        from ..http._errors import DeepSeekAPIError

        if isinstance(error, DeepSeekAPIError):
            err.line(f"error: {_one_line(error)}")
        else:
            err.line(f"error: {type(error).__name__}: {_one_line(error)}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
