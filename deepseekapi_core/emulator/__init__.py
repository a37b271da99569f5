"""An offline stand-in for the DeepSeek API, faithful to its wire format; a test double, no model.

It answers chat completions (plain JSON and SSE), lists models, returns ``reasoning_content`` in
thinking mode, calls tools with schema-valid arguments, answers JSON mode with schema-valid
JSON, reports usage with cache hits, and rejects what the service rejects, era by era, with the
service's own error bodies. Replies are deterministic and labelled ``[emulated <model>]``.

In-process (no sockets)::

    from deepseekapi_core.emulator import Emulator

    emulator = Emulator()                       # newest era; Emulator(era="r1") for the old rules
    emulator.script.reply_text("Hello!")        # optional: decide the next replies
    emulator.faults.status(429, retry_after=1)  # optional: inject faults
    emulator.faults.leaked_tool_call("dsml")    # ... including the service's own bad replies
    client = httpx.Client(transport=emulator.transport(), base_url="https://emulated/v1")

On the loopback interface (for the OpenAI SDK, curl, other processes)::

    with EmulatorServer(emulator) as server:
        openai.OpenAI(base_url=server.base_url, api_key="sk-anything")

pytest users get the ``deepseek_emulator``, ``deepseek_emulator_transport`` and
``deepseek_emulator_server`` fixtures automatically.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..models import Era
    from ._app import Emulator
    from ._faults import LEAK_SHAPES, FaultKind, FaultRule, Faults, FaultStage
    from ._in_flight import InFlight
    from ._script import Script, ScriptedError, ScriptedReply, ScriptedToolCall
    from ._server import EmulatorServer
    from ._transport import EmulatorTransport
    from ._vision import ImageServer
    from ._wire import EmulatedResponse, RecordedRequest

__all__ = [
    "LEAK_SHAPES",
    "EmulatedResponse",
    "Emulator",
    "EmulatorServer",
    "EmulatorTransport",
    "Era",
    "FaultKind",
    "FaultRule",
    "FaultStage",
    "Faults",
    "ImageServer",
    "InFlight",
    "RecordedRequest",
    "Script",
    "ScriptedError",
    "ScriptedReply",
    "ScriptedToolCall",
]

_WHERE = {
    "Era": "..models",
    "Emulator": "._app",
    "FaultKind": "._faults",
    "FaultRule": "._faults",
    "Faults": "._faults",
    "FaultStage": "._faults",
    "LEAK_SHAPES": "._faults",
    "InFlight": "._in_flight",
    "Script": "._script",
    "ScriptedError": "._script",
    "ScriptedReply": "._script",
    "ScriptedToolCall": "._script",
    "EmulatorServer": "._server",
    "EmulatorTransport": "._transport",
    "ImageServer": "._vision",
    "EmulatedResponse": "._wire",
    "RecordedRequest": "._wire",
}


def __getattr__(name: str) -> Any:
    """Import the public names lazily, so the pytest plugin costs nothing until used."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
