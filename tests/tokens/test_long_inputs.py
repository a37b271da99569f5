"""Degenerate long inputs (10 million whitespace characters) are counted in bounded memory,
never with a Rust panic (issue 23, point 15)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from deepseekapi_core.accounting._tokenizer import DeepSeekTokenizer

MEASURE = """
import resource, sys, time
from deepseekapi_core.accounting._tokenizer import get_tokenizer
tokenizer = get_tokenizer()
tokenizer.count("warm up")
text = {"spaces": " " * 10_000_000, "newlines": "\\n" * 10_000_000,
        "mixed": " \\t\\n" * 3_400_000}[sys.argv[2]]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
tokens = getattr(tokenizer, sys.argv[1])(text)
tokens = tokens if isinstance(tokens, int) else len(tokens)
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024
print(tokens, grown, round(time.monotonic() - started, 2))
"""


@pytest.mark.parametrize(
    ("method", "text"),
    [("count", "spaces"), ("count_large", "spaces"), ("count", "newlines"), ("count", "mixed")],
)
def test_ten_million_whitespace_characters_in_bounded_memory(
    method: str, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, method, text],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "PanicException" not in done.stderr and "panicked" not in done.stderr
    assert done.returncode == 0, done.stderr[-2000:]
    tokens, grown_mb, seconds = done.stdout.split()
    with capsys.disabled():
        print(f"\n[tokenizer] {method} of 10 M {text}: {tokens} tokens, +{grown_mb} MB, {seconds}s")
    assert int(tokens) > 0
    assert int(grown_mb) < 200


def test_pieces_of_ordinary_text_still_count_exactly(tokenizer: DeepSeekTokenizer) -> None:
    text = ("The quick brown fox jumps over the lazy dog.\n" + "x" * 50) * 20_000
    assert tokenizer.count(text) == len(tokenizer._tokenizer.encode(text).ids)


def test_a_long_run_counts_close_to_the_whole(tokenizer: DeepSeekTokenizer) -> None:
    run = " " * 300_000  # long enough to be cut, short enough to count whole
    whole = len(tokenizer._tokenizer.encode(run, add_special_tokens=False).ids)
    assert abs(tokenizer.count(run) - whole) <= max(whole // 100, 5)
    assert tokenizer.decode(tokenizer.encode(run)) == run
