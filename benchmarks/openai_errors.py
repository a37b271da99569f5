"""What making our errors openai's classes costs (issue 22, point 1).

``python benchmarks/openai_errors.py [RUNS]`` prints, each a median over ``RUNS`` fresh
interpreters (default 15):

* the import time of each adapter with its class (``openai`` installed, not imported), and
  whether ``openai`` ended up in ``sys.modules``;
* the cost of building and raising one 429 error, without ``openai`` imported and with it
  (after the first error, which pays the one-time grafting when ``openai`` is loaded).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

IMPORT = """
import sys, time
start = time.perf_counter()
import {module}
getattr({module}, "{attribute}")
elapsed = time.perf_counter() - start
print(elapsed, "openai" in sys.modules)
"""

RAISE = """
import time, httpx
{pre}
from deepseekapi_core.http._errors import make_status_error
request = httpx.Request("POST", "https://api.deepseekapi.dev/v1/chat/completions")
response = httpx.Response(429, json={{"error": {{"message": "slow"}}}}, request=request)
def once():
    try:
        raise make_status_error(response, retry_after=1.0)
    except Exception:
        pass
start = time.perf_counter(); once(); first = time.perf_counter() - start
start = time.perf_counter()
for _ in range(20000):
    once()
print(first, (time.perf_counter() - start) / 20000)
"""


def _run(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def main(runs: int) -> None:
    figures: dict[str, object] = {}
    for module, attribute in (
        ("langchain_deepseekapi", "ChatDeepSeekAPI"),
        ("llama_index_deepseekapi", "DeepSeekAPI"),
    ):
        samples = [_run(IMPORT.format(module=module, attribute=attribute)) for _ in range(runs)]
        figures[f"import {module} (ms)"] = round(
            statistics.median(float(s[0]) for s in samples) * 1000, 1
        )
        figures[f"import {module} loads openai"] = any(s[1] == "True" for s in samples)
    for label, pre in (("without openai", ""), ("with openai imported", "import openai")):
        samples = [_run(RAISE.format(pre=pre)) for _ in range(max(3, runs // 3))]
        figures[f"first error {label} (us)"] = round(
            statistics.median(float(s[0]) for s in samples) * 1e6, 1
        )
        figures[f"each error {label} (us)"] = round(
            statistics.median(float(s[1]) for s in samples) * 1e6, 2
        )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
