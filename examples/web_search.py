"""DeepSeek's built-in web tools with the core client: the service searches the web (or reads
a link) itself, the reply carries its calls and what they found, and the next turn sends them
back unchanged. Only deepseek-flash has these tools; asking another model fails before sending.

Runs against the real service when DEEPSEEKAPI_API_KEY (or DEEPSEEK_API_KEY) is set, otherwise
against the offline emulator (whose searches find example.com pages).

    python examples/web_search.py
"""

from __future__ import annotations

import os

from deepseekapi_core import DeepSeekClient, InvalidRequestError
from deepseekapi_core.tools import read_url, web_search
from deepseekapi_core.wire import (
    StreamAccumulator,
    builtin_tool_call_counts,
    builtin_tool_calls,
    builtin_tool_results,
)


def make_client() -> DeepSeekClient:
    """A client for the real service, or for the offline emulator when no key is set."""
    if os.environ.get("DEEPSEEKAPI_API_KEY") or os.environ.get("DEEPSEEK_API_KEY"):
        print("Using the real service")
        return DeepSeekClient()
    from deepseekapi_core.testing import Emulator

    print("No API key set: using the offline emulator")
    return DeepSeekClient(api_key="sk-emulator", transport=Emulator().transport())


def main() -> None:
    question = {"role": "user", "content": "What is new in the Python world this week?"}
    with make_client() as client:
        reply = client.chat(
            model="deepseek-flash", messages=[question], tools=[web_search()], thinking=False
        )
        for call in builtin_tool_calls(reply.message):
            print(f"the service called {call.type}({call.args})")
        for result in builtin_tool_results(reply.message):
            for source in result.sources:
                print(f"  found: {source.get('title')} <{source['url']}>")
        print(f"answer: {reply.message.content}")
        print(f"billed calls: {builtin_tool_call_counts(reply)}")

        # The next round: the assistant message goes back with the service's entries as they came.
        follow_up = [
            question,
            {
                "role": "assistant",
                "content": reply.message.content,
                "server_tool_calls": reply.message.server_tool_calls,
                "server_tool_results": reply.message.server_tool_results,
            },
            {"role": "user", "content": "Summarise https://peps.python.org/pep-0008/ too."},
        ]
        folded = StreamAccumulator()
        for chunk in client.stream_chat(
            model="deepseek-flash", messages=follow_up, tools=[web_search(), read_url()]
        ):
            folded.add(chunk)
        for call in builtin_tool_calls(folded):
            print(f"streamed: the service called {call.type}({call.args})")
        print(f"streamed answer: {folded.text}")

        try:
            client.chat(model="deepseek-chat", messages=[question], tools=[web_search()])
        except InvalidRequestError as error:
            print(f"refused before sending: {error}")


if __name__ == "__main__":
    main()
