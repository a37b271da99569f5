"""The ``deepseekapi demo`` step that shows DeepSeek's beta features and the hour's price with
the core client: chat prefix completion, a strict tool call, fill-in-the-middle, and what the
first reply cost at the time it was answered.

Against the real service a beta URL that does not answer (a 404 names the ``beta_base_url``
setting) skips the beta lines with that message instead of failing the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ..accounting._pricing import reply_cost
from ..http._client import DeepSeekClient
from ..http._errors import BetaEndpointNotFoundError
from ..wire._responses import ChatCompletion

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
"""A strict function whose ``unit`` is optional: the core closes the schema before sending
(``unit`` required but nullable, ``additionalProperties: false``)."""


def run_beta_demo(
    api_key: str | None,
    transport: httpx.BaseTransport | None,
    show: Callable[[str, str], None],
) -> None:
    """Prefix completion, a strict tool call and FIM, each sent to the beta URL, then a
    reply's cost at the hour it was answered; ``show(label, text)`` writes one line."""
    with DeepSeekClient(api_key=api_key, transport=transport) as client:
        show("beta URL", client.beta_base_url)
        try:
            _beta_calls(client, show)
        except BetaEndpointNotFoundError as error:
            show("skipped", str(error))
        plain = client.chat(
            model="deepseek-flash",
            messages=[{"role": "user", "content": "Say hello in one word."}],
            thinking=False,
        )
    show("priced", _priced(plain))


def _beta_calls(client: DeepSeekClient, show: Callable[[str, str], None]) -> None:
    prefix = "```python\n"
    reply = client.chat(
        model="deepseek-chat",
        messages=[{"role": "user", "content": "Write a function that adds two numbers."}],
        prefix=prefix,
        stop=["```"],
    )
    show("prefix completion", repr(prefix + (reply.message.content or "")))
    called = client.chat(
        model="deepseek-chat",
        messages=[{"role": "user", "content": "What is the weather in Lisbon?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
    )
    for call in called.message.tool_calls or []:
        show("strict tool call", f"{call.function.name}({call.function.arguments})")
    middle = client.fim(
        model="deepseek-chat",
        prompt="def area(radius):\n",
        suffix="\n    return result\n",
        max_tokens=64,
    )
    show("fill-in-the-middle", repr(middle.text))


def _priced(reply: ChatCompletion) -> str:
    cost = reply_cost(reply, "deepseek-flash")
    if cost is None:
        return "no price known for deepseek-flash (set DEEPSEEKAPI_PRICES)"
    window = {"peak": "peak hours", "off_peak": "off-peak hours"}.get(cost.price_window or "", "")
    answered = cost.as_dict()["answered_at"]
    served = f"served by {cost.served_model} ({cost.system_fingerprint})"
    return f"{cost.summary()}; answered {answered}, {window}, {served}"
