"""Fill-in-the-middle (FIM) code completion, DeepSeek's beta feature: the model writes what goes
between the code before the cursor (the prompt) and the code after it (the suffix).

The same completion three ways: the core client (streamed, as an editor would show it),
LangChain's ``DeepSeekAPIFIM`` and LlamaIndex's ``DeepSeekAPI.complete(prompt, suffix=...)``.
Then what is refused before anything is sent: a thinking-only model, and more than 4K tokens.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set (requests
go to the beta base URL, ``<base>/beta`` unless DEEPSEEKAPI_BETA_BASE_URL says otherwise),
otherwise against the offline emulator.

    python examples/fim_code_completion.py
"""

from __future__ import annotations

import os
from typing import Any

from deepseekapi_core import DeepSeekClient, InvalidRequestError
from langchain_deepseekapi import DeepSeekAPIFIM
from llama_index_deepseekapi import DeepSeekAPI

BEFORE = '''def fibonacci(n: int) -> int:
    """The n-th Fibonacci number."""
'''
AFTER = """    return fibonacci(n - 1) + fibonacci(n - 2)


print(fibonacci(10))
"""


def connection() -> dict[str, Any]:
    """The real service when a key is set, else the offline emulator (one for all three)."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        return {}
    from deepseekapi_core.testing import Emulator

    print("(no API key set: using the offline emulator; replies are emulated)\n")
    return {"api_key": "sk-emulator", "transport": Emulator().transport()}


def show(label: str, middle: str) -> None:
    print(f"--- {label} ---")
    print(BEFORE + middle + AFTER)


def main() -> None:
    conn = connection()

    with DeepSeekClient(**conn) as client:
        print("--- core client, streamed ---")
        print(BEFORE, end="")
        usage = None
        for chunk in client.stream_fim(
            model="deepseek-chat", prompt=BEFORE, suffix=AFTER, max_tokens=128
        ):
            print(chunk.text, end="", flush=True)
            if chunk.usage is not None:
                usage = chunk.usage
        print(AFTER)
        if usage is not None:
            print(f"tokens: {usage.prompt_tokens} in, {usage.completion_tokens} out\n")

        for model, params in (
            ("deepseek-reasoner", {}),
            ("deepseek-chat", {"max_tokens": 8000}),
        ):
            try:
                client.fim(model=model, prompt=BEFORE, suffix=AFTER, **params)
            except InvalidRequestError as refused:
                print(f"refused before sending: {refused}\n")

    llm = DeepSeekAPIFIM(model="deepseek-chat", max_tokens=128, temperature=0.0, **conn)
    show("LangChain DeepSeekAPIFIM.invoke(prompt, suffix=...)", llm.invoke(BEFORE, suffix=AFTER))

    li = DeepSeekAPI(model="deepseek-chat", temperature=0.0, **conn)
    response = li.complete(BEFORE, suffix=AFTER, max_tokens=128)
    show("LlamaIndex DeepSeekAPI.complete(prompt, suffix=...)", response.text)
    print("finish reason:", response.additional_kwargs.get("finish_reason"))


if __name__ == "__main__":
    main()
